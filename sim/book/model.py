"""A checked book of business as arrays: the starting state the model reads, plus the history targets use."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.book.columns import PROBLEM_CATEGORIES


@dataclass(frozen=True)
class Book:
    """Current accounts and reps in post of one book, in file order (ids stay here, never in results).

    Arrays over current accounts: ``spend`` (currency per week), ``sat`` (0-1, NaN where no survey),
    ``share`` (NaN where not given), ``issue`` (0 none, 1 product, 2 price, 3 service), ``issue_age``
    (weeks), ``since`` (weeks since a value-adding contact, NaN where not given), ``slot`` (owning rep's
    position among reps in post). Arrays over reps in post: ``manager`` (team number), ``tenure`` (years),
    ``win_rate`` (NaN where not given).
    """

    folder: Path
    as_of: dt.date
    account_ids: np.ndarray
    spend: np.ndarray
    sat: np.ndarray
    share: np.ndarray
    issue: np.ndarray
    issue_age: np.ndarray
    since: np.ndarray
    slot: np.ndarray
    rep_ids: np.ndarray
    manager: np.ndarray
    manager_ids: tuple[str, ...]
    tenure: np.ndarray
    win_rate: np.ndarray
    accounts: pd.DataFrame = field(repr=False)  # every row of the accounts file (history included)
    reps: pd.DataFrame = field(repr=False)
    opportunities: pd.DataFrame | None = field(repr=False, default=None)

    @property
    def n_accounts(self) -> int:
        """Current accounts (the model's starting customers)."""
        return len(self.account_ids)

    @property
    def n_reps(self) -> int:
        """Reps in post."""
        return len(self.rep_ids)

    @property
    def n_managers(self) -> int:
        """Managers with at least one rep in post."""
        return len(self.manager_ids)

    def teams(self) -> list[list[int]]:
        """Each manager's rep slots, managers in order of first appearance."""
        return [np.flatnonzero(self.manager == m).tolist() for m in range(self.n_managers)]

    def assumptions(self) -> list[str]:
        """One line per optional value the book does not give and the model therefore assumes."""
        n = self.n_accounts
        out = []
        for what, missing, how in (
                ("satisfaction", np.isnan(self.sat), "drawn from the model's calibrated distribution"),
                ("share of wallet", np.isnan(self.share), "drawn from the model's starting-share distribution"),
                ("last contact", np.isnan(self.since), "drawn uniformly over the neglect horizon")):
            k = int(missing.sum())
            if k:
                out.append(f"{what}: {k:,} of {n:,} accounts give none; {how}")
        k = int(np.isnan(self.win_rate).sum())
        if k:
            out.append(f"win rate: {k:,} of {self.n_reps:,} reps give none; skill drawn from the model's distribution")
        out.append("open problems: severity drawn uniformly (the book gives none); each counts as reported")
        return out

    @classmethod
    def from_frames(cls, folder: Path, acc: pd.DataFrame, reps: pd.DataFrame, opp: pd.DataFrame | None,
                    active: np.ndarray, in_post: np.ndarray, slot_of: dict[str, int], as_of: dt.date) -> Book:
        """Build the arrays from checked frames (see :func:`sim.book.read.read_book`)."""
        from sim.book.read import annual, weeks_before

        cur = acc[active]
        spend_col = "spend_per_week" if "spend_per_week" in cur.columns else "spend_per_year"
        spend = annual(cur[spend_col], spend_col == "spend_per_year")
        n = len(cur)
        if "satisfaction" in cur.columns:
            sat = pd.to_numeric(cur["satisfaction"]).to_numpy(dtype=float)
        else:
            sat = np.full(n, np.nan)
        if "nps_score" in cur.columns:
            score = pd.to_numeric(cur["nps_score"]).to_numpy(dtype=float) / 10.0
            sat = np.where(np.isnan(sat), score, sat)
        share = (pd.to_numeric(cur["share_of_wallet"]).to_numpy(dtype=float) if "share_of_wallet" in cur.columns
                 else np.full(n, np.nan))
        issue = np.zeros(n, np.int8)
        age = np.zeros(n, np.int16)
        if "problem_category" in cur.columns:
            for code, name in enumerate(PROBLEM_CATEGORIES, start=1):
                issue[(cur["problem_category"] == name).to_numpy()] = code
            ages = pd.to_numeric(cur["problem_age_weeks"]).to_numpy(dtype=float)
            age = np.where(issue > 0, np.nan_to_num(ages), 0).astype(np.int16)
        since = (weeks_before(as_of, cur["last_contact"]) if "last_contact" in cur.columns
                 else np.full(n, np.nan))
        post = reps[in_post]
        mgr_text = post["manager_id"].astype(str).str.strip().to_numpy()
        managers = tuple(dict.fromkeys(mgr_text.tolist()))
        m_index = {m: i for i, m in enumerate(managers)}
        win = (pd.to_numeric(post["win_rate"]).to_numpy(dtype=float) if "win_rate" in post.columns
               else np.full(len(post), np.nan))
        return cls(
            folder=folder, as_of=as_of, account_ids=cur["account_id"].astype(str).str.strip().to_numpy(),
            spend=spend, sat=sat, share=share, issue=issue, issue_age=age, since=since,
            slot=np.array([slot_of[r] for r in cur["rep_id"].astype(str).str.strip()], np.int32),
            rep_ids=post["rep_id"].astype(str).str.strip().to_numpy(),
            manager=np.array([m_index[m] for m in mgr_text], np.int32), manager_ids=managers,
            tenure=pd.to_numeric(post["tenure_years"]).to_numpy(dtype=float), win_rate=win,
            accounts=acc, reps=reps, opportunities=opp)
