"""The pure function every executor runs: a job in, its KPIs (and weekly series) out.

A job that keeps no series (``Job.keep_series`` off: sensitivity analyses, calibration, decision searches) runs
its model without recording weeks at all; its KPIs are the same.
"""

from __future__ import annotations

import math
from typing import Any

from sim.experiment.jobs import Job
from sim.kpis import CHURN_CAUSES

# Weekly columns kept for reports (bands across replications).
SERIES = (
    "revenue", "revenue_potential", "revenue_lost_cum", "profit", "profit_cum", "reported_banner_close_rate",
    "true_banner_conversion", "banner_avoidance_rate", *(c.cumulative for c in CHURN_CAUSES),
    "rep_stress_mean", "nps", "active_accounts", "failure_rate", "issues_fixed", "fix_weeks", "exposure",
)


def run_job(job: Job) -> dict[str, Any]:
    """Run one job and return a plain, JSON-safe record of it."""
    from sim.model import SalesModel
    from sim.params import Params

    if job.trial is not None:
        from sim.trials.run import run_replication

        return {"id": job.id, "label": job.label, "point": job.point, "replication": job.replication,
                "seed": job.seed, "weeks": job.weeks, "tags": job.tags, "kpis": {},
                "trial": run_replication(job.params, job.seed, job.trial, job.weeks)}
    model = SalesModel(Params(**job.params), rng=job.seed, record_weekly=job.keep_series).run(job.weeks)
    kpis = {k: (v if math.isfinite(v) else None) for k, v in model.kpis().items()}
    record: dict[str, Any] = {
        "id": job.id, "label": job.label, "point": job.point, "replication": job.replication,
        "seed": job.seed, "weeks": job.weeks, "tags": job.tags, "kpis": kpis,
    }
    if job.keep_series:
        df = model.timeseries()
        record["series"] = {c: [round(float(x), 6) for x in df[c]] for c in SERIES if c in df}
    return record


def run_batch(jobs: list[Job]) -> list[dict[str, Any]]:
    """Run several jobs in one task, so short runs do not pay per-task overhead each."""
    return [run_job(j) for j in jobs]
