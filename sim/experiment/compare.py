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
from sim.experiment.summary import Answer, answer, calibration_facts, with_reference
from sim.experiment.tables import comparison_frame, runs_frame, series_frame
from sim.experiment.tidy import tidy_series, write_parquet
from sim.kpis import KPIS
from sim.params import param_info
from sim.scenario import Scenario

PAIRS_CSV = "profit_pairs.csv"  # every ordered pair's paired profit difference
RANKING_CSV = "ranking.csv"  # scenarios ranked on profit, then revenue, churn and rep turnover


@dataclass
class Comparison:
    """What a comparison produced: the tables, what was compared, and where they were written.

    ``scenarios`` describes each scenario (name, title, question, mechanisms, notice, overrides) and
    ``meta`` the run (replications, weeks, root seed, command, time, version, posterior, calibration), as
    ``meta.json`` stores them, so a report can be rendered from the folder later with any reference
    (:func:`load_comparison`, then :func:`sim.report.comparison.write_comparison_report`). ``pairs`` is
    the ranking, every pair's paired profit difference and the seed spread
    (:class:`sim.experiment.summary.Answer`).
    """

    runs: pd.DataFrame
    series: pd.DataFrame
    comparison: pd.DataFrame
    out: Path
    scenarios: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    answer: Answer | None = None


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
            draws: list[dict[str, float]] | None = None, posterior: Path | None = None) -> Comparison:
    """Run the comparison (or what is missing of it) and write its tables into ``out``.

    ``posterior`` names the calibration folder ``draws`` came from (recorded, for the report's caveats).
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
        info = [{"name": s.name, "title": s.title, "question": s.question, "mechanisms": list(s.mechanisms),
                 "notice": s.notice, "overrides": s.overrides, "burn_in_weeks": s.params.burn_in_weeks}
                for s in scenarios]
        meta = {"replications": replications, "weeks": weeks, "root_seed": root_seed, "command": command,
                "created": datetime.now(UTC).isoformat(timespec="seconds"), "elapsed_s": elapsed,
                "salesim_version": _version(), "posterior": str(posterior) if posterior is not None else None,
                "calibration": calibration_facts(scenarios, posterior if draws else None)}

        out.mkdir(parents=True, exist_ok=True)
        write_parquet(runs, out / "runs.parquet", "runs")
        write_parquet(series, out / "series.parquet", "series")
        (out / "meta.json").write_text(json.dumps({"scenarios": info, "meta": meta}, indent=2, default=str),
                                       encoding="utf-8")
        return summarise(Comparison(runs, series, pd.DataFrame(), out, info, meta), out)


def summarise(result: Comparison, out: Path) -> Comparison:
    """Compute the comparison table against the first scenario and its answer; write the CSVs into ``out``."""
    names = [str(s["name"]) for s in result.scenarios]
    result.comparison = comparison_frame(result.runs, names, list(KPIS))
    result.answer = answer(result.comparison, result.runs, names, int(result.meta.get("replications", 0)))
    result.out = out
    out.mkdir(parents=True, exist_ok=True)
    result.comparison.to_csv(out / "comparison.csv", index=False)
    result.answer.pairs.to_csv(out / PAIRS_CSV, index=False)
    result.answer.ranking.to_csv(out / RANKING_CSV, index=False)
    return result


def load_comparison(folder: Path, reference: str | None = None, out: Path | None = None) -> Comparison:
    """A stored comparison re-summarised against ``reference`` (default: its first scenario), with no rerun.

    Reads ``meta.json``, ``runs.parquet`` and ``series.parquet`` from ``folder`` and writes
    ``comparison.csv`` and the pairs into ``out`` (default ``folder``); the numbers equal those of a fresh
    :func:`compare` whose scenarios start with ``reference``.
    """
    folder = Path(folder)
    try:
        stored = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        runs = pd.read_parquet(folder / "runs.parquet")
    except FileNotFoundError as e:
        raise UserError(f"{folder} holds no finished comparison ({Path(str(e.filename)).name} is missing); give "
                        "the --out folder of a 'salesim compare' run, or finish it with --resume.") from None
    except (OSError, ValueError) as e:  # JSON or Parquet that cannot be read
        raise UserError(f"{folder}: the stored comparison cannot be read ({type(e).__name__}); run the compare "
                        "again with --resume to rewrite it.") from None
    if not isinstance(stored, dict) or not isinstance(stored.get("scenarios"), list):
        raise UserError(f"{folder}/meta.json is not a comparison's meta.json (no 'scenarios' list).")
    info = {str(s.get("name")): s for s in stored["scenarios"]}
    names = with_reference(list(info), reference)
    series_path = folder / "series.parquet"
    # tidy_series renames the weekly columns of a file written before they had distinct names; no-op otherwise
    series = tidy_series(pd.read_parquet(series_path)) if series_path.is_file() else pd.DataFrame()
    meta = {**stored.get("meta", {}), "reference": names[0]}
    return summarise(Comparison(runs, series, pd.DataFrame(), folder, [info[n] for n in names], meta),
                     out or folder)


def _version() -> str:
    from sim import __version__

    return __version__
