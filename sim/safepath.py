"""Paths and files a user named: resolved without crashing, read with a size cap, quoted only briefly.

Every input file (scenario, targets, problem) is read through :func:`read_text`
so the same problems (symlink loops, folders, devices, /proc and /sys, huge or
non-UTF-8 files) give the same one-paragraph :class:`~sim.errors.UserError`.
Error messages quote file content only through :func:`excerpt`, which keeps at
most a short line with control characters escaped.
"""

from __future__ import annotations

from pathlib import Path

from sim.errors import UserError

PSEUDO_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))
EXCERPT_CHARS = 80


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """At most ``limit`` characters of ``text``, control and other unprintable characters escaped."""
    safe = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"


def resolve(path: Path, what: str, error: type[UserError] = UserError) -> Path:
    """``path`` made absolute with symlinks followed; a symlink loop becomes a UserError naming ``what``."""
    try:
        return Path(path).expanduser().resolve()
    except (RuntimeError, OSError) as exc:  # RuntimeError up to Python 3.12, OSError (ELOOP) from 3.13
        raise error(f"{what} {path}: cannot follow its symbolic links ({_reason(exc)}); point it at a real "
                    "file or folder.") from None


def is_within(path: Path, root: Path) -> bool:
    """Whether resolved ``path`` lies inside resolved ``root`` (or is it)."""
    return path == root or root in path.parents


def pseudo_root(path: Path) -> Path | None:
    """The system folder (/proc, /sys, /dev) a resolved path lies in, if any: never user input or output."""
    return next((root for root in PSEUDO_ROOTS if is_within(path, root)), None)


def read_text(path: Path, what: str, error: type[UserError] = UserError, max_bytes: int | None = None,
              shown: str | None = None) -> str:
    """The UTF-8 text of an input file, refusing what cannot be one (folders, devices, /proc, huge files).

    Args:
        path: the file, as the user gave it (shown in messages).
        what: how messages name it, e.g. "Scenario file" or "targets file".
        error: the UserError subclass to raise.
        max_bytes: size cap (default: :data:`sim.limits.FILE_BYTES`).
        shown: the path as messages show it (default: ``path`` as given).
    """
    from sim.limits import FILE_BYTES

    limit = max_bytes or FILE_BYTES.limit
    real = resolve(path, what, error)
    path = shown or path  # type: ignore[assignment]  # only shown from here on
    system = pseudo_root(real)
    if system is not None:
        raise error(f"{what} {path} lies in {system}, a system folder, not a file you wrote; give the path "
                    "of a .toml file.")
    if real.is_dir():
        raise error(f"{what} {path} is a folder, not a file; give the path of a .toml file.")
    if not real.is_file():
        raise error(f"{what} {path} does not exist (or is not a regular file); check the path.")
    try:
        with real.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise error(f"Cannot read {what.lower()} {path}: {_reason(exc)}.") from None
    if len(data) > limit:
        raise error(f"{what} {path} is larger than {limit:,} bytes, far more than any input file needs; "
                    "check that it is the file you meant.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{what} {path} is not UTF-8 text (byte {exc.start} cannot be decoded); save it as "
                    "UTF-8.") from None


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
