"""Tidy tables from run records: one row a run, one row a run-week, and summaries with intervals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.paired import paired_difference
from sim.experiment.tidy import tidy_series
from sim.stats import mean_ci, unpaired_diff_ci


def runs_frame(records: list[dict[str, Any]], label: str = "scenario") -> pd.DataFrame:
    """One row a run: label, point, replication, seed, the run's tags (e.g. levers), every KPI."""
    rows = []
    for r in records:
        rows.append({label: r["label"], "point": r["point"], "replication": r["replication"], "seed": r["seed"],
                     **r.get("tags", {}), **r["kpis"]})
    return pd.DataFrame(rows)


def series_frame(records: list[dict[str, Any]], label: str = "scenario",
                 burn_in: dict[str, int] | None = None) -> pd.DataFrame:
    """Weekly series of every run, long by run and week, wide by metric (tidy names: ``revenue_week``, see
    :func:`sim.experiment.tidy.tidy_series`); with ``burn_in`` (weeks, by label) a ``burn_in`` column flags
    the weeks the KPIs leave out."""
    frames = []
    for r in records:
        s = r.get("series")
        if not s:
            continue
        df = tidy_series(pd.DataFrame(s))
        df.insert(0, "week", np.arange(len(df)))
        if burn_in is not None:
            df.insert(1, "burn_in", df["week"] < burn_in[r["label"]])
        df.insert(0, "replication", r["replication"])
        df.insert(0, "point", r["point"])
        df.insert(0, label, r["label"])
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def comparison_frame(runs: pd.DataFrame, scenarios: list[str], kpis: list[str]) -> pd.DataFrame:
    """Mean and 95 % interval of each KPI per scenario, and paired differences against the first."""
    rows = []
    first = runs[runs["scenario"] == scenarios[0]].sort_values("replication")
    for name in scenarios:
        sub = runs[runs["scenario"] == name].sort_values("replication")
        for k in kpis:
            m, lo, hi = mean_ci(sub[k].to_numpy(float))
            row = {"scenario": name, "kpi": k, "mean": m, "ci_low": lo, "ci_high": hi,
                   "diff_vs_first": 0.0, "diff_ci_low": 0.0, "diff_ci_high": 0.0,
                   "unpaired_diff_ci_low": 0.0, "unpaired_diff_ci_high": 0.0}
            if name != scenarios[0]:
                d = paired_difference(first, sub, k)
                _, ulo, uhi = unpaired_diff_ci(first[k].to_numpy(float), sub[k].to_numpy(float))
                row.update(diff_vs_first=d.diff, diff_ci_low=d.low, diff_ci_high=d.high,
                           unpaired_diff_ci_low=ulo, unpaired_diff_ci_high=uhi)
            rows.append(row)
    return pd.DataFrame(rows)
