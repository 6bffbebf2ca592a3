"""Confidence intervals for replicated runs, paired (common random numbers) or not.

A KPI is NaN in a run where its events never happened (see :mod:`sim.kpis`);
such runs are left out of its interval (and, for a paired difference, the
pair is). With no defined run the result is NaN.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def mean_ci(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``x`` and its two-sided t interval."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (float("nan"),) * 3
    m = float(x.mean())
    if x.size < 2:
        return m, m, m
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return m, m - half, m + half


def paired_diff_ci(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``b - a`` over paired replications (same seeds) and its t interval."""
    return mean_ci(np.asarray(b, float) - np.asarray(a, float), level)  # a NaN in either drops the pair


def unpaired_diff_ci(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``b`` minus mean of ``a`` with a Welch interval, ignoring any pairing."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        d = float(b.mean() - a.mean()) if a.size and b.size else float("nan")
        return d, d, d
    d = float(b.mean() - a.mean())
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = np.sqrt(va + vb)
    if se == 0:
        return d, d, d
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(stats.t.ppf(0.5 + level / 2, dof) * se)
    return d, d - half, d + half
