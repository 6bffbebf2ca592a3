"""Approximate Bayesian computation (ABC-SMC, pyABC) of the behavioural assumptions against the targets.

pyABC supplies the algorithm and its SQLite history, from which a killed
calibration resumes without losing finished generations. Particles are
evaluated by :class:`~sim.calibrate.sampler.RunnerSampler` on the project's
executors (one process, local processes or Dask), and each particle's model
runs are :class:`~sim.experiment.jobs.Job` s run by the runner's own
``run_job``, seeded by :func:`~sim.experiment.jobs.job_seed` from the root
seed, the replication and the particle's parameter values, so the same
calibration gives the same numbers on any executor and worker count.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.calibrate.kernel import WidthScaledNormalTransition
from sim.calibrate.sampler import RunnerSampler
from sim.calibrate.targets import Calibration
from sim.errors import UserError
from sim.experiment.jobs import Job, job_seed
from sim.experiment.worker import run_job
from sim.params import Params
from sim.scenario import Scenario, load_scenario


def particle_point(theta: dict[str, float]) -> int:
    """The design-point key of a particle: a 48-bit hash of its parameter values (canonical JSON)."""
    text = json.dumps({k: float(v) for k, v in sorted(theta.items())})
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


@dataclass
class Simulator:
    """pyABC model: parameter values in, the targets' KPIs out (picklable for process and Dask workers).

    Each replication is a runner job (``keep_series`` off) seeded ``job_seed(root_seed, k, point)``, so a
    particle's runs are the runs ``salesim compare`` would make of the same parameters at that point.
    """

    base: dict[str, Any]
    weeks: int
    kpis: tuple[str, ...]
    replications: int
    root_seed: int

    def jobs(self, theta: dict[str, float]) -> list[Job]:
        """The runs that evaluate one particle."""
        values = {k: float(v) for k, v in dict(theta).items()}
        params = Params(**{**self.base, **values}).model_dump()
        point = particle_point(values)
        return [Job(label="particle", params=params, replication=k, seed=job_seed(self.root_seed, k, point),
                    weeks=self.weeks, keep_series=False, tags=values) for k in range(self.replications)]

    def __call__(self, theta: dict[str, float]) -> dict[str, float]:
        rows = [run_job(j)["kpis"] for j in self.jobs(theta)]
        return {k: float(np.mean([np.nan if r[k] is None else r[k] for r in rows])) for k in self.kpis}


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


def make_sampler(workers: int | None, scheduler: str | None, dask_local: bool) -> tuple[RunnerSampler, Any]:
    """The sampler for the command-line options and the executor it runs on (reuse it for the other runs)."""
    from sim.experiment.executors import make_executor

    executor = make_executor(workers, scheduler, dask_local)
    return RunnerSampler(executor), executor


def run_abc(cal: Calibration, out: Path, population: int, generations: int, sampler: Any, root_seed: int,
            replications: int = 1, min_epsilon: float = 0.0, resume: bool = False,
            base: Scenario | None = None, verbose: bool = True, problem: dict[str, Any] | None = None):
    """Run (or continue) ABC-SMC; return pyABC's History. The database is ``out/abc.db``.

    ``problem``, when given, is recorded as ``out/problem.json`` once the database check has passed,
    so a later ``--resume`` can refuse a different problem.
    """
    import pyabc

    check_population(population, len(cal.priors), generations)
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
    widths = {k: hi - lo for k, (lo, hi) in cal.priors.items()}
    distance = RangeDistance({t.kpi: (t.low, t.high) for t in cal.targets})
    if isinstance(sampler, RunnerSampler):
        sampler.root_seed = root_seed
    with _global_seed(root_seed):  # pyABC also draws in this process (e.g. the first generation's epsilon)
        return _run(pyabc.ABCSMC(simulate, prior, distance, population_size=population, sampler=sampler,
                                 transitions=WidthScaledNormalTransition(widths)),
                    db, existing, out, observed, generations, min_epsilon, resume, problem)


def check_population(population: int, n_parameters: int, generations: int) -> None:
    """Refuse a population too small to estimate the perturbation kernel of generations after the first.

    pyABC perturbs particles with a normal kernel whose covariance is the weighted covariance of the
    last population; fewer than ``n_parameters + 1`` particles cannot span the parameter space, the
    kernel is singular, and a proposal gets zero density (a weight of infinity) a few generations on.
    """
    if generations > 1 and population <= n_parameters:
        raise UserError(
            f"--population {population} is too small for {n_parameters} calibrated parameters: from the second "
            f"generation on, ABC-SMC perturbs particles with a normal kernel estimated from the population, and "
            f"{population} particles cannot span {n_parameters} dimensions. Use --population {n_parameters + 1} "
            f"or more (about {10 * n_parameters} or more for a usable posterior), or --generations 1.")


@contextmanager
def _global_seed(root_seed: int) -> Iterator[None]:
    """Seed NumPy's global generator for pyABC, then give the caller back the state it had."""
    saved = np.random.get_state()
    np.random.seed(root_seed % 2**32)
    try:
        yield
    finally:
        np.random.set_state(saved)


def finished_generations(out: Path) -> int:
    """How many generations the calibration in ``out`` has stored (pyABC commits each one when it ends)."""
    import sqlite3

    db = out / "abc.db"
    if not db.is_file():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as c:
            return int(c.execute("select count(*) from populations where t >= 0").fetchone()[0])
    except sqlite3.Error:
        return 0


def _run(abc: Any, db: str, existing: bool, out: Path, observed: dict[str, float], generations: int,
         min_epsilon: float, resume: bool, problem: dict[str, Any] | None):
    """Start a new history or continue the one in ``out``; return pyABC's History."""
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
