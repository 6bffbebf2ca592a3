"""The batch API: one call per batch, a tidy DataFrame back, like Mesa's ``batch_run``.

>>> import sim
>>> runs = sim.compare(["baseline", "banner_mandate"], replications=10)          # doctest: +SKIP
>>> sim.paired(runs, "profit", reference="baseline")                             # doctest: +SKIP
>>> grid = sim.sweep("banner_mandate", {"banner_target": [0.4, 0.6], "enforcement": [0.0, 1.0]})  # doctest: +SKIP

Every call goes through the one runner (:func:`sim.experiment.runner.run_jobs`): replication k of every
scenario or design point shares seed k of the root seed (common random numbers), any executor gives the
same numbers, and with ``out`` the runs are kept in a store that ``resume=True`` continues.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import UserError
from sim.experiment.paired import ZERO, by_group, paired_difference
from sim.scenario import Scenario, load_scenario
from sim.stats import mean_ci


def _scenario(ref: str | Path | Scenario, overrides: Mapping[str, Any] | None) -> Scenario:
    if isinstance(ref, Scenario):
        return ref if not overrides else load_scenario(ref.path or ref.name, dict(overrides))
    return load_scenario(ref, dict(overrides) if overrides else None)


def _run_in(out: str | Path | None, prefix: str) -> tuple[Path, tempfile.TemporaryDirectory | None]:
    if out is not None:
        return Path(out), None
    folder = tempfile.TemporaryDirectory(prefix=prefix)
    return Path(folder.name), folder


def _executor(workers: int, executor: Any) -> Any:
    from sim.experiment.executors import make_executor

    return executor if executor is not None else make_executor(workers)


def compare(scenarios: Sequence[str | Path | Scenario], replications: int = 10, weeks: int = 104, seed: int = 1,
            workers: int = 1, executor: Any = None, out: str | Path | None = None, resume: bool = False,
            overrides: Mapping[str, Any] | None = None, progress: bool = False) -> pd.DataFrame:
    """Run each scenario ``replications`` times on shared seeds; one row a run: scenario, replication, seed,
    every KPI and the scenario's levers. ``overrides`` (lever or parameter values) apply to every scenario;
    ``out`` keeps the store, the tables and the weekly series there (see ``salesim compare``)."""
    from sim.experiment.compare import compare as run_comparison

    chosen = [_scenario(s, overrides) for s in scenarios]
    if not chosen:
        raise UserError("compare needs at least one scenario.")
    folder, temp = _run_in(out, "salesim-compare-")
    ex = _executor(workers, executor)
    try:
        result = run_comparison(chosen, replications, weeks, seed, ex, folder, resume=resume, progress=progress,
                                command="sim.compare")
    finally:
        if executor is None:
            ex.close()
        if temp is not None:
            temp.cleanup()
    return result.runs


def sweep(base: str | Path | Scenario, vary: Mapping[str, Sequence[Any] | tuple[float, float]],
          design: str = "grid", samples: int = 16, replications: int = 5, weeks: int = 104, seed: int = 1,
          workers: int = 1, executor: Any = None, out: str | Path | None = None, resume: bool = False,
          progress: bool = False) -> pd.DataFrame:
    """Vary levers of ``base``: a grid of the listed values (``design="grid"``), or a Latin hypercube of
    ``samples`` points between ``(low, high)`` bounds (``design="lhs"``). One row a run: point, replication,
    seed, the varied levers and every KPI; replication k of every point shares a seed."""
    from sim.experiment.sweep import Vary, _check_values
    from sim.experiment.sweep import sweep as run_sweep

    scenario = _scenario(base, None)
    varies = []
    for name, values in vary.items():
        vals = tuple(values)
        if design == "lhs":
            if len(vals) != 2 or not all(isinstance(v, int | float) for v in vals):
                raise UserError(f"vary[{name!r}] = {values!r}: a Latin hypercube needs (low, high) numbers.")
            varies.append(Vary(name, vals, float(vals[0]), float(vals[1])))
        else:
            _check_values(name, vals, f"{name}={','.join(map(str, vals))}")
            varies.append(Vary(name, vals))
    folder, temp = _run_in(out, "salesim-sweep-")
    ex = _executor(workers, executor)
    try:
        runs = run_sweep(scenario, varies, design, samples, replications, weeks, seed, ex, folder, resume=resume,
                         progress=progress)
    finally:
        if executor is None:
            ex.close()
        if temp is not None:
            temp.cleanup()
    return runs


def paired(runs: pd.DataFrame, kpi: str, reference: str | None = None, by: str = "scenario") -> pd.DataFrame:
    """Each group's mean of ``kpi`` and its paired difference from ``reference`` (default: the first group),
    replication by replication, with 95 % t intervals. ``by`` is ``"scenario"`` (a comparison) or
    ``"point"`` (a sweep). ``distinguishable`` needs two or more pairs: one pair has no interval."""
    if kpi not in runs:
        raise UserError(f"{kpi!r} is not a column of the runs table; KPIs are listed by `salesim reference kpis`.")
    groups = by_group(runs, by)
    ref = next(iter(groups)) if reference is None else reference
    if ref not in groups:
        raise UserError(f"reference {ref!r} is not among the runs' {by}s: {', '.join(map(str, groups))}.")
    rows = []
    for g, sub in groups.items():
        m, lo, hi = mean_ci(sub[kpi].to_numpy(float))
        d = ZERO if g == ref else paired_difference(groups[ref], sub, kpi)
        rows.append({by: g, "kpi": kpi, "mean": m, "ci_low": lo, "ci_high": hi, "reference": ref,
                     "diff": d.diff, "diff_ci_low": d.low, "diff_ci_high": d.high,
                     "distinguishable": bool(g != ref and d.pairs >= 2 and (d.low > 0 or d.high < 0))})
    return pd.DataFrame(rows)


__all__ = ["compare", "paired", "sweep"]
