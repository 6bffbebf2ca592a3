"""Robust choices: candidate policies across a sample of uncertain worlds, ranked by regret.

Every policy (a scenario) runs in every world of a Latin hypercube over declared uncertain parameters (or,
with ``posterior = "calibration/fitted/targets"``, in every posterior draw of a calibration),
``replications`` times with common random numbers, so policies are compared on the same worlds and the
same noise. Per policy: the mean KPI over worlds, the worst decile (the mean over its worst tenth of
worlds), and the regret in each world (how far it falls short of the best policy in that world, in the
KPI's good direction). The most robust policy is the one with the smallest worst-case regret (Savage's
minimax regret); ties go to the smaller mean regret.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.decide.discover import run_worlds, world_jobs, worlds
from sim.decide.problem import RobustProblem
from sim.experiment.jobs import params_hash
from sim.kpis import KPIS


@dataclass
class RobustResult:
    """What a robustness check produced: one row a policy, one row a (world, policy), and the runs."""

    policies: pd.DataFrame
    regret: pd.DataFrame
    runs: pd.DataFrame
    elapsed_s: float

    @property
    def most_robust(self) -> str:
        """The policy with the smallest worst-case regret."""
        return str(self.policies.iloc[0]["policy"])


def robust_jobs(problem: RobustProblem) -> list[Any]:
    """Every policy's runs in every world, validated before anything runs."""
    if problem.posterior is not None:
        from sim.calibrate.run import load_posterior_draws

        points = load_posterior_draws(problem.posterior, problem.samples, problem.seed)
    else:
        points = worlds(problem.uncertainties, problem.samples, problem.seed)
    return world_jobs(list(problem.policies), points, problem.replications, problem.weeks, problem.seed)


def robust(problem: RobustProblem, executor: Any, out: Path, resume: bool = False,
           progress: bool = True) -> RobustResult:
    """Run every policy in every world and write ``robust.csv``, ``regret.csv`` and ``runs.parquet``.

    Computation only: :func:`sim.report.decide_figures.plot_regret` draws the figure.
    """
    spec = {"kind": "robust", "policies": [params_hash(p.params.model_dump()) for p in problem.policies],
            "samples": problem.samples, "replications": problem.replications, "weeks": problem.weeks,
            "seed": problem.seed, "posterior": str(problem.posterior),
            "uncertainties": {d.name: [d.low, d.high, list(d.choices)] for d in problem.uncertainties}}
    runs, elapsed = run_worlds(robust_jobs(problem), spec, out, executor, resume, progress)
    regret = regret_table(runs, problem.kpi)
    table = policy_table(regret, problem.kpi)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "robust.csv", index=False)
    regret.to_csv(out / "regret.csv", index=False)
    runs.to_parquet(out / "runs.parquet", index=False)
    return RobustResult(table, regret, runs, elapsed)


def regret_table(runs: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """One row a (world, policy): the policy's mean KPI in that world and its regret against the world's best."""
    sign = KPIS[kpi].better
    means = runs.groupby(["point", "scenario"], sort=False)[kpi].mean().rename("value").reset_index()
    best = means.groupby("point")["value"].transform(lambda v: v.max() if sign > 0 else v.min())
    means["regret"] = (best - means["value"]) * sign
    return means.rename(columns={"point": "world", "scenario": "policy"})


def policy_table(regret: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """Per policy: mean, worst decile, mean and maximum regret, share of worlds where it is best; most robust
    (smallest maximum regret) first."""
    sign = KPIS[kpi].better
    rows = []
    for name, sub in regret.groupby("policy", sort=False):
        v = np.sort(sub["value"].to_numpy(float) * sign)  # ascending in goodness: the worst worlds first
        tail = v[:max(1, int(np.ceil(0.1 * len(v))))] * sign
        rows.append({"policy": name, "kpi": kpi, "mean": float(sub["value"].mean()), "worst_decile": float(tail.mean()),
                     "mean_regret": float(sub["regret"].mean()), "max_regret": float(sub["regret"].max()),
                     "best_share": float((sub["regret"] <= 0).mean()), "worlds": len(sub)})
    table = pd.DataFrame(rows).sort_values(["max_regret", "mean_regret"], kind="stable").reset_index(drop=True)
    table["most_robust"] = table.index == 0
    return table
