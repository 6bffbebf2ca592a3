"""Multi-objective search over levers with Optuna's NSGA-II, every candidate evaluated through the one runner.

A candidate (one Optuna trial) is a setting of the searched levers on the base scenario. It runs
``replications`` times; replication k of every candidate uses seed ``job_seed(seed, k)`` (common random
numbers), and each objective is the KPI's mean over the replications. Candidates are asked a generation at
a time and their runs go to the executor together, so a process pool or a Dask cluster works in parallel.

Reproducible and resumable: the study lives in ``DIR/study.db`` (Optuna's SQLite storage) and the runs in
the experiment store. Each generation is sampled by a sampler seeded from (seed, generation), so the same
seed gives the same candidates whatever the executor, and a resumed study continues as if never stopped
(trials asked but not told when it was killed are evaluated first, their finished runs read back).

The Pareto set's best candidates are then run again on fresh seeds (replications numbered after the first
pass, still shared between candidates): selecting the best of noisy estimates favours lucky ones, so the
first-pass estimate of a winner is biased towards looking good (the winner's curse) and the re-evaluation
shows by how much.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from sim.decide.problem import Dimension, OptimizeProblem
from sim.errors import UserError
from sim.experiment.jobs import Job, job_seed, params_hash
from sim.experiment.runner import run_jobs
from sim.experiment.store import Store
from sim.experiment.tables import runs_frame
from sim.kpis import KPIS
from sim.stats import mean_ci

STUDY = "salesim-optimize"
FIRST_PASS = "first pass"
REEVALUATED = "re-evaluated"


@dataclass
class OptimizeResult:
    """What an optimisation produced: every candidate, the Pareto set, the re-evaluation and the runs."""

    trials: pd.DataFrame
    pareto: pd.DataFrame
    reevaluation: pd.DataFrame
    runs: pd.DataFrame
    elapsed_s: float
    n_runs: int


def distributions(levers: tuple[Dimension, ...]) -> dict[str, Any]:
    """Optuna's search space for the levers: floats, whole numbers or categories."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out: dict[str, Any] = {}
    for d in levers:
        if d.choices:
            out[d.name] = CategoricalDistribution(list(d.choices))
        elif d.integer:
            out[d.name] = IntDistribution(int(d.low or 0), int(d.high or 0))
        else:
            out[d.name] = FloatDistribution(float(d.low or 0.0), float(d.high or 0.0))
    return out


def candidate_jobs(problem: OptimizeProblem, number: int, values: dict[str, Any], first: int,
                   replications: int) -> list[Job] | None:
    """The runs of one candidate (replications ``first`` .. ``first + replications - 1``), or None when the
    levers together make a parameter set the model refuses (a cross-field rule)."""
    try:
        params = problem.base.params.replace(**values).model_dump()
    except ValidationError:
        return None
    return [Job(label="candidate", params=params, replication=k, seed=job_seed(problem.seed, k), weeks=problem.weeks,
                point=number, keep_series=False, tags={"trial": number, **values})
            for k in range(first, first + replications)]


def spec(problem: OptimizeProblem) -> dict[str, Any]:
    """What identifies the study for ``--resume`` (not its budget: more trials may be added later)."""
    return {"kind": "optimize", "base": params_hash(problem.base.params.model_dump()), "weeks": problem.weeks,
            "replications": problem.replications, "seed": problem.seed, "population": problem.population,
            "objectives": list(problem.objectives),
            "levers": {d.name: [d.low, d.high, list(d.choices)] for d in problem.levers}}


def optimize(problem: OptimizeProblem, executor: Any, out: Path, resume: bool = False,
             progress: bool = True) -> OptimizeResult:
    """Run (or continue) the search, re-evaluate the top candidates, and write the tables into ``out``.

    Computation only: :func:`sim.report.decide_figures.plot_pareto` and ``plot_reevaluation`` draw the figures.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    db = out / "study.db"
    t0 = time.perf_counter()
    with Store(out) as store:
        store.open(spec(problem), resume)
        if db.exists() and not resume:
            raise UserError(f"{out} already holds an optimisation study (study.db). Add --resume to continue it, "
                            "or choose another --out.")
        study = optuna.create_study(study_name=STUDY, storage=f"sqlite:///{db}", directions=list(problem.directions),  # type: ignore[arg-type]
                                    load_if_exists=True)
        _search(problem, study, store, executor, progress)
        trials = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
        jobs = [j for t in trials for j in candidate_jobs(problem, t.number, t.params, 0, problem.replications) or []]
        runs = runs_frame(run_jobs(jobs, store, executor, progress=False), label="stage")
        pareto_numbers = {t.number for t in study.best_trials}
        table = trials_table(problem, runs, trials, pareto_numbers)
        pareto = table[table["pareto"]].sort_values(f"{problem.objectives[0]}_mean",
                                                    ascending=problem.directions[0] == "minimize")
        top = pareto["trial"].head(problem.top).tolist()
        re_jobs = [j for n in top for j in candidate_jobs(problem, n, _values(table, n, problem), problem.replications,
                                                          problem.reevaluate_replications) or []]
        re_runs = runs_frame(run_jobs(re_jobs, store, executor, progress=progress, desc="re-evaluation"),
                             label="stage")
    elapsed = time.perf_counter() - t0
    runs["stage"], re_runs["stage"] = FIRST_PASS, REEVALUATED
    reevaluation = reevaluation_table(problem, runs, re_runs, top)
    all_runs = pd.concat([runs, re_runs], ignore_index=True).rename(columns={"point": "trial_number"})
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "trials.csv", index=False)
    pareto.to_csv(out / "pareto.csv", index=False)
    reevaluation.to_csv(out / "reevaluation.csv", index=False)
    all_runs.to_parquet(out / "runs.parquet", index=False)
    return OptimizeResult(table, pareto, reevaluation, all_runs, elapsed, len(jobs) + len(re_jobs))


def _search(problem: OptimizeProblem, study: Any, store: Store, executor: Any, progress: bool) -> None:
    """Ask a generation, run its candidates through the runner, tell the means; until the budget is spent."""
    import optuna
    from optuna.trial import TrialState

    space = distributions(problem.levers)
    generations = -(-problem.trials // problem.population)
    while True:
        existing = study.get_trials(deepcopy=False)
        batch = [(t.number, t.params) for t in existing if t.state == TrialState.RUNNING]  # killed mid-generation
        if not batch:
            if len(existing) >= problem.trials:
                return
            generation = len(existing) // problem.population
            study.sampler = optuna.samplers.NSGAIISampler(population_size=problem.population,
                                                          seed=job_seed(problem.seed, generation, point=1) % 2**32)
            n = min(problem.population, problem.trials - len(existing))
            asked = [study.ask(space) for _ in range(n)]
            batch = [(t.number, t.params) for t in asked]
        else:
            generation = batch[0][0] // problem.population
        per = {n: candidate_jobs(problem, n, v, 0, problem.replications) for n, v in batch}
        jobs = [j for js in per.values() for j in js or []]
        records = run_jobs(jobs, store, executor, progress=progress,
                           desc=f"generation {generation + 1}/{generations}")
        by_trial: dict[int, list[dict[str, Any]]] = {}
        for r in records:
            by_trial.setdefault(r["point"], []).append(r)
        for n, _ in batch:
            values = _objective_means(problem, by_trial.get(n, []))
            if values is None:
                study.tell(n, state=TrialState.FAIL)
            else:
                study.tell(n, values)


def _objective_means(problem: OptimizeProblem, records: list[dict[str, Any]]) -> list[float] | None:
    """Each objective's mean over a candidate's replications; None if it has no runs or an undefined KPI."""
    if not records:
        return None
    means = [float(np.mean([_number(r["kpis"][k]) for r in records])) for k in problem.objectives]
    return means if all(np.isfinite(means)) else None


def _number(x: Any) -> float:
    return float("nan") if x is None else float(x)


def _values(table: pd.DataFrame, number: int, problem: OptimizeProblem) -> dict[str, Any]:
    row = table[table["trial"] == number].iloc[0]
    return {d.name: _plain(row[d.name]) for d in problem.levers}


def _plain(x: Any) -> Any:
    """A NumPy scalar as the Python value the parameter declaration expects."""
    return x.item() if isinstance(x, np.generic) else x


def trials_table(problem: OptimizeProblem, runs: pd.DataFrame, trials: list[Any],
                 pareto: set[int]) -> pd.DataFrame:
    """One row a candidate: its levers, generation, state, each objective's mean and 95 % interval, Pareto flag."""
    rows = []
    for t in sorted(trials, key=lambda t: t.number):
        row: dict[str, Any] = {"trial": t.number, "generation": t.system_attrs.get(_generation_key()),
                               "state": t.state.name.lower(), **{d.name: t.params.get(d.name) for d in problem.levers}}
        sub = runs[runs["point"] == t.number] if len(runs) else runs
        for k in problem.objectives:
            m, lo, hi = mean_ci(sub[k].to_numpy(float)) if len(sub) else (np.nan,) * 3
            row.update({f"{k}_mean": m, f"{k}_ci_low": lo, f"{k}_ci_high": hi})
        row["pareto"] = t.number in pareto
        rows.append(row)
    return pd.DataFrame(rows)


def reevaluation_table(problem: OptimizeProblem, first: pd.DataFrame, again: pd.DataFrame,
                       top: list[int]) -> pd.DataFrame:
    """Per top candidate and objective: first-pass and re-evaluated mean with intervals, and the optimism
    (how much better the first pass looked, in the objective's good direction)."""
    rows = []
    for rank, n in enumerate(top, start=1):
        a, b = first[first["point"] == n], again[again["point"] == n]
        for k in problem.objectives:
            m1, lo1, hi1 = mean_ci(a[k].to_numpy(float))
            m2, lo2, hi2 = mean_ci(b[k].to_numpy(float))
            rows.append({"rank": rank, "trial": n, "objective": k, "direction": KPIS[k].direction,
                         "first_mean": m1, "first_ci_low": lo1, "first_ci_high": hi1, "first_replications": len(a),
                         "reevaluated_mean": m2, "reevaluated_ci_low": lo2, "reevaluated_ci_high": hi2,
                         "reevaluated_replications": len(b), "optimism": (m1 - m2) * KPIS[k].better})
    return pd.DataFrame(rows)


def _generation_key() -> str:
    """The trial system attribute in which NSGA-II records a trial's generation."""
    import optuna

    return str(optuna.samplers.NSGAIISampler._get_generation_key())
