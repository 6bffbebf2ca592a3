"""SALib sampling and analysis, independent of how the outputs were computed.

``analyze`` works on any callable ``model_fn(params, seed) -> dict[str, float]``
so the analysis can be proven on functions with known indices before it is
trusted on the model; the model path (:mod:`sim.sensitivity.model`) feeds the
same ``sample`` and ``analyse`` through the experiment runner.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import delta as delta_analyze
from SALib.analyze import morris as morris_analyze
from SALib.analyze import pawn as pawn_analyze
from SALib.analyze import rbd_fast as rbd_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from sim.errors import UserError
from sim.experiment.jobs import job_seed
from sim.sensitivity.problem import Problem, load_problem

METHODS = ("sobol", "morris")
GIVEN_DATA_METHODS = ("rbd_fast", "delta", "pawn")
MORRIS_LEVELS = 4


def as_problem(problem: Problem | dict | str | Path) -> Problem:
    """Accept a Problem, a SALib dictionary, or a problem file name or path."""
    if isinstance(problem, Problem):
        return problem
    if isinstance(problem, dict):
        return Problem.from_dict(problem)
    return load_problem(problem)


def sample(problem: Problem, method: str, n: int, seed: int) -> np.ndarray:
    """SALib sample matrix: Sobol (Saltelli scheme, first and total order) or Morris trajectories."""
    if method == "sobol":
        if n < 2 or n & (n - 1):
            raise UserError(f"--n {n}: Sobol sampling needs a power of two (e.g. 64, 128, 256, 512).")
        return sobol_sample.sample(problem.salib, n, calc_second_order=False, seed=seed)
    if method == "morris":
        if n < 2:
            raise UserError(f"--n {n}: Morris needs at least 2 trajectories.")
        return morris_sample.sample(problem.salib, n, num_levels=MORRIS_LEVELS, seed=seed)
    raise UserError(f"--method {method!r} is not known; use one of {', '.join(METHODS)}.")


def analyse(problem: Problem, X: np.ndarray, Y: np.ndarray, method: str, seed: int, kpi: str) -> pd.DataFrame:
    """Indices of one output with SALib's bootstrap confidence intervals, one row per parameter."""
    names = list(problem.names)
    X, Y = _finite_points(problem, X, Y, method)
    if Y.size == 0 or np.ptp(Y) == 0:
        empty = (["S1", "S1_conf", "ST", "ST_conf"] if method == "sobol"
                 else ["mu_star", "mu_star_conf", "sigma"])
        return pd.DataFrame({"kpi": kpi, "parameter": names, **{c: np.nan for c in empty}, "points_used": Y.size})
    if method == "sobol":
        r = sobol_analyze.analyze(problem.salib, Y, calc_second_order=False, seed=seed)
        cols = {"S1": r["S1"], "S1_conf": r["S1_conf"], "ST": r["ST"], "ST_conf": r["ST_conf"]}
    elif method == "morris":
        r = morris_analyze.analyze(problem.salib, X, Y, num_levels=MORRIS_LEVELS, seed=seed)
        cols = {"mu_star": r["mu_star"], "mu_star_conf": r["mu_star_conf"], "sigma": r["sigma"]}
    elif method == "rbd_fast":
        if len(Y) < 20:
            raise UserError(f"rbd_fast needs at least 20 runs, got {len(Y)}; use a larger sweep.")
        r = rbd_analyze.analyze(problem.salib, X, Y, M=min(10, (len(Y) - 1) // 4), seed=seed)
        cols = {"S1": r["S1"], "S1_conf": r["S1_conf"]}
    elif method == "delta":
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():  # SALib's binning notices
            warnings.simplefilter("ignore")
            r = delta_analyze.analyze(problem.salib, X, Y, seed=seed)
        d = "delta_balanced" if "delta_balanced" in r else "delta"
        cols = {"delta": r[d], "delta_conf": r[f"{d}_conf"], "S1": r["S1"], "S1_conf": r["S1_conf"]}
    elif method == "pawn":
        r = pawn_analyze.analyze(problem.salib, X, Y, seed=seed)
        cols = {"pawn_median": r["median"], "pawn_mean": r["mean"], "pawn_cv": r["CV"]}
    else:
        raise UserError(f"method {method!r} is not known; use one of {', '.join(METHODS + GIVEN_DATA_METHODS)}.")
    return pd.DataFrame({"kpi": kpi, "parameter": names, **{k: np.asarray(v, float) for k, v in cols.items()},
                         "points_used": Y.size})


def _finite_points(problem: Problem, X: np.ndarray, Y: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    """The design points an analysis can use when some outputs are NaN (a KPI with no value in that run).

    Morris keeps every whole trajectory whose points all have a value (trajectories are independent);
    the given-data methods keep every point with a value; Sobol's estimators need the whole Saltelli
    design, so any NaN leaves nothing. ``points_used`` in the result says how many points were analysed.
    """
    ok = np.isfinite(Y)
    if ok.all():
        return X, Y
    if method == "morris":
        step = len(problem.names) + 1
        whole = ok.reshape(-1, step).all(axis=1)
        if whole.sum() < 2:
            return X[:0], Y[:0]
        keep = np.repeat(whole, step)
        return X[keep], Y[keep]
    if method in GIVEN_DATA_METHODS:
        return X[ok], Y[ok]
    return X[:0], Y[:0]


def residual_noise_variance(Y_reps: np.ndarray) -> float:
    """Variance of seed noise that differs between sample points (points x replications table).

    Replication k of every point shares a seed, so part of the noise is common to all points
    and cancels between them; a two-way decomposition (point + seed + residual) keeps only the
    residual, which is the noise that can blur the indices.
    """
    P, R = Y_reps.shape
    if R < 2 or P < 2:
        return float("nan")
    resid = Y_reps - Y_reps.mean(axis=1, keepdims=True) - Y_reps.mean(axis=0, keepdims=True) + Y_reps.mean()
    return float((resid**2).sum() / ((P - 1) * (R - 1)))


def noise_share(Y_reps: np.ndarray) -> float:
    """Share of the variance of the replication-averaged output across points that is seed noise.

    ``Y_reps`` has one row per sample point and one column per replication; nan with one replication.
    """
    noise = residual_noise_variance(Y_reps)
    total = Y_reps.mean(axis=1).var(ddof=1)
    return float(min(1.0, noise / Y_reps.shape[1] / total)) if total > 0 and np.isfinite(noise) else float("nan")


def analyze(problem: Problem | dict | str | Path, model_fn: Callable[[dict[str, Any], int], dict[str, float]],
            method: str = "sobol", n: int = 256, seed: int = 0, replications: int = 1,
            outputs: list[str] | None = None) -> pd.DataFrame:
    """Sample, evaluate ``model_fn`` at every point (``replications`` seeds each, averaged) and analyse.

    Args:
        problem: a Problem, a SALib dict (names, bounds[, dists]) or a problem file.
        model_fn: ``model_fn(params: dict, seed: int) -> dict[str, float]``.
        method: "sobol" or "morris".
        n: base sample size (Sobol: a power of two) or number of Morris trajectories.
        seed: seeds the sample, the replications' seeds and the bootstrap.
        replications: seeds per sample point; outputs are averaged over them.
        outputs: which outputs to analyse (default: the problem's KPIs, else every key returned).

    Returns:
        One row per (output, parameter): S1, S1_conf, ST, ST_conf (Sobol) or mu_star, mu_star_conf,
        sigma (Morris), plus ``noise_share`` for each output.

    Example:
        >>> ishigami = lambda p, s: {"y": np.sin(p["x1"]) + 7 * np.sin(p["x2"]) ** 2
        ...                               + 0.1 * p["x3"] ** 4 * np.sin(p["x1"])}
        >>> pi = np.pi
        >>> df = analyze({"names": ["x1", "x2", "x3"], "bounds": [[-pi, pi]] * 3}, ishigami, n=512)
    """
    prob = as_problem(problem)
    X = sample(prob, method, n, seed)
    seeds = [job_seed(seed, k) for k in range(replications)]
    first = model_fn(prob.values(X[0]), seeds[0])
    keys = list(outputs or prob.kpis or first)
    Y = np.empty((len(keys), X.shape[0], replications))
    for i, row in enumerate(X):
        for k, s in enumerate(seeds):
            out = first if i == 0 and k == 0 else model_fn(prob.values(row), s)
            Y[:, i, k] = [out[key] for key in keys]
    return indices_table(prob, X, Y, keys, method, seed)


def indices_table(prob: Problem, X: np.ndarray, Y: np.ndarray, keys: list[str], method: str,
                  seed: int) -> pd.DataFrame:
    """Analyse each output of ``Y`` (outputs x points x replications) and stack the tables."""
    frames = []
    for j, key in enumerate(keys):
        df = analyse(prob, X, Y[j].mean(axis=1), method, seed, key)
        df["noise_share"] = noise_share(Y[j])
        frames.append(df)
    return pd.concat(frames, ignore_index=True)
