"""What a sweep answers, as data: each design point against a reference point, with paired intervals.

Replication k of every design point shares a seed, so a point's difference from the reference point is
averaged over paired replications (:mod:`sim.experiment.paired`) and its interval is far narrower
than the unpaired intervals of ``sweep.csv``. The reference point is the design point at the base
scenario's own lever values, or the one nearest them when the design does not hold them.
Computation only: :mod:`sim.report.sweep_figure` draws the heatmap.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.paired import by_group, paired_difference
from sim.experiment.summary import distinct

# The KPIs a sweep's answer compares: what the business keeps, and what it leaves on the table.
ANSWER_KPIS: tuple[str, ...] = ("profit", "revenue_lost")
ANSWER_CSV = "sweep_vs_reference.csv"


def reference_point(points: list[dict[str, Any]], base: dict[str, Any]) -> int:
    """The design point at ``base``'s lever values, else the nearest (numbers scaled by their design range)."""
    levers = list(points[0]) if points else []
    spans = {k: _span([p[k] for p in points]) for k in levers}

    def distance(p: dict[str, Any]) -> float:
        total = 0.0
        for k in levers:
            a: Any = p[k]
            b: Any = base.get(k)
            if _number(a) and _number(b):
                total += ((float(a) - float(b)) / spans[k]) ** 2
            else:
                total += 0.0 if a == b else 1.0
        return total

    return int(np.argmin([distance(p) for p in points])) if points else 0


def point_differences(runs: pd.DataFrame, levers: list[str], reference: int,
                      kpis: tuple[str, ...] = ANSWER_KPIS) -> pd.DataFrame:
    """Each design point's mean and paired difference against the ``reference`` point, per KPI.

    One row a point: ``point``, the levers, ``reference`` (bool), ``replications`` and for each KPI
    ``<kpi>``, ``<kpi>_diff``, ``<kpi>_diff_low``, ``<kpi>_diff_high`` and ``<kpi>_distinct``.
    """
    by_point = by_group(runs, "point", sort=True)
    ref = by_point[reference]
    rows = []
    for p, sub in by_point.items():
        row: dict[str, Any] = {"point": p, **{k: sub[k].iloc[0] for k in levers}, "reference": p == reference,
                               "replications": len(sub)}
        for k in kpis:
            d = paired_difference(ref, sub, k)
            row.update({k: float(sub[k].mean()), f"{k}_diff": d.diff, f"{k}_diff_low": d.low,
                        f"{k}_diff_high": d.high, f"{k}_distinct": p != reference and distinct(d.low, d.high, d.pairs)})
        rows.append(row)
    return pd.DataFrame(rows)


def best_points(diffs: pd.DataFrame, kpi: str = "profit", n: int = 5) -> pd.DataFrame:
    """The ``n`` design points with the highest mean ``kpi`` (ties by point number)."""
    return diffs.sort_values([kpi, "point"], ascending=[False, True], kind="stable").head(n)


def _number(x: Any) -> bool:
    return isinstance(x, int | float | np.number) and not isinstance(x, bool)


def _span(values: list[Any]) -> float:
    nums = [float(v) for v in values if _number(v)]
    span = max(nums) - min(nums) if nums else 0.0
    return span if span > 0 and math.isfinite(span) else 1.0
