"""Books of business: a CRM export of accounts and reps (docs/book.md) as the model's starting state."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from sim.book.model import Book
from sim.book.read import BookError, read_book
from sim.params import Params


@functools.lru_cache(maxsize=4)
def _cached(folder: str, stamp: tuple[tuple[str, int, int], ...]) -> Book:
    return read_book(folder)


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of a folder's files: a changed file is read again."""
    if not folder.is_dir():
        return ()
    return tuple(sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in folder.iterdir() if f.is_file()))


@functools.lru_cache(maxsize=16)
def _digest(folder: str, stamp: tuple[tuple[str, int, int], ...]) -> str:
    h = hashlib.sha256()
    for name, _, _ in stamp:
        h.update(name.encode() + b"\0" + (Path(folder) / name).read_bytes() + b"\0")
    return h.hexdigest()[:16]


def book_digest(folder: str | Path) -> str:
    """A hash of the contents of a book's files, so a stored run is not reused after the book changed."""
    folder = Path(folder).resolve()
    return _digest(str(folder), _stamp(folder))


def load_book(folder: str | Path) -> Book:
    """The checked book in ``folder`` (kept in memory while its files do not change)."""
    folder = Path(folder).resolve()
    return _cached(str(folder), _stamp(folder))


def sized(p: Params, book: Book) -> Params:
    """``p`` with the unit's size set by the book: its current accounts, reps in post and their managers."""
    want = {"n_accounts": book.n_accounts, "n_reps": book.n_reps, "n_managers": book.n_managers}
    if all(getattr(p, k) == v for k, v in want.items()):
        return p
    return p.replace(**want)


__all__ = ["Book", "BookError", "book_digest", "load_book", "read_book", "sized"]
