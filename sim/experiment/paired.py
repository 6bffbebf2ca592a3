"""Paired differences between groups of runs (scenarios or design points), matched replication by replication.

Replication k of every group shares a seed (common random numbers), so a difference between two groups is
the mean of their per-replication differences, with the t interval of those differences
(:func:`sim.stats.paired_diff_ci`; a NaN in either run drops the pair). ``comparison.csv``
(:func:`sim.experiment.tables.comparison_frame`), ``sim.paired``, the executive report's all-pairs matrix
(:func:`sim.experiment.summary.pairwise`) and a sweep's answer
(:func:`sim.experiment.sweep_answer.point_differences`) all take their differences from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.stats import paired_diff_ci


@dataclass(frozen=True)
class PairedDifference:
    """``other − reference`` of one KPI: the mean difference, its 95 % interval and how many pairs made it."""

    diff: float
    low: float
    high: float
    pairs: int


ZERO = PairedDifference(0.0, 0.0, 0.0, 0)
"""A group against itself, as the tables show it (no interval to compute)."""


def by_group(runs: pd.DataFrame, by: str, sort: bool = False) -> dict[Any, pd.DataFrame]:
    """Each group's runs (by the column ``by``) in replication order; groups in order of first appearance,
    or sorted with ``sort``."""
    groups = sorted(set(runs[by])) if sort else list(dict.fromkeys(runs[by]))
    return {g: runs[runs[by] == g].sort_values("replication") for g in groups}


def paired_difference(reference: pd.DataFrame, other: pd.DataFrame, kpi: str) -> PairedDifference:
    """``other − reference`` of ``kpi`` over the replications both groups hold, paired by replication."""
    shared = reference[["replication", kpi]].merge(other[["replication", kpi]], on="replication", suffixes=("_ref", ""))
    d, lo, hi = paired_diff_ci(shared[f"{kpi}_ref"].to_numpy(float), shared[kpi].to_numpy(float))
    return PairedDifference(d, lo, hi, len(shared))
