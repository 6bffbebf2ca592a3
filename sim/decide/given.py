"""Scenario discovery on an existing sample: PRIM boxes in a stored runs table, with nothing run again.

A sweep's, a discovery's or a robustness check's ``runs.parquet`` holds one row a run: its scenario, its
design point (a "world"), its replication, the lever or parameter values of its point and every KPI. The
policy's runs (the problem's ``scenario``) are averaged per point and flagged against the threshold (a
number, or the reference scenario's mean at the same point), and PRIM looks for boxes on the stored
parameter columns, as :func:`sim.decide.discover.discover` does on a fresh sample. Every problem with the
file is one :class:`~sim.errors.UserError` naming the file, the field, the value and what is allowed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from sim.decide.discover import POLICY, REFERENCE, DiscoverResult, find_boxes, world_table, write_discovery
from sim.decide.problem import Dimension, DiscoverProblem
from sim.errors import UserError
from sim.kpis import KPIS
from sim.params import param_info
from sim.tomlfile import field_error

MIN_WORLDS = 10  # the fewest worlds PRIM is asked to work on: the smallest ``samples`` a discovery file allows
NEEDED = ("scenario", "point", "replication")  # the columns every salesim runs table has


def read_sample(path: Path) -> pd.DataFrame:
    """The runs table at ``path``, or a UserError saying why it cannot serve as a sample."""
    what = "give the runs.parquet of an existing sweep, discovery or robustness check"
    if not path.is_file():
        raise UserError(f"--from {path}: no such file; {what}.")
    try:
        runs = pd.read_parquet(path)
    except Exception as e:  # pyarrow raises several kinds for a file that is not Parquet
        raise UserError(f"--from {path}: cannot read it as Parquet ({type(e).__name__}); {what}.") from None
    missing = [c for c in NEEDED if c not in runs.columns]
    if missing:
        raise UserError(
            f"--from {path}: column '{missing[0]}' is missing, so this is not a salesim runs table "
            f"(allowed: a table with columns {', '.join(NEEDED)}, the levers or parameters and the "
            f"KPIs); {what}."
        )
    return runs


def discover_given(problem: DiscoverProblem, out: Path) -> DiscoverResult:
    """Find the PRIM boxes of ``problem`` in its stored ``sample``; write the discovery's tables into ``out``."""
    if problem.sample is None:
        raise ValueError("discover_given needs a problem with a sample (from = ... or --from)")
    t0 = time.perf_counter()
    runs = read_sample(problem.sample)
    policy = _rows(problem, runs, "scenario", problem.base.name)
    ref_name = problem.reference.name if problem.reference is not None else None
    if problem.kpi not in runs.columns:
        stored = [k for k in KPIS if k in runs.columns]
        raise field_error(
            problem.path,
            "threshold.kpi",
            problem.kpi,
            f"a KPI stored in {problem.sample} ({', '.join(stored) or 'it stores none'})",
        )
    parts = [policy.assign(role=POLICY)]
    if ref_name is not None:
        ref = _rows(problem, runs, "threshold.reference", ref_name)
        if set(ref["point"]) != set(policy["point"]):
            raise field_error(
                problem.path,
                "threshold.reference",
                ref_name,
                f"a scenario run at the same points "
                f"as {problem.base.name} in {problem.sample} (it was run at "
                f"{ref['point'].nunique()} points, {problem.base.name} at {policy['point'].nunique()})",
            )
        parts.append(ref.assign(role=REFERENCE))
    dims = sample_dimensions(problem, policy)
    worlds = policy["point"].nunique()
    if worlds < MIN_WORLDS:
        raise UserError(
            f"--from {problem.sample}: {problem.base.name} was run at {worlds} points, too few worlds "
            f"for PRIM (allowed: {MIN_WORLDS} or more design points, e.g. a sweep with --design lhs "
            f"--samples {MIN_WORLDS * 5})."
        )
    sample = pd.concat(parts, ignore_index=True)
    table = world_table(problem, sample, [d.name for d in dims], ref_name)
    boxes, limits, trajectories = find_boxes(table, dims, problem.prim)
    write_discovery(out, problem, table, boxes, limits, trajectories)
    return DiscoverResult(table, boxes, limits, trajectories, sample, time.perf_counter() - t0, dims)


def _rows(problem: DiscoverProblem, runs: pd.DataFrame, field: str, name: str) -> pd.DataFrame:
    """The runs of scenario ``name`` (without any stored ``role``), or a UserError naming ``field``."""
    rows = runs[runs["scenario"] == name]
    if rows.empty:
        held = ", ".join(map(str, dict.fromkeys(runs["scenario"])))
        raise field_error(problem.path, field, name, f"a scenario with runs in {problem.sample} (it holds {held})")
    return rows.drop(columns=["role"], errors="ignore")


def sample_dimensions(problem: DiscoverProblem, policy: pd.DataFrame) -> tuple[Dimension, ...]:
    """The box dimensions: the file's [uncertainties] if it has them, else every stored lever or parameter
    column that varies across the policy's runs; each a range (numbers) or the values found (choices)."""
    info = param_info()
    varying = [c for c in policy.columns if c in info and policy[c].nunique(dropna=False) > 1]
    names = [d.name for d in problem.uncertainties] or varying
    if not names:
        raise UserError(
            f"--from {problem.sample}: no lever or parameter column varies across the runs of "
            f"{problem.base.name}, so there is nothing to draw boxes on (allowed: a sample that "
            "varies levers or parameters, e.g. a sweep's or a discovery's runs.parquet)."
        )
    dims = []
    for name in names:
        if name not in policy.columns:
            raise field_error(
                problem.path,
                f"uncertainties.{name}",
                name,
                f"a parameter stored in {problem.sample} (it stores {', '.join(varying) or 'none that varies'})",
            )
        column = policy[name]
        if column.isna().any():
            raise field_error(
                problem.path,
                f"uncertainties.{name}",
                name,
                f"a parameter with a value in every run of {problem.sample}; {int(column.isna().sum())} runs have none",
            )
        if info[name].kind in ("int", "float"):
            dims.append(
                Dimension(name, low=float(column.min()), high=float(column.max()), integer=info[name].kind == "int")
            )
        else:
            dims.append(Dimension(name, choices=tuple(sorted(column.unique(), key=str))))
    return tuple(dims)


__all__ = ["MIN_WORLDS", "discover_given", "read_sample", "sample_dimensions"]
