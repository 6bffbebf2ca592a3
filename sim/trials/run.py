"""Running a trial: each replication randomises units inside one firm, treats some, and measures both arms.

Treated and control units share the firm (the same reps, operations and market), as in a field trial.
Replication k runs the trial's scenario with seed k of the root seed and redraws the randomisation from
it. Runs go through the one runner (:func:`sim.experiment.runner.run_jobs`), so executors, the store and
``--resume`` work as for comparisons. Effects come with intervals that respect clustering: accounts are
worked by reps, so the unit of independent information is a rep's book in one replication.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.stats import mean_ci
from sim.trials.spec import TrialSpec

# Where the randomisation's random numbers come from: a child of the run's seed that no model stream uses.
_ASSIGNMENT_KEY = 0x7121A1
BOOTSTRAP_DRAWS = 2000


def assign(strata: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Treat ``share`` of the units within each stratum (rounded down, at least one where two or more), at random."""
    treated = np.zeros(strata.size, bool)
    order = np.lexsort((rng.random(strata.size), strata))
    start = 0
    for count in np.bincount(strata)[np.unique(strata)] if strata.size else []:
        group = order[start:start + count]
        k = int(math.floor(share * count)) or (1 if count >= 2 else 0)
        treated[group[:k]] = True
        start += count
    return treated


def _strata(model: Any, units: np.ndarray, how: str) -> np.ndarray:
    """Stratum of each unit: its rep, its size tercile, its known NPS class (unknown as its own), or one."""
    a = model.acc
    if how == "rep":
        return a.rep[units].astype(np.int64)
    if how == "size":
        spend = a.spend_of(units)
        return np.searchsorted(np.quantile(spend, [1 / 3, 2 / 3]), spend, side="right").astype(np.int64)
    if how == "nps":
        score = a.known_score[units]
        return np.where(score < 0, 0, np.where(score <= 6, 1, np.where(score <= 8, 2, 3))).astype(np.int64)
    return np.zeros(units.size, np.int64)


def run_replication(params: dict[str, Any], seed: int, design: dict[str, Any], weeks: int) -> dict[str, Any]:
    """One trial replication: rows per (rep, arm) of the outcomes, and cumulative churn by week per arm."""
    from sim.model import SalesModel
    from sim.params import Params

    model = SalesModel(Params(**params), rng=seed)
    start, duration, observe = design["start_week"], design["duration_weeks"], design["observe_weeks"]
    model.run(start)
    a = model.acc
    units = np.flatnonzero(a.active)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_ASSIGNMENT_KEY,)))
    treated = assign(_strata(model, units, design["stratify"]), design["share_treated"], rng)
    rep = a.rep[units].astype(np.int64)
    gone = np.zeros(units.size, bool)
    churn_by_week: dict[str, list[float]] = {"treated": [], "control": []}
    for w in range(observe):
        if w == 0 and design["kind"] == "contact":
            a.follow_up[units[treated]] = True
        a.campaign[units[treated]] = design["kind"] == "pitch" and w < duration
        model.step()
        gone |= ~a.active[units]
        churn_by_week["treated"].append(float(gone[treated].mean()) if treated.any() else math.nan)
        churn_by_week["control"].append(float(gone[~treated].mean()) if (~treated).any() else math.nan)
    a.campaign[:] = False
    model.run(max(0, weeks - start - observe))
    outcome = {"churn": gone.astype(float),
               "spend": np.where(gone, 0.0, a.spend_of(units)),
               "satisfaction": np.where(gone, np.nan, a.sat[units])}
    rows = []
    for r in np.unique(rep):
        for arm, mask in (("treated", treated), ("control", ~treated)):
            sel = mask & (rep == r)
            if not sel.any():
                continue
            row = {"rep": int(r), "arm": arm, "units": int(sel.sum())}
            for name in design["outcomes"]:
                vals = outcome[name][sel]
                row[name] = float(np.nanmean(vals)) if np.isfinite(vals).any() else None
            rows.append(row)
    return {"rows": rows, "churn_by_week": churn_by_week}


@dataclass
class TrialResult:
    """A trial's tidy tables: rows per (replication, rep, arm), the effect per outcome, churn over time."""

    rows: pd.DataFrame
    effect: pd.DataFrame
    over_time: pd.DataFrame
    spec: TrialSpec
    replications: int
    seed: int


def trial_jobs(spec: TrialSpec, replications: int, root_seed: int) -> list[Any]:
    """The runner's jobs: one per replication, each carrying the design."""
    from sim.experiment.jobs import Job, job_seed

    params = spec.scenario.params.model_dump()
    return [Job(label=f"trial-{spec.scenario.name}", params=params, replication=k, seed=job_seed(root_seed, k),
                weeks=spec.weeks, keep_series=False, trial=spec.to_dict()) for k in range(replications)]


def run_trial(spec: TrialSpec, replications: int = 20, seed: int = 1, executor: Any = None,
              out: Path | None = None, resume: bool = False, progress: bool = False) -> TrialResult:
    """Run (or resume) a trial and return its tables; with ``out``, also write them (Parquet, CSV, JSON)."""
    import tempfile

    from sim.experiment.executors import SerialExecutor
    from sim.experiment.runner import run_jobs
    from sim.experiment.store import Store

    jobs = trial_jobs(spec, replications, seed)
    executor = executor or SerialExecutor()
    folder = out or Path(tempfile.mkdtemp(prefix="salesim-trial-"))
    with Store(folder) as store:
        store.open({"kind": "trial", "title": spec.title, "design": spec.to_dict(), "scenario": spec.scenario.name,
                    "replications": replications, "root_seed": seed, "jobs": [j.id for j in jobs]}, resume)
        records = run_jobs(jobs, store, executor, progress=progress, desc="trial runs")
    result = summarise(spec, records, replications, seed)
    if out is not None:
        write(result, out)
    return result


def summarise(spec: TrialSpec, records: list[dict[str, Any]], replications: int, seed: int) -> TrialResult:
    """Tidy rows, the clustered effect per outcome, and cumulative churn by week per arm."""
    rows = pd.DataFrame([{"replication": rec["replication"], "seed": rec["seed"], **row}
                         for rec in records for row in rec["trial"]["rows"]])
    effect = pd.DataFrame([_effect(rows, name, seed) for name in spec.outcomes])
    weekly = []
    for rec in records:
        for arm, values in rec["trial"]["churn_by_week"].items():
            weekly += [{"replication": rec["replication"], "arm": arm, "week": spec.start_week + i + 1,
                        "churn_so_far": v} for i, v in enumerate(values)]
    over_time = (pd.DataFrame(weekly).groupby(["week", "arm"])["churn_so_far"].mean().unstack("arm")
                 .reset_index())
    return TrialResult(rows, effect, over_time, spec, replications, seed)


def _effect(rows: pd.DataFrame, name: str, seed: int) -> dict[str, Any]:
    """Treated vs control on one outcome: pooled means, the difference over clusters (replication x rep) with a
    t interval, and the ratio of pooled means with a cluster bootstrap interval."""
    wide = rows.pivot_table(index=["replication", "rep"], columns="arm", values=[name, "units"], aggfunc="first")
    wide = wide.dropna()
    t, c = wide[(name, "treated")].to_numpy(float), wide[(name, "control")].to_numpy(float)
    nt, nc = wide[("units", "treated")].to_numpy(float), wide[("units", "control")].to_numpy(float)
    mean_t, mean_c = float(np.sum(t * nt) / nt.sum()), float(np.sum(c * nc) / nc.sum())
    diff, lo, hi = mean_ci(t - c)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_ASSIGNMENT_KEY, 1)))
    pick = rng.integers(0, t.size, (BOOTSTRAP_DRAWS, t.size))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = (np.sum(t[pick] * nt[pick], 1) / np.sum(nt[pick], 1)) / (np.sum(c[pick] * nc[pick], 1)
                                                                           / np.sum(nc[pick], 1))
    finite = ratios[np.isfinite(ratios)]
    ratio = mean_t / mean_c if mean_c > 0 else math.nan
    r_lo, r_hi = (np.quantile(finite, [0.025, 0.975]) if finite.size else (math.nan, math.nan))
    return {"outcome": name, "treated_mean": mean_t, "control_mean": mean_c, "difference": diff,
            "diff_ci_low": lo, "diff_ci_high": hi, "ratio": ratio, "ratio_ci_low": float(r_lo),
            "ratio_ci_high": float(r_hi), "clusters": int(t.size), "treated_units": int(nt.sum()),
            "control_units": int(nc.sum())}


def write(result: TrialResult, out: Path) -> None:
    """The trial's tables in ``out``: per-replication rows (Parquet), the effect (CSV), churn over time (CSV),
    the design (JSON) and the HTML report."""
    out.mkdir(parents=True, exist_ok=True)
    result.rows.to_parquet(out / "trial_rows.parquet", index=False)
    result.effect.to_csv(out / "trial_effect.csv", index=False)
    result.over_time.to_csv(out / "trial_over_time.csv", index=False)
    design = {"title": result.spec.title, "question": result.spec.question, "scenario": result.spec.scenario.name,
              "design": result.spec.to_dict(), "replications": result.replications, "root_seed": result.seed}
    (out / "trial.json").write_text(json.dumps(design, indent=2), encoding="utf-8")
    from sim.report.trial import write_trial_report

    write_trial_report(result, out)
