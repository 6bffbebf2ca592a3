"""Draw a sweep's runs (the table :func:`sim.experiment.sweep.sweep` returns) as ``sweep.png``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import formatting as fm
from sim.kpis import KPIS, display_format, headline_kpis, label
from sim.stats import mean_ci

HEATMAP_CMAP = "PuOr"  # orange = worse, purple = better; colour-blind safe, diverging at zero
DARK_CELL = 0.6  # cells coloured beyond this share of the scale get white text


def plot_sweep(runs: pd.DataFrame, levers: list[str], path: Path, title: str) -> Path:
    """Each headline KPI (sim.kpis; churn shares left out) against each varied lever: mean over the other
    levers and replications, with its 95 % band."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    kpis = [k for k in headline_kpis(churn_shares=False) if k in runs.columns]
    fig = Figure(figsize=(5.5 * len(levers), 3.2 * len(kpis)), layout="constrained")
    axes = fig.subplots(len(kpis), len(levers), squeeze=False)
    for j, lever in enumerate(levers):
        for i, k in enumerate(kpis):
            ax = axes[i, j]
            g = runs.groupby(lever)[k]
            x = g.mean().index.to_numpy()
            stats = np.array([mean_ci(v.to_numpy(float)) for _, v in g])
            xs = np.arange(len(x)) if x.dtype == object or x.dtype == bool else x.astype(float)
            ax.plot(xs, stats[:, 0], marker="o", color="#0072B2", lw=2)
            ax.fill_between(xs, stats[:, 1], stats[:, 2], color="#0072B2", alpha=0.2)
            if x.dtype == object or x.dtype == bool:
                ax.set_xticks(xs, [str(v) for v in x], rotation=20)
            ax.set_title(label(k), fontsize=13)
            ax.set_xlabel(lever, fontsize=12)
            ax.yaxis.set_major_formatter(FuncFormatter(fm.tick(display_format(k))))
            ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=14, fontweight="bold")
    fig.savefig(path, dpi=100)
    return path


def plot_sweep_heatmap(diffs: pd.DataFrame, levers: list[str], kpis: tuple[str, ...], path: Path,
                       title: str) -> Path:
    """A grid of two levers (x, y) as heatmaps of each point's paired difference against the reference point;
    a third lever gives small multiples, one column per value. One row of panels per KPI.

    ``diffs`` is :func:`sim.experiment.sweep_answer.point_differences`. Cells are coloured by the difference
    (purple better, orange worse, from the KPI's declared direction; one scale per KPI) and labelled with
    it; a cell the runs cannot tell from the reference is hatched; the reference cell is outlined.
    """
    from matplotlib.figure import Figure

    x, y = levers[:2]
    facet = levers[2] if len(levers) > 2 else None
    xs, ys = sorted(pd.unique(diffs[x])), sorted(pd.unique(diffs[y]))
    facets = sorted(pd.unique(diffs[facet])) if facet else [None]
    fig = Figure(figsize=(1.6 * len(xs) * len(facets) + 2.5, (1.0 * len(ys) + 1.6) * len(kpis) + 0.8),
                 layout="constrained")
    axes = fig.subplots(len(kpis), len(facets), squeeze=False)
    for row, k in zip(axes, kpis, strict=True):
        values = diffs[f"{k}_diff"].to_numpy(float)
        lim = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 0.0
        images = []
        for ax, f in zip(row, facets, strict=True):
            sub = diffs if facet is None else diffs[diffs[facet] == f]
            images.append(_heatmap_panel(ax, sub, k, x, y, xs, ys, lim or 1.0))
            where = "" if facet is None else f"\n{facet} = {f if isinstance(f, str) else fm.plain(f)}"
            ax.set_title(f"{label(k)}: difference from the reference{where}", fontsize=12)
        bar = fig.colorbar(images[0], ax=list(row), shrink=0.9)
        bar.set_label("better  \u2192" if (KPIS[k].better or 1) > 0 else "\u2190  better (lower)")
        bar.set_ticks([])
    fig.suptitle(title, fontsize=13, fontweight="bold")
    fig.text(0.5, -0.02, "Paired difference against the outlined reference point (same seeds); hatched: the runs "
             "cannot tell it from zero.", ha="center", fontsize=10)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    return path


def _heatmap_panel(ax: Any, cells: pd.DataFrame, k: str, x: str, y: str, xs: list[Any], ys: list[Any],
                   lim: float) -> Any:
    """One heatmap of KPI ``k``'s differences over levers x and y; returns the image (for the colour bar)."""
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.patches import Rectangle

    cell = cells.set_index([y, x])
    grid = np.array([[cell.loc[(b, a), f"{k}_diff"] if (b, a) in cell.index else np.nan for a in xs]
                     for b in ys], float)
    better = KPIS[k].better or 1
    image = ax.imshow(better * grid, cmap=HEATMAP_CMAP, norm=TwoSlopeNorm(0.0, -lim, lim), origin="lower",
                      aspect="auto")
    fmt = display_format(k)
    for i, b in enumerate(ys):
        for j, a in enumerate(xs):
            if (b, a) not in cell.index:
                continue
            r = cell.loc[(b, a)]
            dark = abs(float(r[f"{k}_diff"])) > DARK_CELL * lim if fm.finite(r[f"{k}_diff"]) else False
            ax.text(j, i, fm.value(r[f"{k}_diff"], fmt, signed=True), ha="center", va="center", fontsize=10,
                    fontweight="bold" if r[f"{k}_distinct"] else "normal", color="white" if dark else "black")
            if bool(r["reference"]):
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=3, ec="black"))
            elif not r[f"{k}_distinct"]:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="//", ec="#888", lw=0))
    ax.set_xticks(range(len(xs)), [v if isinstance(v, str) else fm.plain(v) for v in xs])
    ax.set_yticks(range(len(ys)), [v if isinstance(v, str) else fm.plain(v) for v in ys])
    ax.set_xlabel(_lever_label(x), fontsize=12)
    ax.set_ylabel(_lever_label(y), fontsize=12)
    return image


def _lever_label(name: str) -> str:
    """A lever's axis label: its code name and unit, e.g. 'banner_target (fraction)'."""
    from sim.params import param_info

    info = param_info().get(name)
    unit = info.unit if info and info.unit and info.unit != "choice" else ""
    return f"{name} ({unit})" if unit else name
