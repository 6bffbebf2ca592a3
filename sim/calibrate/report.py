"""What a calibration produced: posterior samples and intervals, diagnostics, posterior-predictive checks.

Figures are :class:`matplotlib.figure.Figure` objects written straight to PNG (no pyplot, no backend
chosen, no rcParams changed), so importing this module leaves a notebook's matplotlib as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim import formatting as fm
from sim.calibrate.targets import Calibration
from sim.experiment.jobs import Job, job_seed
from sim.experiment.runner import run_jobs
from sim.experiment.store import Store
from sim.kpis import label
from sim.scenario import Scenario

IDENTIFIED_WIDTH = 0.5  # a 95 % posterior interval narrower than half the prior range counts as identified


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    return float(np.interp(q * cw[-1], cw, x[order]))


def posterior_frame(history) -> pd.DataFrame:
    """The last generation's particles with their normalised weights."""
    df, w = history.get_distribution(m=0, t=history.max_t)
    df = df.reset_index(drop=True)
    df["weight"] = np.asarray(w) / np.sum(w)
    return df


def summarise_posterior(post: pd.DataFrame, cal: Calibration) -> pd.DataFrame:
    """Median and 95 % credible interval of each parameter, and how much the data narrowed its prior."""
    rows = []
    w = post["weight"].to_numpy()
    for name, (lo, hi) in cal.priors.items():
        x = post[name].to_numpy()
        q025, q50, q975 = (weighted_quantile(x, w, q) for q in (0.025, 0.5, 0.975))
        ratio = (q975 - q025) / (hi - lo)
        rows.append({"parameter": name, "prior_low": lo, "prior_high": hi, "median": q50, "ci_low": q025,
                     "ci_high": q975, "width_ratio": ratio, "identified": ratio < IDENTIFIED_WIDTH})
    return pd.DataFrame(rows)


def history_frame(history) -> pd.DataFrame:
    """Epsilon, simulations and effective sample size per generation."""
    from pyabc.weighted_statistics import effective_sample_size

    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    ess = []
    for t in pops["t"]:
        _, w = history.get_distribution(m=0, t=int(t))
        ess.append(float(effective_sample_size(np.asarray(w))))
    return pd.DataFrame({"generation": pops["t"], "epsilon": pops["epsilon"], "simulations": pops["samples"],
                         "particles": pops["particles"], "ess": ess})


def posterior_draws(post: pd.DataFrame, names: list[str], n: int, seed: int) -> list[dict[str, float]]:
    """``n`` parameter sets resampled from the weighted posterior (reproducible with ``seed``)."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(post), size=n, replace=True, p=post["weight"].to_numpy())
    return [{k: float(post.loc[i, k]) for k in names} for i in idx]


def predictive_check(cal: Calibration, base: Scenario, draws: list[dict[str, float]], root_seed: int,
                     executor: Any, out: Path, resume: bool = True) -> pd.DataFrame:
    """Run the base scenario at each posterior draw (through the runner) and compare each target's KPI."""
    jobs = [Job(label="ppc", params=base.params.replace(**d).model_dump(), replication=k,
                seed=job_seed(root_seed, k), weeks=cal.weeks, point=k, keep_series=False, tags=d)
            for k, d in enumerate(draws)]
    with Store(out / "ppc_runs") as store:  # holds the folder's lock while runs are written
        store.open({"kind": "ppc", "jobs": [j.id for j in jobs]}, resume=True)
        records = run_jobs(jobs, store, executor, progress=False)
    sims = pd.DataFrame([r["kpis"] for r in records])
    rows = []
    for t in cal.targets:
        x = sims[t.kpi].to_numpy(float)
        rows.append({"target": t.name, "kpi": t.kpi, "value": t.value, "low": t.low, "high": t.high,
                     "sim_mean": x.mean(), "sim_q05": np.quantile(x, 0.05), "sim_q95": np.quantile(x, 0.95),
                     "share_within": float(np.mean((x >= t.low) & (x <= t.high))),
                     "mean_within": bool(t.low <= x.mean() <= t.high), "source": t.source})
    sims.to_csv(out / "ppc_runs.csv", index=False)
    return pd.DataFrame(rows)


def plot_ppc(ppc: pd.DataFrame, sims: pd.DataFrame, path: Path) -> Path:
    """One panel per target: simulated posterior-predictive values against the target range."""
    n = len(ppc)
    cols = 4
    rows = int(np.ceil(n / cols))
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, (_, r) in zip(axes.flat, ppc.iterrows(), strict=False):
        x = sims[r["kpi"]].to_numpy(float)
        ax.axvspan(r["low"], r["high"], color="#009E73", alpha=0.2, label="target range")
        ax.axvline(r["value"], color="#009E73", lw=2)
        x = x[np.isfinite(x)]  # a KPI with no value in a run (NaN: its event never happened) has no bar
        if x.size:
            ax.hist(x, bins=15, color="#0072B2", alpha=0.8, label="posterior predictive")
        else:
            ax.text(0.5, 0.5, "no value in any run", transform=ax.transAxes, ha="center", fontsize=11)
        ax.set_title(f"{r['target']}: {fm.percent(r['share_within'], decimals=0)} within", fontsize=12)
        ax.set_xlabel(label(r["kpi"]), fontsize=10)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=9)
    fig.savefig(path, dpi=90)
    return path


def plot_history(hist: pd.DataFrame, path: Path) -> Path:
    """Epsilon trajectory and effective sample size per generation."""
    fig = Figure(figsize=(11, 4), layout="constrained")
    a1, a2 = fig.subplots(1, 2)
    a1.plot(hist["generation"], hist["epsilon"], marker="o", lw=2, color="#0072B2")
    a1.set_yscale("log")
    a1.set_title("Epsilon by generation")
    a1.set_xlabel("generation")
    a2.bar(hist["generation"], hist["ess"], color="#E69F00")
    a2.set_title("Effective sample size")
    a2.set_xlabel("generation")
    for a in (a1, a2):
        a.grid(alpha=0.3)
    fig.savefig(path, dpi=90)
    return path


def plot_pairs(post: pd.DataFrame, cal: Calibration, path: Path) -> Path:
    """Posterior pairs: marginal histograms on the diagonal, weighted scatter below it."""
    names = list(cal.priors)
    k = len(names)
    fig = Figure(figsize=(1.9 * k, 1.9 * k), layout="constrained")
    axes = fig.subplots(k, k, squeeze=False)
    w = post["weight"].to_numpy()
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            ax = axes[i, j]
            ax.tick_params(labelsize=6)
            if i == j:
                ax.hist(post[a], bins=15, weights=w, color="#0072B2")
                ax.set_xlim(*cal.priors[a])
            elif i > j:
                ax.scatter(post[b], post[a], s=6, alpha=0.5, c="#0072B2")
                ax.set_xlim(*cal.priors[b])
                ax.set_ylim(*cal.priors[a])
            else:
                ax.axis("off")
            if i == k - 1:
                ax.set_xlabel(b, fontsize=7)
            if j == 0:
                ax.set_ylabel(a, fontsize=7)
    fig.savefig(path, dpi=80)
    return path


def _toml_value(v: object) -> str:
    """A parameter value as TOML (text quoted, booleans lower-case)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return f'"{v}"' if isinstance(v, str) else repr(v)


def _base_lines(scenario: str) -> tuple[list[str], list[str]]:
    """How the calibrated file builds on the scenario: ``extends`` a name; a scenario file (e.g. one that
    targets-from-book wrote, which names a book) is inlined, since extends may not point outside the folders."""
    if not scenario.endswith(".toml"):
        return [f'extends = "{scenario}"'], []
    import tomllib
    from pathlib import Path

    path = Path(scenario)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    top = [f'extends = "{data.get("extends", "baseline")}"']
    if data.get("book"):
        top.append(f'book = "{(path.parent / data["book"]).resolve().as_posix()}"')
    params = [f"{k} = {_toml_value(v)}" for k, v in data.get("parameters", {}).items()]
    return top, params


def scenario_toml(cal: Calibration, summary: pd.DataFrame, name: str) -> str:
    """A scenario file that sets the calibrated parameters to their posterior medians."""
    top, params = _base_lines(cal.scenario)
    fitted = set(summary["parameter"])
    lines = [f'title = "Calibrated baseline ({name})"',
             'question = "How does the baseline look with behavioural assumptions fitted to published figures?"',
             'mechanisms = ["M3", "M4", "M7"]', *top,
             f'notice = "Parameters at the posterior medians of calibration/fitted/{name}; see docs/validation.md."',
             "", "[parameters]", *[p for p in params if p.split(" = ")[0] not in fitted]]
    for _, r in summary.iterrows():
        lines.append(f"{r['parameter']} = {r['median']:.6g}")
    return "\n".join(lines) + "\n"
