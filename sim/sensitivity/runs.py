"""Sensitivity analysis of the model itself, evaluated through the experiment runner.

Every sample point is run ``replications`` times (replication k of every point
shares a seed: common random numbers), outputs are averaged per point, and the
share of the averaged output's variance that is seed noise is reported. Resume,
progress and executors (processes, Dask) come from the runner.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.experiment.jobs import Job, job_seed
from sim.experiment.runner import run_jobs
from sim.experiment.store import Store
from sim.experiment.tidy import write_parquet
from sim.scenario import Scenario, load_scenario
from sim.sensitivity.core import analyse, indices_table, noise_share, residual_noise_variance, sample
from sim.sensitivity.problem import Problem


@dataclass
class SensitivityResult:
    """Tables an analysis produced."""

    indices: pd.DataFrame
    noise: pd.DataFrame
    convergence: pd.DataFrame
    runs: pd.DataFrame
    elapsed_s: float
    n_runs: int


def sensitivity_jobs(problem: Problem, X: np.ndarray, replications: int, root_seed: int,
                     base: Scenario | None = None) -> list[Job]:
    """One job per (sample point, replication), validated before anything runs.

    ``base`` is the scenario every point starts from (default: the problem's, without overrides).
    """
    base = base or load_scenario(problem.scenario)
    jobs = []
    for i, row in enumerate(X):
        values = problem.values(row)
        try:
            params = base.params.replace(**values).model_dump()
        except ValueError as e:
            raise UserError(f"sample point {i} ({values}) is not a valid parameter set for scenario "
                            f"{problem.scenario!r}: {e}") from None
        jobs += [Job(label=problem.path.stem if problem.path else "problem", params=params, replication=k,
                     seed=job_seed(root_seed, k), weeks=problem.weeks, point=i, keep_series=False, tags=values)
                 for k in range(replications)]
    return jobs


def run_sensitivity(problem: Problem, method: str, n: int, replications: int, root_seed: int, executor: Any,
                    out: Path, resume: bool = False, progress: bool = True,
                    base: Scenario | None = None) -> SensitivityResult:
    """Sample, run through the runner, analyse every KPI, and write the tables into ``out``.

    Computation only: :func:`sim.sensitivity.plots.write_figures` draws the figures from the result.
    """
    if replications < 1:
        raise UserError(f"--replications must be at least 1, got {replications}.")
    X = sample(problem, method, n, root_seed)
    jobs = sensitivity_jobs(problem, X, replications, root_seed, base)
    t0 = time.perf_counter()
    with Store(out) as store:  # holds the folder's lock while runs are written
        store.open({"kind": "sensitivity", "problem": str(problem.path), "method": method, "n": n,
                    "replications": replications, "root_seed": root_seed, "jobs": len(jobs),
                    "first_job": jobs[0].id, "last_job": jobs[-1].id}, resume)
        records = run_jobs(jobs, store, executor, progress=progress, desc="sensitivity runs")
    elapsed = time.perf_counter() - t0
    keys = list(problem.kpis)
    Y = np.full((len(keys), X.shape[0], replications), np.nan)
    for r in records:
        Y[:, r["point"], r["replication"]] = [np.nan if r["kpis"][k] is None else r["kpis"][k] for k in keys]
    indices = indices_table(problem, X, Y, keys, method, root_seed)
    noise = pd.DataFrame({"kpi": keys, "noise_share": [noise_share(Y[j]) for j in range(len(keys))],
                          "single_run_noise_share": [_single_run_noise(Y[j]) for j in range(len(keys))]})
    conv = convergence(problem, X, Y, keys, method, n, root_seed)
    runs = pd.DataFrame([{"point": r["point"], "replication": r["replication"], "seed": r["seed"], **r["tags"],
                          **{k: r["kpis"][k] for k in keys}} for r in records])
    out.mkdir(parents=True, exist_ok=True)
    indices.drop(columns="noise_share").to_csv(out / "indices.csv", index=False)
    noise.to_csv(out / "noise.csv", index=False)
    conv.to_csv(out / "convergence.csv", index=False)
    write_parquet(runs, out / "runs.parquet", "runs")
    return SensitivityResult(indices, noise, conv, runs, elapsed, len(jobs))


def _single_run_noise(Y: np.ndarray) -> float:
    """Share of a single run's variance that is seed noise (before averaging replications)."""
    total = Y.reshape(-1).var(ddof=1)
    noise = residual_noise_variance(Y)
    return float(min(1.0, noise / total)) if total > 0 and np.isfinite(noise) else float("nan")


def convergence(problem: Problem, X: np.ndarray, Y: np.ndarray, keys: list[str], method: str, n: int,
                seed: int) -> pd.DataFrame:
    """Indices recomputed on the first N/4 and N/2 base samples (or trajectories) and on all N."""
    per = X.shape[0] // n  # rows per base sample (Sobol: D + 2) or per trajectory (Morris: D + 1)
    frames = []
    for m in sorted({max(2, n // 4), max(2, n // 2), n}):
        rows = m * per
        for j, key in enumerate(keys):
            df = analyse(problem, X[:rows], Y[j, :rows].mean(axis=1), method, seed, key)
            df.insert(0, "n", m)
            frames.append(df)
    return pd.concat(frames, ignore_index=True)
