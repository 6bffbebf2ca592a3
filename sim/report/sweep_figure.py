"""Draw a sweep's runs (the table :func:`sim.experiment.sweep.sweep` returns) as ``sweep.png``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim import formatting as fm
from sim.kpis import display_format, headline_kpis, label
from sim.stats import mean_ci


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
