"""The model's reps start from a book: skill from tenure and relative win rate, quota from the book they own."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.book import Book, load_book, sized
from sim.params import Params

if TYPE_CHECKING:
    from sim.model import SalesModel


def book_of(p: Params) -> Book | None:
    """The book ``p`` names (``p.book``), checked, or None for a synthetic unit."""
    return load_book(p.book) if p.book else None


def start_reps_from_book(model: SalesModel, book: Book) -> None:
    """Adjust the hired reps to the book: reps newer than ``book_new_hire_years`` have a new hire's skill; where
    win rates are given, skill is the mean skill times (win rate / the book's mean win rate) ** elasticity."""
    p = model.p
    known = ~np.isnan(book.win_rate)
    mean_wr = float(book.win_rate[known].mean()) if known.any() else 0.0
    for rep in model.reps:
        s = rep.slot
        if book.tenure[s] < p.book_new_hire_years:
            rep.skill = p.new_hire_skill
        elif known[s] and mean_wr > 0:
            rel = book.win_rate[s] / mean_wr
            rep.skill = float(min(1.0, max(p.skill_floor, p.skill_mean * rel ** p.book_win_rate_skill)))
        model.set_quota(rep)


__all__ = ["book_of", "sized", "start_reps_from_book"]
