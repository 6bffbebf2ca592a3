"""What a comparison answers, as data: the ranking, every pair's profit difference, seed spread, calibration.

Computation only (tables and plain dicts); :mod:`sim.report.executive` renders them. Every difference is
paired: replication k of two scenarios shares a seed (and, with ``--posterior``, a parameter draw), so
its interval is that of the per-replication differences (:mod:`sim.experiment.paired`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.experiment.paired import ZERO, by_group, paired_difference
from sim.formatting import finite
from sim.kpis import KPIS
from sim.tomlfile import did_you_mean

# The KPIs a ranking sorts on, in order: profit first, then revenue, churn and rep turnover break ties.
RANK_KPIS: tuple[str, ...] = ("profit", "revenue", "annual_churn_rate", "rep_turnover_rate")
# The KPI of the all-pairs matrix.
PAIRS_KPI = "profit"
# Where the calibrated parameters come from when a comparison did not use --posterior.
DEFAULT_FIT = Path(__file__).resolve().parent.parent.parent / "calibration" / "fitted" / "targets"


@dataclass(frozen=True)
class Answer:
    """What the executive section of a report shows: the ranking, every pair's profit difference and how far
    single runs spread (see :func:`ranking`, :func:`pairwise`, :func:`seed_spread`)."""

    ranking: pd.DataFrame
    pairs: pd.DataFrame
    spread: pd.DataFrame


def answer(comparison: pd.DataFrame, runs: pd.DataFrame, names: list[str], replications: int) -> Answer:
    """The ranking against the first of ``names``, the all-pairs profit matrix and the seed spread."""
    return Answer(ranking(comparison, names, replications), pairwise(runs, names), seed_spread(runs, names))


def with_reference(names: list[str], reference: str | None) -> list[str]:
    """``names`` with ``reference`` moved first (the others keep their order); None keeps the order."""
    if reference is None:
        return list(names)
    if reference not in names:
        raise UserError(f"--reference {reference!r} is not a scenario of this comparison; "
                        f"{did_you_mean(reference, names)}choose one of {', '.join(names)}.")
    return [reference, *[n for n in names if n != reference]]


def distinct(low: Any, high: Any, replications: int) -> bool:
    """Whether the runs tell a difference from zero: its interval excludes zero, with two or more pairs."""
    lo, hi = finite(low), finite(high)
    return replications >= 2 and lo is not None and hi is not None and (lo > 0 or hi < 0)


def ranking(comparison: pd.DataFrame, names: list[str], replications: int) -> pd.DataFrame:
    """Scenarios ranked on profit, then revenue, churn and rep turnover (each its better way first).

    One row a scenario: ``rank``, ``scenario`` and, for each KPI of :data:`RANK_KPIS`, ``<kpi>``,
    ``<kpi>_diff``, ``<kpi>_diff_low``, ``<kpi>_diff_high`` (paired, against the first of ``names``) and
    ``<kpi>_distinct`` (the runs tell the difference from zero).
    """
    table = comparison.set_index(["scenario", "kpi"])
    rows = []
    for name in names:
        row: dict[str, Any] = {"scenario": name}
        for k in RANK_KPIS:
            if (name, k) not in table.index:
                continue
            r = table.loc[(name, k)]
            row.update({k: r["mean"], f"{k}_diff": r["diff_vs_first"], f"{k}_diff_low": r["diff_ci_low"],
                        f"{k}_diff_high": r["diff_ci_high"],
                        f"{k}_distinct": name != names[0] and distinct(r["diff_ci_low"], r["diff_ci_high"],
                                                                       replications)})
        rows.append(row)
    out = pd.DataFrame(rows)
    keys = [k for k in RANK_KPIS if k in out.columns]
    # NaN sorts last whichever way is better; a KPI with no preferred direction does not rank.
    sort = out.assign(**{f"_{k}": -KPIS[k].better * out[k].astype(float) for k in keys})
    order = sort.sort_values([f"_{k}" for k in keys], kind="stable", na_position="last").index
    out = out.loc[order].reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def pairwise(runs: pd.DataFrame, names: list[str], kpi: str = PAIRS_KPI) -> pd.DataFrame:
    """Every ordered pair's paired difference ``scenario − versus`` of ``kpi``, with its 95 % interval.

    Columns: ``scenario, versus, kpi, diff, ci_low, ci_high``; a scenario against itself is 0.
    """
    groups, none = by_group(runs, "scenario"), runs.iloc[:0]
    rows = []
    for a in names:
        for b in names:
            d = ZERO if a == b else paired_difference(groups.get(b, none), groups.get(a, none), kpi)
            rows.append({"scenario": a, "versus": b, "kpi": kpi, "diff": d.diff, "ci_low": d.low, "ci_high": d.high})
    return pd.DataFrame(rows)


def seed_spread(runs: pd.DataFrame, names: list[str], kpis: tuple[str, ...] = RANK_KPIS) -> pd.DataFrame:
    """How far single runs of one scenario lie apart: per scenario and KPI the standard deviation over
    replications (seeds), the lowest and the highest run. Columns: ``scenario, kpi, sd, low, high, runs``."""
    rows = []
    for n in names:
        sub = runs[runs["scenario"] == n]
        for k in kpis:
            if k not in sub.columns:
                continue
            x = sub[k].to_numpy(float)
            x = x[np.isfinite(x)]
            rows.append({"scenario": n, "kpi": k, "sd": float(x.std(ddof=1)) if x.size > 1 else math.nan,
                         "low": float(x.min()) if x.size else math.nan,
                         "high": float(x.max()) if x.size else math.nan, "runs": int(x.size)})
    return pd.DataFrame(rows)


def calibration_facts(scenarios: list[Any], posterior: Path | None) -> dict[str, Any]:
    """Which scenarios run at fitted parameter values, from which fit, and how well the fit pins them down.

    A scenario counts as calibrated when every fitted parameter equals the fit's installed value
    (``scenarios/calibrated.toml``), or when ``posterior`` (``--posterior``) replicates it over draws.
    Returns ``fit`` (the folder), ``posterior`` (bool), ``calibrated`` (names), ``parameters`` (fitted
    names), ``identified`` (names whose 95 % interval is under half the prior range) — all plain data.
    """
    fit = Path(posterior) if posterior is not None else DEFAULT_FIT
    summary = _read_summary(fit / "posterior_summary.csv")
    parameters = list(summary["parameter"]) if summary is not None else []
    identified = [str(p) for p, ok in zip(summary["parameter"], summary["identified"], strict=True)
                  if bool(ok)] if summary is not None else []
    if posterior is not None:
        calibrated = [s.name for s in scenarios]
    else:
        fitted = _installed_fit()
        calibrated = [s.name for s in scenarios
                      if fitted and all(_same(getattr(s.params, k, None), v) for k, v in fitted.items())]
    return {"fit": _shown(fit), "posterior": posterior is not None, "calibrated": calibrated,
            "parameters": parameters, "identified": identified}


def _installed_fit() -> dict[str, float]:
    """The fitted parameters of the installed calibrated scenario (empty if there is none)."""
    from sim.scenario import load_scenario, scenarios_dir

    if not (scenarios_dir() / "calibrated.toml").is_file():
        return {}
    try:
        s = load_scenario("calibrated")
    except UserError:
        return {}
    base = s.extends
    try:
        parent = load_scenario(base).params if base else None
    except UserError:
        parent = None
    return {k: v for k, v in s.overrides.items()
            if parent is None or not _same(getattr(parent, k, None), v)}


def _read_summary(path: Path) -> pd.DataFrame | None:
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError):
        return None
    return df if {"parameter", "identified"} <= set(df.columns) else None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)
    return bool(a == b)


def _shown(path: Path) -> str:
    """A folder as a user would type it: relative to the repository when it lies inside it."""
    root = DEFAULT_FIT.parent.parent.parent
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)

