"""Four-panel weekly figure of one run, with fonts large enough for a projector.

Panels: reported banner close rate against true conversion, revenue against
its potential, cumulative churn by cause, and mean rep stress. Each panel
draws only the columns the time series has, so renaming a column in the
model blanks one line instead of breaking the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from sim import formatting as fm
from sim.kpis import CHURN_CAUSES

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType  # the rcParams key names, for the annotation only

STYLE: dict[RcKeyType, Any] = {
    "font.size": 16, "axes.titlesize": 20, "axes.labelsize": 17, "xtick.labelsize": 15,
    "ytick.labelsize": 15, "legend.fontsize": 14, "lines.linewidth": 3.0, "axes.grid": True,
    "grid.alpha": 0.3,
}
RED, BLUE, GREY = "#c0392b", "#2471a3", "#7f8c8d"


def plot_weekly(df: pd.DataFrame, path: str | Path, title: str) -> Path:
    """Draw the four-panel weekly figure of a run's time series and save it as an image at ``path``."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(16, 10), layout="constrained")
        axes = fig.subplots(2, 2, sharex=True).ravel()
        _conversion_panel(axes[0], df)
        _revenue_panel(axes[1], df)
        _churn_panel(axes[2], df)
        _stress_panel(axes[3], df)
        for ax in axes[2:]:
            ax.set_xlabel("week")
        fig.suptitle(title, fontsize=24, fontweight="bold")
        fig.savefig(path, dpi=100)
    return Path(path)


def _conversion_panel(ax: Axes, df: pd.DataFrame) -> None:
    """Reported banner close rate against true conversion; the shaded gap is what reports hide."""
    ax.set_title("Banner close rate: reported vs true")
    reported = _series(df, "reported_banner_close_rate")
    true = _series(df, "true_banner_conversion")
    if reported is None and true is None:
        return _no_data(ax)
    if reported is not None and true is not None:
        ax.fill_between(df.index, true, reported, where=reported >= true, color=RED, alpha=0.15,
                        interpolate=True, label="reporting gap")
    if reported is not None:
        ax.plot(df.index, reported, color=RED, label="reported close rate")
    if true is not None:
        ax.plot(df.index, true, color=BLUE, label="true conversion")
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(loc="best")


def _revenue_panel(ax: Axes, df: pd.DataFrame) -> None:
    """Weekly revenue against what the accounts could have spent; the shaded gap is revenue lost."""
    ax.set_title("Revenue vs potential (per week)")
    revenue = _series(df, "revenue")
    potential = _series(df, "revenue_potential")
    if revenue is None and potential is None:
        return _no_data(ax)
    if revenue is not None and potential is not None:
        ax.fill_between(df.index, revenue, potential, color=GREY, alpha=0.2, label="revenue lost")
    if potential is not None:
        ax.plot(df.index, potential, color=GREY, linestyle="--", label="potential")
    if revenue is not None:
        ax.plot(df.index, revenue, color=BLUE, label="revenue")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(fm.tick("money")))
    ax.legend(loc="best")


def _churn_panel(ax: Axes, df: pd.DataFrame) -> None:
    """Accounts lost so far, stacked by cause, so the dominant cause stands out."""
    ax.set_title("Accounts lost, by cause (cumulative)")
    present = [c for c in CHURN_CAUSES if _series(df, c.count) is not None]
    if not present:
        return _no_data(ax)
    totals = [_cumulative(df, c.count) for c in present]
    ax.stackplot(df.index, totals, labels=[c.label for c in present], colors=[c.colour for c in present],
                 alpha=0.85)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")


def _stress_panel(ax: Axes, df: pd.DataFrame) -> None:
    """Mean rep stress, the pressure that drives quitting and lost skill."""
    ax.set_title("Mean rep stress")
    stress = _series(df, "rep_stress_mean")
    if stress is None:
        return _no_data(ax)
    ax.plot(df.index, stress, color=RED)
    top = np.nanmax(stress.to_numpy(dtype=float)) if stress.notna().any() else 1.0
    ax.set_ylim(0, max(1.0, float(top) * 1.1))


def _series(df: pd.DataFrame, column: str) -> pd.Series | None:
    """The numeric column if the time series has it, else None."""
    if column not in df.columns:
        return None
    return pd.to_numeric(df[column], errors="coerce").astype(float)


def _cumulative(df: pd.DataFrame, column: str) -> np.ndarray:
    """Running total of a weekly count: the model's ``<column>_cum`` if present, else summed here."""
    if f"{column}_cum" in df.columns:
        return pd.to_numeric(df[f"{column}_cum"], errors="coerce").fillna(0).to_numpy(dtype=float)
    return pd.to_numeric(df[column], errors="coerce").fillna(0).cumsum().to_numpy(dtype=float)


def _no_data(ax: Axes) -> None:
    """Mark a panel whose columns are missing instead of failing."""
    ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color=GREY, fontsize=20)
