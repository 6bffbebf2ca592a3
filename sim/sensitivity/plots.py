"""Figures of a sensitivity analysis: index bars with intervals, Morris mu*-sigma, convergence.

Each function returns a :class:`matplotlib.figure.Figure` of its own (no pyplot, no backend
chosen, no rcParams changed), so importing this module in a notebook leaves matplotlib as it was.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

from sim.kpis import label
from sim.sensitivity.problem import Problem

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType  # the rcParams key names, for the annotation only

BLUE, ORANGE = "#0072B2", "#E69F00"
STYLE: dict[RcKeyType, Any] = {"font.size": 13, "axes.titlesize": 15, "axes.labelsize": 13}


def _styled(draw: Callable[..., Figure]) -> Callable[..., Figure]:
    """Draw with this module's fonts, for this figure only."""

    @functools.wraps(draw)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context(STYLE):
            return draw(*args, **kwargs)

    return wrapper


@_styled
def sobol_bars(df: pd.DataFrame, kpi: str) -> Figure:
    """First-order and total indices with 95 % bootstrap intervals, parameters sorted by total effect."""
    d = df.sort_values("ST", ascending=True)
    fig = Figure(figsize=(9, 0.45 * len(d) + 1.8), layout="constrained")
    ax = fig.subplots()
    y = range(len(d))
    ax.barh([i + 0.2 for i in y], d["ST"], height=0.4, xerr=d["ST_conf"], color=ORANGE, label="total (ST)")
    ax.barh([i - 0.2 for i in y], d["S1"], height=0.4, xerr=d["S1_conf"], color=BLUE, label="first order (S1)")
    ax.set_yticks(list(y), d["parameter"])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("share of output variance")
    ax.set_title(f"Sobol indices: {label(kpi)}")
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return fig


@_styled
def morris_scatter(df: pd.DataFrame, kpi: str) -> Figure:
    """Morris screening: mean absolute elementary effect (mu*) against its spread (sigma)."""
    fig = Figure(figsize=(9, 7), layout="constrained")
    ax = fig.subplots()
    ax.errorbar(df["mu_star"], df["sigma"], xerr=df["mu_star_conf"], fmt="o", color=BLUE, ms=8, capsize=3)
    top = df.sort_values("mu_star", ascending=False).head(10)
    for _, r in top.iterrows():
        ax.annotate(r["parameter"], (r["mu_star"], r["sigma"]), xytext=(5, 4), textcoords="offset points",
                    fontsize=11)
    lim = max(df["mu_star"].max(), df["sigma"].max()) * 1.1 or 1.0
    ax.plot([0, lim], [0, lim], ls="--", color="grey", lw=1, label="sigma = mu* (non-linear or interacting)")
    ax.set_xlabel("mu* (importance)")
    ax.set_ylabel("sigma (non-linearity / interactions)")
    ax.set_title(f"Morris screening: {label(kpi)}")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return fig


@_styled
def convergence_plot(conv: pd.DataFrame, kpi: str, method: str) -> Figure:
    """The leading parameters' indices as the sample grows (N/4, N/2, N), with intervals."""
    col, conf = ("ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf")
    d = conv[conv["kpi"] == kpi]
    final = d[d["n"] == d["n"].max()].sort_values(col, ascending=False)
    fig = Figure(figsize=(9, 6), layout="constrained")
    ax = fig.subplots()
    for name in final["parameter"].head(6):
        s = d[d["parameter"] == name].sort_values("n")
        ax.errorbar(s["n"], s[col], yerr=s[conf], marker="o", capsize=3, lw=2, label=name)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("base samples N" if method == "sobol" else "trajectories")
    ax.set_ylabel(col)
    ax.set_title(f"Convergence: {label(kpi)}")
    ax.legend(fontsize=10)
    ax.grid(alpha=0.3)
    return fig


def write_figures(out: Path, problem: Problem, method: str, indices: pd.DataFrame, conv: pd.DataFrame) -> list[Path]:
    """Write one index figure and one convergence figure per KPI; return the paths."""
    paths = []
    for kpi in problem.kpis:
        d = indices[indices["kpi"] == kpi]
        if d.iloc[:, 2:].isna().all().all():
            continue
        fig = sobol_bars(d, kpi) if method == "sobol" else morris_scatter(d, kpi)
        paths.append(_save(fig, out / f"{method}_{kpi}.png"))
        paths.append(_save(convergence_plot(conv, kpi, method), out / f"convergence_{kpi}.png"))
    return paths


def _save(fig: Figure, path: Path) -> Path:
    """Write the figure as a PNG (the Agg renderer; nothing is left open)."""
    with matplotlib.rc_context(STYLE):
        fig.savefig(path, dpi=100)
    return path
