"""Running a trial: each replication randomises units inside one firm, treats some, and measures both arms.

Treated and control units share the firm (the same reps, operations and market), as in a field trial.
Replication k runs the trial's scenario with seed k of the root seed and redraws the randomisation from
it. Runs go through the one runner (:func:`sim.experiment.runner.run_jobs`), so executors, the store and
``--resume`` work as for comparisons. Effects come with intervals that respect clustering (see
:data:`CLUSTERS`): accounts are worked by reps, so when accounts are randomised the unit of independent
information is a rep's book in one replication; when slots or the whole firm are, it is one replication.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.tidy import write_parquet
from sim.stats import mean_ci
from sim.trials.replicate import ASSIGNMENT_KEY, REPLICATE
from sim.trials.spec import CHANGE_OUTCOMES, OUTCOME_UNITS, OUTCOMES, TrialSpec

BOOTSTRAP_DRAWS = 2000
# What each unit's effect is averaged over: a rep's book in one replication when accounts are randomised
# (a rep's accounts are not independent of each other), one replication otherwise (the slots of one firm
# share its market, and a firm-wide change has one treated unit per replication).
CLUSTERS = {"accounts": ("replication", "rep"), "reps": ("replication",), "firm": ("replication",)}
# The comparisons each unit reports: (name, treated arm, control arm).
CONTRASTS = {"accounts": (("treated - control", "treated", "control"),),
             "reps": (("treated - control", "treated", "control"),),
             "firm": (("changed - unchanged", "treated", "control"),
                      ("after - before (what the firm sees)", "treated", "before"))}
OVER_TIME = {"accounts": "share of the arm's accounts lost so far", "reps": "deal revenue per slot this week",
             "firm": "the firm's net revenue this week"}


def run_replication(params: dict[str, Any], seed: int, design: dict[str, Any], weeks: int) -> dict[str, Any]:
    """One trial replication of the design's unit (see :mod:`sim.trials.replicate`)."""
    return REPLICATE[design.get("unit", "accounts")](params, seed, design, weeks)


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
    """Tidy rows, the clustered effect per outcome and contrast, and the weekly measure per arm."""
    rows = pd.DataFrame([{"replication": rec["replication"], "seed": rec["seed"], **row}
                         for rec in records for row in rec["trial"]["rows"]])
    clusters = _clustered(rows, spec.unit, spec.outcomes)
    effect = pd.DataFrame([{"contrast": label, **_effect(clusters, name, seed, CLUSTERS[spec.unit], arm, base)}
                           for label, arm, base in CONTRASTS[spec.unit] for name in spec.outcomes])
    weekly = []
    for rec in records:
        first = rec["trial"].get("over_time_from", spec.start_week)
        for arm, values in rec["trial"]["over_time"].items():
            weekly += [{"replication": rec["replication"], "arm": arm, "week": first + i + 1, "value": v}
                       for i, v in enumerate(values)]
    over_time = pd.DataFrame(weekly).groupby(["week", "arm"])["value"].mean().unstack("arm").reset_index()
    return TrialResult(rows, effect, over_time, spec, replications, seed)


def _clustered(rows: pd.DataFrame, unit: str, outcomes: tuple[str, ...]) -> pd.DataFrame:
    """Rows per (cluster, arm): accounts' rows already are; slots are pooled per replication and arm, each
    outcome a mean weighted by the units it covers."""
    if unit == "accounts":
        return rows
    keys = [*CLUSTERS[unit], "arm"]
    out = rows.groupby(keys)["units"].sum().to_frame()
    for name in outcomes:
        valid = rows[name].notna()
        weight = rows["units"].where(valid, 0.0)
        num = (rows[name].fillna(0.0) * weight).groupby([rows[k] for k in keys]).sum()
        out[name] = num / weight.groupby([rows[k] for k in keys]).sum().replace(0.0, np.nan)
    return out.reset_index()


def _effect(rows: pd.DataFrame, name: str, seed: int, clusters: tuple[str, ...], arm: str = "treated",
            base: str = "control") -> dict[str, Any]:
    """``arm`` vs ``base`` on one outcome: pooled means, the difference over clusters with a t interval, and
    the ratio of pooled means with a cluster bootstrap interval."""
    wide = rows.pivot_table(index=list(clusters), columns="arm", values=[name, "units"], aggfunc="first")
    wide = wide.dropna()
    t, c = wide[(name, arm)].to_numpy(float), wide[(name, base)].to_numpy(float)
    nt, nc = wide[("units", arm)].to_numpy(float), wide[("units", base)].to_numpy(float)
    mean_t, mean_c = float(np.sum(t * nt) / nt.sum()), float(np.sum(c * nc) / nc.sum())
    diff, lo, hi = mean_ci(t - c)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(ASSIGNMENT_KEY, 1)))
    pick = rng.integers(0, t.size, (BOOTSTRAP_DRAWS, t.size))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = (np.sum(t[pick] * nt[pick], 1) / np.sum(nt[pick], 1)) / (np.sum(c[pick] * nc[pick], 1)
                                                                           / np.sum(nc[pick], 1))
    finite = ratios[np.isfinite(ratios)]
    if name in CHANGE_OUTCOMES:  # a change can be zero or negative: only its difference has a meaning
        finite = finite[:0]
    ratio = mean_t / mean_c if mean_c > 0 and name not in CHANGE_OUTCOMES else math.nan
    r_lo, r_hi = (np.quantile(finite, [0.025, 0.975]) if finite.size else (math.nan, math.nan))
    return {"outcome": name, "treated_mean": mean_t, "control_mean": mean_c, "difference": diff,
            "diff_ci_low": lo, "diff_ci_high": hi, "ratio": ratio, "ratio_ci_low": float(r_lo),
            "ratio_ci_high": float(r_hi), "clusters": int(t.size), "treated_units": int(nt.sum()),
            "control_units": int(nc.sum())}


def _row_meaning(unit: str) -> dict[str, dict[str, str]]:
    """What the columns of a trial's rows mean, beyond the identifiers every table shares."""
    out = {name: {"label": name, "unit": OUTCOME_UNITS[name], "definition": f"mean over the arm's units: {doc}",
                  "kind": "outcome"} for name, doc in OUTCOMES[unit].items()}
    out["arm"] = {"label": "Arm", "unit": "name", "definition": "treated or control (with unit firm also before: the "
                  "changed firm's window before the change)", "kind": "identifier"}
    out["units"] = {"label": "Units", "unit": "count", "definition": f"{unit} in this cluster and arm",
                    "kind": "identifier"}
    out["rep"] = {"label": "Rep slot", "unit": "index", "definition": "the sales slot whose book the accounts are in",
                  "kind": "identifier"}
    out["slot"] = {"label": "Sales slot", "unit": "index", "definition": "the randomised sales slot (0 for a firm)",
                   "kind": "identifier"}
    return out


def write(result: TrialResult, out: Path) -> None:
    """The trial's tables in ``out``: per-replication rows (Parquet), the effect (CSV), churn over time (CSV),
    the design (JSON) and the HTML report."""
    out.mkdir(parents=True, exist_ok=True)
    write_parquet(result.rows, out / "trial_rows.parquet", "trial_rows", _row_meaning(result.spec.unit))
    result.effect.to_csv(out / "trial_effect.csv", index=False)
    result.over_time.to_csv(out / "trial_over_time.csv", index=False)
    design = {"title": result.spec.title, "question": result.spec.question, "scenario": result.spec.scenario.name,
              "design": result.spec.to_dict(), "replications": result.replications, "root_seed": result.seed}
    (out / "trial.json").write_text(json.dumps(design, indent=2), encoding="utf-8")
    from sim.report.trial import write_trial_report

    write_trial_report(result, out)
