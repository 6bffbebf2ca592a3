"""Figures of the decision tools (sim/decide): the Pareto set, the re-evaluation, the PRIM boxes.

Draws the tables :mod:`sim.decide.optimize` and :mod:`sim.decide.discover` return; computes nothing.
Labels, formats and directions come from sim/kpis.py and sim/params.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim import formatting as fm
from sim.kpis import KPIS, display_format, label

PARETO = "#D55E00"
OTHER = "#999999"
AGAIN = "#0072B2"


def _axis_label(kpi: str) -> str:
    return f"{label(kpi)} ({KPIS[kpi].direction} is better)"


def plot_pareto(trials: pd.DataFrame, objectives: Sequence[str], path: Path, title: str) -> Path:
    """Every pair of objectives: all candidates in grey, the Pareto set highlighted (means over replications)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    pairs = list(itertools.combinations(objectives, 2)) or [(objectives[0], objectives[0])]
    fig = Figure(figsize=(5.2 * len(pairs), 4.4), layout="constrained")
    axes = fig.subplots(1, len(pairs), squeeze=False)[0]
    ok = trials[trials["state"] == "complete"]
    front = ok[ok["pareto"]]
    for ax, (x, y) in zip(axes, pairs, strict=True):
        ax.scatter(ok[f"{x}_mean"], ok[f"{y}_mean"], s=18, color=OTHER, alpha=0.6, label="candidate")
        ax.scatter(front[f"{x}_mean"], front[f"{y}_mean"], s=40, color=PARETO, edgecolor="black", lw=0.5,
                   label="Pareto set", zorder=3)
        ax.set_xlabel(_axis_label(x), fontsize=10)
        ax.set_ylabel(_axis_label(y), fontsize=10)
        ax.xaxis.set_major_formatter(FuncFormatter(fm.tick(display_format(x))))
        ax.yaxis.set_major_formatter(FuncFormatter(fm.tick(display_format(y))))
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=9)
    fig.suptitle(f"{title}\n{len(front)} of {len(ok)} candidates on the Pareto front", fontsize=12)
    fig.savefig(path, dpi=100)
    return path


def plot_reevaluation(table: pd.DataFrame, path: Path, title: str) -> Path:
    """Per objective, each top candidate's first-pass estimate beside its re-evaluation on fresh seeds."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    objectives = list(dict.fromkeys(table["objective"]))
    fig = Figure(figsize=(4.6 * max(1, len(objectives)), 3.8), layout="constrained")
    axes = fig.subplots(1, max(1, len(objectives)), squeeze=False)[0]
    for ax, k in zip(axes, objectives, strict=False):
        sub = table[table["objective"] == k].sort_values("rank")
        y = np.arange(len(sub))
        for shift, stage, color, name in ((-0.15, "first", OTHER, "first pass"),
                                          (0.15, "reevaluated", AGAIN, "re-evaluated (fresh seeds)")):
            m = sub[f"{stage}_mean"].to_numpy(float)
            err = np.vstack([m - sub[f"{stage}_ci_low"].to_numpy(float), sub[f"{stage}_ci_high"].to_numpy(float) - m])
            ax.errorbar(m, y + shift, xerr=err, fmt="o", color=color, capsize=3, label=name)
        ax.set_yticks(y, [f"#{t}" for t in sub["trial"]])
        ax.invert_yaxis()
        ax.set_title(_axis_label(k), fontsize=10)
        ax.xaxis.set_major_formatter(FuncFormatter(fm.tick(display_format(k))))
        ax.grid(alpha=0.3, axis="x")
    axes[0].set_ylabel("candidate (trial), best first")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{title}\nthe winner's curse: top candidates' first-pass estimates and their re-evaluation",
                 fontsize=11)
    fig.savefig(path, dpi=100)
    return path


def plot_boxes(trajectories: pd.DataFrame, boxes: pd.DataFrame, limits: pd.DataFrame,
               ranges: dict[str, tuple[float, float]], path: Path, title: str) -> Path:
    """PRIM's peeling trajectories (coverage against density, the chosen box marked) and each box's limits
    drawn on the sampled range of every parameter it restricts."""
    from matplotlib.figure import Figure

    n = max(1, len(boxes))
    fig = Figure(figsize=(5.0 + 4.2 * n, 4.2), layout="constrained")
    axes = fig.subplots(1, 1 + n, squeeze=False)[0]
    ax = axes[0]
    for b, sub in (trajectories.groupby("box") if len(trajectories) else []):
        line = ax.plot(sub["coverage"], sub["density"], marker=".", lw=1, label=f"box {b}")[0]
        chosen = sub[sub["selected"]]
        ax.scatter(chosen["coverage"], chosen["density"], s=90, facecolor="none", edgecolor=line.get_color(), lw=2)
    ax.set_xlabel("coverage (share of failing worlds inside)")
    ax.set_ylabel("density (share of worlds inside that fail)")
    ax.xaxis.set_major_formatter(lambda v, _p: fm.percent(v, decimals=0))
    ax.yaxis.set_major_formatter(lambda v, _p: fm.percent(v, decimals=0))
    ax.set_title("peeling trajectories (circle: box chosen)", fontsize=10)
    ax.grid(alpha=0.3)
    if len(trajectories):
        ax.legend(fontsize=8)
    for ax, b in zip(axes[1:], boxes.to_dict("records") if len(boxes) else [{}], strict=False):
        if not b:
            ax.text(0.5, 0.5, "no box reaches the density asked for", ha="center", va="center")
            ax.set_axis_off()
            continue
        lim = limits[limits["box"] == b["box"]]
        for j, r in enumerate(lim.itertuples()):
            if r.parameter in ranges and r.values == "":
                lo, hi = ranges[r.parameter]
                a, z = (r.low - lo) / (hi - lo), (r.high - lo) / (hi - lo)
                ax.barh(j, z - a, left=a, color=PARETO, alpha=0.7)
                ax.text(0.5, j, f"{fm.plain(r.low)} to {fm.plain(r.high)} (quasi-p {r.qp_value:.2g})", ha="center",
                        va="center", fontsize=8)
            else:
                ax.barh(j, 1.0, color=OTHER, alpha=0.3)
                ax.text(0.5, j, str(r.values), ha="center", va="center", fontsize=8)
        ax.set_yticks(range(len(lim)), list(lim["parameter"]), fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_xlabel("position in the sampled range")
        ax.set_title(f"box {b['box']}: coverage {fm.percent(b['coverage'], decimals=0)}, density "
                     f"{fm.percent(b['density'], decimals=0)}, {b['worlds']} worlds", fontsize=10)
    fig.suptitle(title, fontsize=11)
    fig.savefig(path, dpi=100)
    return path


def plot_regret(policies: pd.DataFrame, regret: pd.DataFrame, path: Path, title: str) -> Path:
    """Per policy, its regret across the sampled worlds (box and points) beside its mean and worst decile."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    kpi = str(policies["kpi"].iloc[0])
    order = list(policies["policy"])
    fig = Figure(figsize=(11, 0.7 * len(order) + 2.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    data = [regret[regret["policy"] == p]["regret"].to_numpy(float) for p in order]
    left.boxplot(data, orientation="horizontal", tick_labels=order)
    for j, d in enumerate(data, start=1):
        left.scatter(d, np.full(len(d), j), s=6, color=OTHER, alpha=0.5)
    left.invert_yaxis()
    left.set_xlabel(f"regret in {label(kpi)} (shortfall against the best policy in each world)")
    left.xaxis.set_major_formatter(FuncFormatter(fm.tick(display_format(kpi))))
    left.set_title("most robust first (smallest worst-case regret)", fontsize=10)
    y = np.arange(len(order))
    right.barh(y - 0.2, policies["mean"], height=0.4, color=AGAIN, label="mean over worlds")
    right.barh(y + 0.2, policies["worst_decile"], height=0.4, color=PARETO, label="worst decile of worlds")
    right.set_yticks(y, order)
    right.invert_yaxis()
    right.set_xlabel(_axis_label(kpi))
    right.xaxis.set_major_formatter(FuncFormatter(fm.tick(display_format(kpi))))
    right.legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    fig.savefig(path, dpi=100)
    return path
