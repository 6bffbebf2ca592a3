"""Write a model's starting state as a book (docs/book.md), so that reading it back starts the same unit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.book.columns import MANIFEST, PROBLEM_CATEGORIES
from sim.population import nps_score

if TYPE_CHECKING:
    from sim.model import SalesModel

EXPORT_AS_OF = dt.date(2026, 1, 1)  # the date a synthetic unit's export is stamped with (any date would do)
EXPERIENCED_YEARS = 2.0  # tenure written for a synthetic unit's reps, who are all experienced hires


def export_book(model: SalesModel, folder: Path, fmt: str = "parquet") -> list[Path]:
    """Write the current accounts and reps of ``model`` (before it runs: its starting state) into ``folder``.

    Ids are the book's own where the model came from a book, else made up from seat and slot numbers. Last
    contact becomes a date (to the nearest day). Returns the files written.
    """
    a, book, p = model.acc, model.book, model.p
    folder.mkdir(parents=True, exist_ok=True)
    as_of = book.as_of if book is not None else EXPORT_AS_OF
    seats = np.flatnonzero(a.active)
    n_slots = len(model.slot_rep)
    if book is not None:
        rep_ids = book.rep_ids.astype(str)
        manager_ids = np.array(book.manager_ids, dtype=object)[book.manager]
        acc_ids = np.where(seats < book.n_accounts, book.account_ids[np.minimum(seats, book.n_accounts - 1)],
                           np.char.add("W", seats.astype(str)))
        tenure = book.tenure
    else:
        rep_ids = np.array([f"R{s:04d}" for s in range(n_slots)])
        manager_ids = np.array([f"M{model._manager_of[s].unique_id:03d}" for s in range(n_slots)])
        acc_ids = np.array([f"A{u:07d}" for u in seats])
        tenure = np.full(n_slots, max(EXPERIENCED_YEARS, 2.0 * p.book_new_hire_years))
    cats = np.array(("",) + PROBLEM_CATEGORIES, dtype=object)
    days = np.rint(a.since[seats] * 7.0).astype("timedelta64[D]")
    accounts = pd.DataFrame({
        "account_id": acc_ids, "rep_id": rep_ids[a.rep[seats]], "spend_per_week": a.spend[seats],
        "segment": "all", "region": "all", "nps_score": nps_score(a.sat[seats]).astype(int),
        "satisfaction": a.sat[seats], "share_of_wallet": a.share[seats],
        "problem_category": pd.Series(cats[a.issue[seats]]).replace("", None),
        "problem_age_weeks": pd.Series(np.where(a.issue[seats] > 0, a.issue_age[seats], -1)).replace(-1, None),
        "last_contact": pd.Series(np.datetime64(as_of, "D") - days).dt.date,
    })
    if book is not None:
        cur = book.accounts[book.accounts.get("churned_on", pd.Series(None, index=book.accounts.index)).isna()]
        keep = dict(zip(cur["account_id"].astype(str).str.strip(), zip(cur["segment"], cur["region"], strict=True),
                        strict=True))
        accounts["segment"] = [keep.get(i, ("all", "all"))[0] for i in acc_ids]
        accounts["region"] = [keep.get(i, ("all", "all"))[1] for i in acc_ids]
    in_post = [s for s in range(n_slots) if model.slot_rep[s] is not None]
    reps = pd.DataFrame({"rep_id": rep_ids[in_post], "manager_id": manager_ids[in_post],
                         "tenure_years": tenure[in_post]})
    ext = ".csv" if fmt == "csv" else ".parquet"
    paths = [folder / f"accounts{ext}", folder / f"reps{ext}", folder / MANIFEST]
    for frame, path in zip((accounts, reps), paths, strict=False):
        frame.to_csv(path, index=False) if fmt == "csv" else frame.to_parquet(path, index=False)
    paths[2].write_text(f"as_of = {as_of.isoformat()}\n", encoding="utf-8")
    return paths
