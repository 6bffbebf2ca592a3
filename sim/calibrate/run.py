"""The calibration pipeline: ABC-SMC, then posterior summaries, diagnostics and predictive checks on disk."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.calibrate.abc import run_abc
from sim.calibrate.report import (
    history_frame,
    plot_history,
    plot_pairs,
    plot_ppc,
    posterior_draws,
    posterior_frame,
    predictive_check,
    scenario_toml,
    summarise_posterior,
)
from sim.calibrate.targets import Calibration
from sim.scenario import Scenario, load_scenario


@dataclass
class CalibrationResult:
    """Tables a calibration produced, and where."""

    posterior: pd.DataFrame
    summary: pd.DataFrame
    history: pd.DataFrame
    ppc: pd.DataFrame
    out: Path
    elapsed_s: float


def calibrate(cal: Calibration, out: Path, population: int, generations: int, sampler: Any, executor: Any,
              root_seed: int, replications: int = 1, ppc_draws: int = 40, resume: bool = False,
              base: Scenario | None = None, verbose: bool = False,
              problem: dict[str, Any] | None = None) -> CalibrationResult:
    """Fit the priors' parameters to the targets and write every output into ``out``.

    ``problem`` is the fingerprint recorded as problem.json when ABC starts (see
    :mod:`sim.calibrate.fingerprint`). Files: abc.db (pyABC history; resumable), problem.json,
    posterior.csv, posterior_summary.csv, history.csv, ppc.csv, ppc_runs.csv, calibrated.toml. Computation
    only: :func:`write_figures` draws history.png, pairs.png and ppc.png from the result.
    """
    base = base or load_scenario(cal.scenario)
    t0 = time.perf_counter()
    history = run_abc(cal, out, population, generations, sampler, root_seed, replications, resume=resume,
                      base=base, verbose=verbose, problem=problem)
    post = posterior_frame(history)
    summary = summarise_posterior(post, cal)
    hist = history_frame(history)
    draws = posterior_draws(post, list(cal.priors), ppc_draws, root_seed)
    ppc = predictive_check(cal, base, draws, root_seed, executor, out)
    post.to_csv(out / "posterior.csv", index=False)
    summary.to_csv(out / "posterior_summary.csv", index=False)
    hist.to_csv(out / "history.csv", index=False)
    ppc.to_csv(out / "ppc.csv", index=False)
    (out / "calibrated.toml").write_text(scenario_toml(cal, summary, out.name), encoding="utf-8")
    return CalibrationResult(post, summary, hist, ppc, out, time.perf_counter() - t0)


def write_figures(result: CalibrationResult, cal: Calibration) -> list[Path]:
    """Draw a finished calibration's figures into its folder: epsilon and ESS by generation, posterior pairs,
    and the posterior-predictive check of every target."""
    out = result.out
    return [plot_history(result.history, out / "history.png"), plot_pairs(result.posterior, cal, out / "pairs.png"),
            plot_ppc(result.ppc, pd.read_csv(out / "ppc_runs.csv"), out / "ppc.png")]


def load_posterior_draws(folder: Path, n: int, seed: int) -> list[dict[str, float]]:
    """Posterior draws from a finished calibration folder, for replicating scenarios over parameter uncertainty."""
    from sim.errors import UserError

    path = Path(folder) / "posterior.csv"
    if not path.is_file():
        raise UserError(f"--posterior {folder}: no posterior.csv there; give the folder a 'salesim calibrate' run "
                        "wrote (e.g. calibration/fitted/baseline).")
    try:
        post = pd.read_csv(path)
    except (ValueError, OSError, UnicodeDecodeError) as e:  # pandas raises ParserError (a ValueError) and others
        raise UserError(f"--posterior {folder}: posterior.csv cannot be read as a table ({type(e).__name__}); "
                        "run 'salesim calibrate' again to rewrite it.") from None
    names = [c for c in post.columns if c != "weight"]
    numeric = all(pd.api.types.is_numeric_dtype(post[c]) for c in post.columns)
    w = post["weight"] if "weight" in post.columns else None
    if w is None or not names or not len(post) or not numeric or (w < 0).any() or not w.sum() > 0:
        raise UserError(f"--posterior {folder}: posterior.csv needs numeric columns, one per parameter plus "
                        "'weight' (non-negative, not all zero), as 'salesim calibrate' writes them.")
    if abs(w.sum() - 1) > 1e-9:  # weights edited by hand: normalise (left as written otherwise, for reproducibility)
        post = post.assign(weight=w / w.sum())
    return posterior_draws(post, names, n, seed)
