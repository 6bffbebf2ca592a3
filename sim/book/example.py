"""A synthetic book of business with history, for examples and tests: ``python -m sim.book.example DIR``.

Nothing here is anyone's data: ids are made up, and the figures are drawn to look like a plausible B2B unit
(about 15 % churn a year, a quarter of opportunities won, an NPS in the 20s, a little over half of reps at
quota, a fifth of reps leaving a year). The numbers below describe the example, not the model.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

AS_OF = dt.date(2026, 6, 30)
REGIONS = ("north", "south", "east", "west")
SEGMENTS = ("small", "mid", "enterprise")


def make_book(folder: Path, n_accounts: int = 3000, n_reps: int = 30, n_managers: int = 4, seed: int = 18,
              history: bool = True, fmt: str = "csv") -> Path:
    """Write a synthetic book into ``folder`` and return it (same seed, same files)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    day0 = np.datetime64(AS_OF, "D")
    # reps: in post, plus (with history) leavers in the last year
    n_left = round(0.2 * n_reps) if history else 0
    rid = np.array([f"rep-{i:03d}" for i in range(n_reps + n_left)])
    reps = pd.DataFrame({
        "rep_id": rid,
        "manager_id": [f"mgr-{i % n_managers:02d}" for i in range(n_reps + n_left)],
        "tenure_years": np.round(rng.gamma(2.0, 2.0, n_reps + n_left), 2),
        "win_rate": np.round(np.clip(rng.normal(0.26, 0.05, n_reps + n_left), 0.05, 0.6), 3),
        "quota_attainment": np.round(rng.lognormal(0.05, 0.3, n_reps + n_left), 3),
    })
    if history:
        reps["left_on"] = [None] * n_reps + [_before(day0, d) for d in rng.integers(1, 365, n_left)]
    # accounts: current, plus (with history) those lost in the last year
    n_churned = round(0.15 * n_accounts) if history else 0
    n = n_accounts + n_churned
    owner = rid[rng.integers(0, n_reps, n)]
    score = np.clip(np.round(rng.normal(8.1, 1.6, n)), 0, 10).astype(int)
    surveyed = rng.random(n) < 0.6
    has_problem = rng.random(n) < 0.08
    acc = pd.DataFrame({
        "account_id": [f"acct-{i:06d}" for i in range(n)],
        "rep_id": owner,
        "spend_per_year": np.round(52 * 1000 * rng.lognormal(-0.5 * 0.8**2, 0.8, n), 2),
        "segment": np.array(SEGMENTS)[rng.integers(0, 3, n)],
        "region": np.array(REGIONS)[rng.integers(0, 4, n)],
        "nps_score": pd.array(np.where(surveyed, score, -1)).astype("Int64"),
        "problem_category": np.where(has_problem, np.array(["product", "price", "service"])[rng.integers(0, 3, n)],
                                     ""),
        "problem_age_weeks": pd.array(np.where(has_problem, rng.integers(0, 12, n), -1)).astype("Int64"),
        "last_contact": [_before(day0, d) for d in rng.integers(0, 84, n)],
    })
    acc["nps_score"] = acc["nps_score"].mask(acc["nps_score"] < 0)
    acc["problem_age_weeks"] = acc["problem_age_weeks"].mask(acc["problem_age_weeks"] < 0)
    acc["problem_category"] = acc["problem_category"].replace("", None)
    if history:
        churned = [None] * n_accounts + [_before(day0, d) for d in rng.integers(1, 365, n_churned)]
        acc["churned_on"] = churned
        n_opp = 2 * n_accounts
        opp = pd.DataFrame({
            "opportunity_id": [f"opp-{i:06d}" for i in range(n_opp)],
            "account_id": acc["account_id"].to_numpy()[rng.integers(0, n, n_opp)],
            "rep_id": rid[rng.integers(0, n_reps + n_left, n_opp)],
            "closed_on": [_before(day0, d) for d in rng.integers(0, 365, n_opp)],
            "outcome": np.where(rng.random(n_opp) < 0.26, "won", "lost"),
            "value": np.round(rng.lognormal(8.5, 0.7, n_opp), 2),
        })
        _write(opp, folder / "opportunities", fmt)
    _write(acc, folder / "accounts", fmt)
    _write(reps, folder / "reps", fmt)
    (folder / "book.toml").write_text(f'title = "Synthetic example book"\nas_of = {AS_OF.isoformat()}\n',
                                      encoding="utf-8")
    return folder


def _before(day0: np.datetime64, days: int) -> str:
    """The ISO date ``days`` days before ``day0``."""
    return str(day0 - np.timedelta64(int(days), "D"))


def _write(df: pd.DataFrame, stem: Path, fmt: str) -> None:
    if fmt == "csv":
        df.to_csv(stem.with_suffix(".csv"), index=False)
    else:
        df.to_parquet(stem.with_suffix(".parquet"), index=False)


def main() -> None:
    """Command line: write the example book (defaults: data/example_book, 3,000 accounts, 30 reps)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, nargs="?", default=Path("data/example_book"))
    ap.add_argument("--accounts", type=int, default=3000)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--format", choices=["csv", "parquet"], default="csv")
    args = ap.parse_args()
    make_book(args.folder, args.accounts, args.reps, seed=args.seed, fmt=args.format)
    print(f"wrote {args.folder}")


if __name__ == "__main__":
    main()
