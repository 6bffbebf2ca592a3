"""Approximate Bayesian computation (ABC-SMC, pyABC) of the behavioural assumptions against the targets.

pyABC supplies the algorithm, its samplers (one process, local processes, or a
Dask cluster) and its SQLite history, from which a killed calibration resumes
without losing finished generations. Each particle is one model run at the
flagship size (or replications averaged); its seed derives from the particle's
parameter values and the root seed, so the same run is the same everywhere.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.calibrate.targets import Calibration
from sim.errors import UserError
from sim.experiment.jobs import job_seed
from sim.scenario import Scenario, load_scenario


def particle_seed(theta: dict[str, float], root_seed: int, replication: int = 0) -> int:
    """A model seed determined by the particle's values, the root seed and the replication."""
    text = json.dumps({k: float(v) for k, v in sorted(theta.items())})
    key = int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)
    return job_seed(root_seed * 1_000_003 + key % 1_000_003, replication)


@dataclass
class Simulator:
    """pyABC model: parameter values in, the targets' KPIs out (picklable for process and Dask samplers)."""

    base: dict[str, Any]
    weeks: int
    kpis: tuple[str, ...]
    replications: int
    root_seed: int

    def __call__(self, theta: dict[str, float]) -> dict[str, float]:
        from sim.model import SalesModel
        from sim.params import Params

        values = {k: float(v) for k, v in dict(theta).items()}
        params = Params(**{**self.base, **values})
        rows = [SalesModel(params, rng=particle_seed(values, self.root_seed, k)).run(self.weeks).kpis()
                for k in range(self.replications)]
        return {k: float(np.mean([r[k] for r in rows])) for k in self.kpis}


NAN_MISS = 3.0  # range widths; how far outside its range a KPI with no value counts (assumption)


@dataclass
class RangeDistance:
    """How far a simulation lies outside the targets' ranges, each miss scaled by its range's width.

    Zero when every KPI is inside its range: published figures are ranges, not points, so ABC
    looks for the parameters that reproduce all of them at once (epsilon can reach zero).
    """

    ranges: dict[str, tuple[float, float]]

    def __call__(self, x: dict[str, float], x0: dict[str, float]) -> float:
        total = 0.0
        for k, (lo, hi) in self.ranges.items():
            value = x[k]
            # a KPI with no value (NaN: the run never saw the event it measures) cannot match a
            # published figure: it counts as a miss of NAN_MISS range widths, finite so ABC can rank it
            miss = NAN_MISS * (hi - lo) if not np.isfinite(value) else max(lo - value, 0.0, value - hi)
            total += (miss / (hi - lo)) ** 2
        return float(total)


def _quiet_pyabc() -> None:
    for name in ("ABC", "ABC.History", "ABC.Sampler", "ABC.Distance", "ABC.Epsilon", "ABC.Population"):
        logging.getLogger(name).setLevel(logging.WARNING)


def make_sampler(workers: int | None, scheduler: str | None, dask_local: bool):
    """pyABC sampler for the command-line options: one process, local processes, or Dask."""
    import pyabc

    if scheduler or dask_local:
        from sim.experiment.executors import DaskExecutor

        ex = DaskExecutor(scheduler, workers)
        return pyabc.sampler.DaskDistributedSampler(dask_client=ex.client, batch_size=4), ex
    if workers == 1:
        return pyabc.sampler.SingleCoreSampler(), None
    return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers), None


def run_abc(cal: Calibration, out: Path, population: int, generations: int, sampler: Any, root_seed: int,
            replications: int = 1, min_epsilon: float = 0.0, resume: bool = False,
            base: Scenario | None = None, verbose: bool = True, problem: dict[str, Any] | None = None):
    """Run (or continue) ABC-SMC; return pyABC's History. The database is ``out/abc.db``.

    ``problem``, when given, is recorded as ``out/problem.json`` once the database check has passed,
    so a later ``--resume`` can refuse a different problem.
    """
    import pyabc

    if not verbose:
        _quiet_pyabc()
    base = base or load_scenario(cal.scenario)
    db_file = out / "abc.db"
    existing = db_file.exists()  # decided before the folder is made: an abc.db appearing meanwhile is not a run
    out.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{db_file}"
    observed = {t.kpi: t.value for t in cal.targets}
    prior = pyabc.Distribution(**{k: pyabc.RV("uniform", lo, hi - lo) for k, (lo, hi) in cal.priors.items()})
    simulate = Simulator(base.params.model_dump(), cal.weeks, tuple(observed), replications, root_seed)
    distance = RangeDistance({t.kpi: (t.low, t.high) for t in cal.targets})
    np.random.seed(root_seed % 2**32)
    abc = pyabc.ABCSMC(simulate, prior, distance, population_size=population, sampler=sampler)
    if existing:
        if not resume:
            raise UserError(f"{out} already holds a calibration (abc.db). Add --resume to continue it, or choose "
                            "another --out.")
        _record(out, problem)
        history = abc.load(db, 1)
        done = history.max_t + 1
        if done >= generations:
            return history
        return abc.run(minimum_epsilon=min_epsilon, max_nr_populations=generations - done)
    _record(out, problem)
    abc.new(db, observed)
    return abc.run(minimum_epsilon=min_epsilon, max_nr_populations=generations)


def _record(out: Path, problem: dict[str, Any] | None) -> None:
    if problem is not None:
        from sim.calibrate.fingerprint import record

        record(out, problem)
