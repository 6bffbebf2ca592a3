"""Paired comparison of scenarios: replication k of every scenario shares a seed (common random numbers)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import UserError
from sim.experiment.jobs import Job, job_seed
from sim.experiment.runner import run_jobs
from sim.experiment.store import Store
from sim.experiment.tables import comparison_frame, runs_frame, series_frame
from sim.experiment.tidy import write_parquet
from sim.kpis import KPIS
from sim.params import param_info
from sim.scenario import Scenario


@dataclass
class Comparison:
    """What a comparison produced: the tables, what was compared, and where they were written.

    ``scenarios`` describes each scenario (name, title, question, mechanisms, notice, overrides) and
    ``meta`` the run (replications, weeks, root seed, command, time, version), as ``meta.json`` stores them,
    so a report can be rendered from the folder later (:func:`sim.report.comparison.write_comparison_report`).
    """

    runs: pd.DataFrame
    series: pd.DataFrame
    comparison: pd.DataFrame
    out: Path
    scenarios: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


def comparison_jobs(scenarios: list[Scenario], replications: int, weeks: int, root_seed: int,
                    draws: list[dict[str, float]] | None = None) -> list[Job]:
    """Every (scenario, replication) run, with seeds shared across scenarios.

    With ``draws`` (posterior draws of calibrated parameters, one per replication), replication k of
    every scenario also shares parameter draw k, so intervals carry parameter uncertainty as well as
    seed noise.
    """
    names = [s.name for s in scenarios]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise UserError(f"scenario {dup[0]!r} is named twice; each scenario may appear once in a comparison.")
    if replications < 1:
        raise UserError(f"--replications must be at least 1, got {replications}.")
    if draws is not None and len(draws) < replications:
        raise UserError(f"{len(draws)} posterior draws for {replications} replications; need one per replication.")

    def params(s: Scenario, k: int) -> dict:
        return s.params.replace(**draws[k]).model_dump() if draws else s.params.model_dump()

    return [Job(label=s.name, params=params(s, k), replication=k, seed=job_seed(root_seed, k), weeks=weeks,
                tags={"posterior_draw": k, **draws[k]} if draws else {})
            for s in scenarios for k in range(replications)]


def _levers(scenario: Scenario) -> dict[str, Any]:
    info = param_info()
    return {k: v for k, v in scenario.params.model_dump().items() if info[k].group == "lever"}


def compare(scenarios: list[Scenario], replications: int, weeks: int, root_seed: int, executor: Any,
            out: Path, resume: bool = False, progress: bool = True, command: str = "",
            draws: list[dict[str, float]] | None = None) -> Comparison:
    """Run the comparison (or what is missing of it) and write its tables into ``out``.

    Computation only: render the report with :func:`sim.report.comparison.write_comparison_report`.
    """
    jobs = comparison_jobs(scenarios, replications, weeks, root_seed, draws)
    with Store(out) as store:
        spec = {"kind": "compare", "scenarios": [s.name for s in scenarios], "replications": replications,
                "weeks": weeks, "root_seed": root_seed, "jobs": [j.id for j in jobs]}
        store.open(spec, resume)
        t0 = time.perf_counter()
        records = run_jobs(jobs, store, executor, progress=progress)
        elapsed = time.perf_counter() - t0

        levers = {s.name: _levers(s) for s in scenarios}
        runs = runs_frame(records)
        lever_cols = pd.DataFrame([levers[n] for n in runs["scenario"]], index=runs.index)
        runs = pd.concat([runs.drop(columns=["point"]), lever_cols], axis=1)
        series = series_frame(records, burn_in={s.name: s.params.burn_in_weeks for s in scenarios}).drop(
            columns=["point"])
        names = [s.name for s in scenarios]
        comp = comparison_frame(runs, names, list(KPIS))
        info = [{"name": s.name, "title": s.title, "question": s.question, "mechanisms": list(s.mechanisms),
                 "notice": s.notice, "overrides": s.overrides} for s in scenarios]
        meta = {"replications": replications, "weeks": weeks, "root_seed": root_seed, "command": command,
                "created": datetime.now(UTC).isoformat(timespec="seconds"), "elapsed_s": elapsed,
                "salesim_version": _version()}

        out.mkdir(parents=True, exist_ok=True)
        comp.to_csv(out / "comparison.csv", index=False)
        write_parquet(runs, out / "runs.parquet", "runs")
        write_parquet(series, out / "series.parquet", "series")
        (out / "meta.json").write_text(json.dumps({"scenarios": info, "meta": meta}, indent=2, default=str),
                                       encoding="utf-8")
    return Comparison(runs, series, comp, out, info, meta)


def _version() -> str:
    from sim import __version__

    return __version__
