"""Assertions for claims about paired replications, each judged on a 95 % interval of the paired difference.

Replication k of both arms shares a seed (common random numbers), so ``new - ref`` is taken run by run
(:func:`sim.stats.paired_diff_ci`; a NaN in either run drops the pair).

- A directional claim ("b is higher than a") holds when the interval lies wholly on the claimed side of 0.
- A no-loss claim ("b loses nothing against a") is a non-inferiority test: the interval must lie wholly on
  the good side of ``-margin``, with the margin declared below, before the result, with its reason. Failing
  to detect a loss (an interval that merely straddles 0) is not evidence of no loss.
- An equivalence claim ("b barely moves a") needs both ends of the interval within ``±margin``.
"""

from __future__ import annotations

import numpy as np

from sim.stats import paired_diff_ci

# --- declared margins of the no-loss and equivalence claims ------------------------------------------
# Relative margins are a share of the reference arm's mean; absolute ones are in the statistic's unit.

# The no-loss margins of the validation patterns (BANNER_BONUS_REVENUE_MARGIN, FIX_FIRST_CHURN_MARGIN) are
# declared with their reasons on the patterns' checks in sim/validation.py, which the report judges by too.
# 2.5 points of purchase win rate (absolute), a tenth of the baseline's ~25 %: not a change in how well reps sell.
POOR_SERVICE_WIN_RATE_MARGIN = 0.025


def paired(ref: np.ndarray, new: np.ndarray) -> tuple[float, float, float]:
    """Mean of ``new - ref`` over paired replications and its 95 % interval."""
    return paired_diff_ci(np.asarray(ref, float), np.asarray(new, float))


def _text(what: str, d: tuple[float, float, float], n: int) -> str:
    m, lo, hi = d
    return f"{what}: {m:.4g} [{lo:.4g}, {hi:.4g}] (95 % paired interval, n = {n})"


def assert_higher(ref: np.ndarray, new: np.ndarray, what: str) -> None:
    """``new`` is higher than ``ref``: the interval of ``new - ref`` lies above 0."""
    d = paired(ref, new)
    assert d[1] > 0, "expected an increase; " + _text(what, d, len(ref))


def assert_lower(ref: np.ndarray, new: np.ndarray, what: str) -> None:
    """``new`` is lower than ``ref``: the interval of ``new - ref`` lies below 0."""
    d = paired(ref, new)
    assert d[2] < 0, "expected a decrease; " + _text(what, d, len(ref))


def assert_no_loss(ref: np.ndarray, new: np.ndarray, margin: float, what: str, worse: str = "lower") -> None:
    """Non-inferiority: ``new`` is at most ``margin`` worse than ``ref``.

    ``worse="lower"`` (a fall is a loss, e.g. revenue): the interval's low end lies above ``-margin``.
    ``worse="higher"`` (a rise is a loss, e.g. churn): its high end lies below ``+margin``.
    """
    if margin <= 0 or not np.isfinite(margin):
        raise ValueError(f"a non-inferiority margin must be positive and finite, got {margin}")
    d = paired(ref, new)
    if worse == "lower":
        ok, need = d[1] > -margin, f"low end above -{margin:.4g}"
    elif worse == "higher":
        ok, need = d[2] < margin, f"high end below +{margin:.4g}"
    else:
        raise ValueError(f"worse must be 'lower' or 'higher', got {worse!r}")
    assert ok, f"non-inferiority not shown (needs the interval's {need}); " + _text(what, d, len(ref))


def assert_equivalent(ref: np.ndarray, new: np.ndarray, margin: float, what: str) -> None:
    """Equivalence: the whole interval of ``new - ref`` lies within ``±margin``."""
    d = paired(ref, new)
    assert -margin < d[1] and d[2] < margin, f"equivalence within ±{margin:.4g} not shown; " + _text(what, d, len(ref))
