"""Scenario discovery: where in the space of uncertain assumptions does a policy fail a threshold?

A Latin hypercube over the declared uncertain parameters (a "world" per point) is evaluated through the one
runner: the policy (the problem's scenario) and, when the threshold is relative, the reference scenario, both
``replications`` times per world with common random numbers (replication k of every world and scenario shares
a seed). A world fails when the policy's mean KPI lies on the failing side of the threshold (a number, or the
reference's mean in the same world). PRIM (EMA Workbench's ``prim`` module) then finds boxes of the
uncertainty space where failures concentrate, each with its coverage (share of all failures inside it) and
density (share of worlds inside it that fail).
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.decide.problem import Dimension, DiscoverProblem
from sim.errors import UserError
from sim.experiment.jobs import Job, params_hash
from sim.experiment.runner import run_jobs
from sim.experiment.store import Store
from sim.experiment.sweep import Vary, design, sweep_jobs
from sim.experiment.tables import runs_frame
from sim.params import param_info
from sim.scenario import Scenario

POLICY, REFERENCE = "policy", "reference"


@dataclass
class DiscoverResult:
    """What a discovery produced: one row a world, the boxes with their limits, and the runs."""

    worlds: pd.DataFrame
    boxes: pd.DataFrame
    limits: pd.DataFrame
    trajectories: pd.DataFrame
    runs: pd.DataFrame
    elapsed_s: float
    dimensions: tuple[Dimension, ...] = ()  # what the boxes were drawn on (ranges for the figure)


def worlds(dims: tuple[Dimension, ...], samples: int, seed: int) -> list[dict[str, Any]]:
    """The uncertainty sample: a Latin hypercube over the uncertain parameters (seeded)."""
    return design([Vary(d.name, d.choices, d.low, d.high) for d in dims], "lhs", samples, seed)


def world_jobs(scenarios: list[Scenario], points: list[dict[str, Any]], replications: int, weeks: int,
               seed: int) -> list[Job]:
    """Every scenario's runs in every world (replication k shares a seed everywhere); validated first."""
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise UserError(f"a scenario is named twice ({', '.join(names)}); each may appear once.")
    return [dataclasses.replace(j, keep_series=False)
            for s in scenarios for j in sweep_jobs(s, points, replications, weeks, seed)]


def discover_jobs(problem: DiscoverProblem) -> list[Job]:
    """The policy's runs in every world and, for a relative threshold, the reference's."""
    scenarios = [problem.base] + ([problem.reference] if problem.reference is not None else [])
    return world_jobs(scenarios, worlds(problem.uncertainties, problem.samples, problem.seed), problem.replications,
                      problem.weeks, problem.seed)


def run_worlds(jobs: list[Job], spec: dict[str, Any], out: Path, executor: Any, resume: bool,
               progress: bool) -> tuple[pd.DataFrame, float]:
    """Run the jobs through the runner into the store at ``out``; the runs table and the time it took."""
    t0 = time.perf_counter()
    with Store(out) as store:
        store.open(spec, resume)
        records = run_jobs(jobs, store, executor, progress=progress, desc="runs in the sampled worlds")
    return runs_frame(records), time.perf_counter() - t0


def spec(problem: DiscoverProblem) -> dict[str, Any]:
    """What identifies the discovery for ``--resume``."""
    ref = problem.reference
    return {"kind": "discover", "base": params_hash(problem.base.params.model_dump()),
            "reference": params_hash(ref.params.model_dump()) if ref is not None else None,
            "samples": problem.samples, "replications": problem.replications, "weeks": problem.weeks,
            "seed": problem.seed, "uncertainties": {d.name: [d.low, d.high, list(d.choices)]
                                                    for d in problem.uncertainties}}


def discover(problem: DiscoverProblem, executor: Any, out: Path, resume: bool = False,
             progress: bool = True) -> DiscoverResult:
    """Sample the worlds, run them, flag failures, find PRIM boxes; write the tables into ``out``.

    Computation only: :func:`sim.report.decide_figures.plot_boxes` draws the figure.
    """
    runs, elapsed = run_worlds(discover_jobs(problem), spec(problem), out, executor, resume, progress)
    ref_name = problem.reference.name if problem.reference is not None else None
    runs.insert(1, "role", np.where(runs["scenario"] == problem.base.name, POLICY, REFERENCE))
    table = world_table(problem, runs, [d.name for d in problem.uncertainties], ref_name)
    boxes, limits, trajectories = find_boxes(table, problem.uncertainties, problem.prim)
    write_discovery(out, problem, table, boxes, limits, trajectories)
    runs.to_parquet(out / "runs.parquet", index=False)
    return DiscoverResult(table, boxes, limits, trajectories, runs, elapsed, problem.uncertainties)


def write_discovery(out: Path, problem: DiscoverProblem, table: pd.DataFrame, boxes: pd.DataFrame,
                    limits: pd.DataFrame, trajectories: pd.DataFrame) -> None:
    """Write worlds.csv, boxes.csv, box_limits.csv, peeling.csv and boxes.json into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "worlds.csv", index=False)
    boxes.to_csv(out / "boxes.csv", index=False)
    limits.to_csv(out / "box_limits.csv", index=False)
    trajectories.to_csv(out / "peeling.csv", index=False)
    (out / "boxes.json").write_text(boxes_json(problem, table, boxes, limits), encoding="utf-8")


def world_table(problem: DiscoverProblem, runs: pd.DataFrame, names: list[str], ref: str | None) -> pd.DataFrame:
    """One row a world: its assumptions, the policy's (and reference's) mean KPI, and whether it fails."""
    k = problem.kpi
    policy = runs[runs["role"] == POLICY].groupby("point")
    table = policy[names].first().reset_index()
    table["policy"] = policy[k].mean().to_numpy(float)
    if ref is not None:
        table["reference"] = runs[runs["role"] == REFERENCE].groupby("point")[k].mean().to_numpy(float)
        against = table["reference"].to_numpy(float)
    else:
        against = np.full(len(table), float(problem.value or 0.0))
    table["threshold"] = against + (-problem.margin if problem.fails == "below" else problem.margin)
    against = table["threshold"].to_numpy(float)
    p = table["policy"].to_numpy(float)
    table["fails"] = (p < against) if problem.fails == "below" else (p > against)
    return table


def find_boxes(table: pd.DataFrame, dims: tuple[Dimension, ...], opts: dict[str, float]
               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """PRIM boxes of the failing worlds: per box its coverage, density, mass and limits, and each peeling
    trajectory. A box is the trajectory's point of highest coverage whose density reaches ``min_density``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # EMA Workbench warns about optional parallel back-ends on import
        from ema_workbench.analysis import prim
        from ema_workbench.analysis.scenario_discovery_util import _determine_restricted_dims

    names = [d.name for d in dims]
    y = table["fails"].to_numpy(bool)
    boxes: list[dict[str, Any]] = []
    limits: list[dict[str, Any]] = []
    trajectories = []
    if y.sum() == 0 or y.all():
        return pd.DataFrame(boxes), pd.DataFrame(limits), pd.DataFrame()
    x = table[names].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # EMA Workbench uses pandas' deprecated inplace= drop
        warnings.simplefilter("ignore", FutureWarning)
        finder = prim.Prim(x, y.astype(int), peel_alpha=opts["peel_alpha"])
    for number in range(1, int(opts["max_boxes"]) + 1):
        box = finder.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory
        good = traj[traj["density"] >= opts["min_density"]]
        if good.empty:
            break
        i = int(good.sort_values(["coverage", "density"], ascending=False).index[0])
        box.select(i)
        trajectories.append(traj.assign(box=number, selected=traj.index == i))
        stats = traj.loc[i]
        lim = box.box_lims[i]
        restricted = list(_determine_restricted_dims(lim, finder.box_init))
        boxes.append({"box": number, "coverage": float(stats["coverage"]), "density": float(stats["density"]),
                      "mass": float(stats["mass"]), "worlds": int(stats["n"]), "failing_worlds": int(stats["k"]),
                      "restricted": ", ".join(restricted)})
        qp = box.p_values[i]  # EMA Workbench's quasi-p-value of each restricted side (-1: side not restricted)
        for name in restricted:
            sides = [v for v in qp.get(name, []) if v is not None and v >= 0]
            limits.append({"box": number, "parameter": name, **_limit(lim[name], param_info()[name].kind),
                           "qp_value": float(min(sides)) if sides else float("nan")})
    return pd.DataFrame(boxes), pd.DataFrame(limits), pd.concat(trajectories, ignore_index=True) if trajectories \
        else pd.DataFrame()


def _limit(column: pd.Series, kind: str) -> dict[str, Any]:
    """A box's limit on one parameter: low and high for numbers, the allowed values for choices."""
    if kind in ("int", "float"):
        return {"low": float(column.iloc[0]), "high": float(column.iloc[1]), "values": ""}
    return {"low": np.nan, "high": np.nan, "values": ", ".join(sorted(map(str, column.iloc[0])))}


def boxes_json(problem: DiscoverProblem, table: pd.DataFrame, boxes: pd.DataFrame, limits: pd.DataFrame) -> str:
    """The boxes as JSON: the question, the failure condition, each box with its statistics and limits."""
    import json

    out = {"title": problem.title, "policy": problem.base.name, "fails_when": problem.threshold_text,
           "worlds": len(table), "failing_worlds": int(table["fails"].sum())}
    if problem.sample is not None:
        out["sample"] = str(problem.sample)  # the boxes were found in an existing runs table
    found = []
    for b in boxes.to_dict("records"):
        lim = limits[limits["box"] == b["box"]] if len(limits) else limits
        b["limits"] = [{k: v for k, v in r.items() if k != "box" and v == v and v != ""}  # drop NaN and ""
                       for r in lim.to_dict("records")]
        found.append(b)
    out["boxes"] = found
    return json.dumps(out, indent=2, default=float)
