"""Figures comparing scenarios across replications, for the HTML report of ``salesim compare``.

Every function returns a matplotlib :class:`~matplotlib.figure.Figure` drawn on
the Agg canvas (no display needed) with the projector-sized fonts of
:mod:`sim.report.weekly`. Each scenario keeps one colour, from a colour-blind-safe
palette, in every figure (see :func:`scenario_colors`); churn causes keep the colours declared
in :data:`sim.kpis.CHURN_CAUSES`, and every label and number comes from :mod:`sim.kpis` and
:mod:`sim.formatting`. A figure draws only the
KPIs and series columns its inputs have, so a renamed column blanks one panel
instead of breaking the report. :func:`figure_to_img` turns a figure into an
``<img>`` tag carrying the PNG inline, so the report needs no other file.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Iterable, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from sim import formatting as fm
from sim.experiment.tidy import model_name
from sim.kpis import CHURN_CAUSES, WEEKLY, display_format, label
from sim.report.weekly import STYLE

# Okabe-Ito (minus its yellow, too pale on white), then Paul Tol's muted scheme: both colour-blind safe.
PALETTE = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
    "#332288", "#882255", "#117733", "#999933", "#AA4499", "#44AA99", "#DDCC77",
)
GREY = "#7f7f7f"
DPI = 90


# --- helpers shared with the HTML assembly ------------------------------------------


def scenario_colors(names: Sequence[str]) -> dict[str, str]:
    """One colour per scenario, in comparison order, cycling the palette beyond its length."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def figure_to_png(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure rendered by the Agg backend as PNG bytes."""
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def figure_to_img(fig: Figure, alt: str, dpi: int = DPI) -> str:
    """An ``<img>`` tag with the figure embedded as a base64 PNG (``data:`` URI), alt text escaped."""
    data = base64.b64encode(figure_to_png(fig, dpi)).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}">'


# --- figures from the comparison table ----------------------------------------------


def plot_kpi_bars(comparison: pd.DataFrame, kpis: Sequence[str], colors: dict[str, str],
                  runs: pd.DataFrame | None = None, ncols: int = 3) -> Figure:
    """Small multiples: one panel per KPI, a bar per scenario at its mean with the 95 % interval.

    When ``runs`` is given, each replication's value is drawn as a dot on its scenario's bar.
    """
    kpis = [k for k in kpis if k in set(comparison["kpi"])]
    names = list(colors)
    nrows = max(1, math.ceil(len(kpis) / ncols))
    with matplotlib.rc_context(STYLE):
        fig = _figure(16, 3.6 * nrows + 1.2)
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())
        for ax, kpi in zip(axes, kpis, strict=False):
            _bars(ax, comparison, kpi, colors, runs)
        for ax in axes[len(kpis):]:
            ax.set_visible(False)
        if not kpis:
            axes[0].set_visible(True)
            _no_data(axes[0])
        fig.legend(handles=[Patch(color=colors[n], label=n) for n in names], loc="outside upper center",
                   ncols=min(len(names), 4), frameon=False, fontsize=16)
    return fig


def plot_diff_intervals(comparison: pd.DataFrame, kpis: Sequence[str], colors: dict[str, str]) -> Figure:
    """Difference against the first scenario with its paired and its unpaired 95 % interval.

    One panel per KPI; per scenario a thick bar (paired: same seeds) above a thin grey one
    (unpaired: as if the runs were independent). The gap in width is what common random
    numbers buy.
    """
    names = list(colors)[1:]
    kpis = [k for k in kpis if k in set(comparison["kpi"])]
    with matplotlib.rc_context(STYLE):
        fig = _figure(16, 1.6 + 1.5 * max(1, len(names)))
        axes = np.atleast_1d(fig.subplots(1, max(1, len(kpis)), squeeze=False).ravel())
        if not kpis or not names:
            _no_data(axes[0])
            return fig
        for ax, kpi in zip(axes, kpis, strict=True):
            _diff_panel(ax, comparison, kpi, names, colors)
    return fig


def plot_revenue_lost(comparison: pd.DataFrame, colors: dict[str, str]) -> Figure:
    """Revenue lost per year by scenario: bars at the mean with the 95 % interval, values written on."""
    with matplotlib.rc_context(STYLE):
        fig = _figure(14, 6.5)
        ax = fig.subplots()
        if "revenue_lost" not in set(comparison["kpi"]):
            _no_data(ax)
            return fig
        _bars(ax, comparison, "revenue_lost", colors, None, annotate=True, ticklabels=True)
        ax.set_title("Revenue lost per year (mean, 95 % interval)")
    return fig


# --- figures from the weekly series --------------------------------------------------


def plot_revenue_series(series: pd.DataFrame, colors: dict[str, str], band: tuple[float, float] = (0.1, 0.9)) -> Figure:
    """Weekly revenue against potential, and cumulative revenue lost, with a band across replications.

    Lines are the mean over replications; the shaded band spans the ``band`` quantiles.
    """
    with matplotlib.rc_context(STYLE):
        fig = _figure(16, 7)
        left, right = fig.subplots(1, 2)
        left.set_title("Revenue (solid) vs potential (dashed), per week")
        drew = _band_lines(left, series, "revenue_week", colors, band)
        drew |= _band_lines(left, series, "revenue_potential_week", colors, band, linestyle="--", fill=False)
        if not drew:
            _no_data(left)
        right.set_title("Revenue lost so far (cumulative)")
        if not _band_lines(right, series, "revenue_lost_cum", colors, band):
            _no_data(right)
        for ax in (left, right):
            ax.set_xlabel("week")
            ax.yaxis.set_major_formatter(FuncFormatter(fm.tick("money")))
        _series_legend(fig, colors, band)
    return fig


def plot_close_rate_gap(series: pd.DataFrame, colors: dict[str, str], ncols: int = 3) -> Figure:
    """Per scenario, reported banner close rate (solid) against true conversion (dashed), gap shaded."""
    names = list(colors)
    ncols = min(ncols, max(1, len(names)))
    nrows = math.ceil(len(names) / ncols) if names else 1
    with matplotlib.rc_context(STYLE):
        fig = _figure(16, 4.2 * nrows + 1.4)
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False, sharey=True).ravel())
        for ax, name in zip(axes, names, strict=False):
            _gap_panel(ax, series, name, colors[name])
        for ax in axes[len(names):]:
            ax.set_visible(False)
        if not names:
            _no_data(axes[0])
        fig.suptitle("Banner close rate: reported (solid) vs true conversion (dashed); shaded = reporting gap",
                     fontsize=19)
    return fig


def plot_churn_causes(series: pd.DataFrame, colors: dict[str, str]) -> Figure:
    """Stacked bars: mean accounts lost by the end of the run, by recorded cause, per scenario."""
    names = list(colors)
    totals = churn_by_cause(series, names)
    with matplotlib.rc_context(STYLE):
        fig = _figure(14, 7)
        ax = fig.subplots()
        ax.set_title("Accounts lost by the end of the run, by cause (mean over replications)")
        if totals.empty:
            _no_data(ax)
            return fig
        x = np.arange(len(names))
        bottom = np.zeros(len(names))
        for cause in CHURN_CAUSES:
            if cause.key not in totals.columns:
                continue
            values = totals[cause.key].to_numpy(float)
            ax.bar(x, values, 0.6, bottom=bottom, color=cause.colour, hatch=cause.hatch, edgecolor="white",
                   label=cause.label)
            bottom += values
        for xi, total in zip(x, bottom, strict=True):
            ax.annotate(f"{total:.0f}", (xi, total), ha="center", va="bottom", fontsize=16, fontweight="bold",
                        xytext=(0, 4), textcoords="offset points")
        _scenario_ticks(ax, names, colors)
        ax.set_ylabel("accounts")
        ax.set_ylim(0, max(1.0, float(bottom.max()) * 1.15))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="cause")
    return fig


def plot_series_bands(series: pd.DataFrame, metrics: Iterable[str], colors: dict[str, str],
                      band: tuple[float, float] = (0.1, 0.9)) -> Figure:
    """One panel per weekly series (titled with its declared label), mean line and band per scenario."""
    declared = {c: WEEKLY.get(model_name(c)) for c in metrics if c in series.columns}
    present = {c: w.label if w else c for c, w in declared.items()}
    with matplotlib.rc_context(STYLE):
        fig = _figure(16, 6.5)
        axes = np.atleast_1d(fig.subplots(1, max(1, len(present)), squeeze=False).ravel())
        if not present:
            _no_data(axes[0])
            return fig
        for ax, (column, title) in zip(axes, present.items(), strict=True):
            ax.set_title(title)
            _band_lines(ax, series, column, colors, band)
            ax.yaxis.set_major_formatter(FuncFormatter(fm.tick(w.fmt if (w := declared[column]) else "number")))
            ax.set_xlabel("week")
        _series_legend(fig, colors, band)
    return fig


def churn_by_cause(series: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Mean over replications of accounts lost by the last week, one column per cause present.

    Uses the running totals ``churned_<cause>_cum`` if present, else sums the weekly counts.
    """
    if series is None or series.empty or not {"scenario", "replication"} <= set(series.columns):
        return pd.DataFrame()
    out = {}
    for c in CHURN_CAUSES:
        cause, cum, weekly = c.key, c.cumulative, c.count
        if cum in series.columns:
            per_run = _last_week(series).groupby(["scenario", "replication"])[cum].last()
        elif weekly in series.columns:
            per_run = series.groupby(["scenario", "replication"])[weekly].sum()
        else:
            continue
        out[cause] = pd.to_numeric(per_run, errors="coerce").groupby(level="scenario").mean()
    return pd.DataFrame(out).reindex(list(names)).fillna(0.0) if out else pd.DataFrame()


# --- panels ------------------------------------------------------------------------


def _bars(ax: Axes, comparison: pd.DataFrame, kpi: str, colors: dict[str, str], runs: pd.DataFrame | None,
          annotate: bool = False, ticklabels: bool = False) -> None:
    """Bars at each scenario's mean with the 95 % interval as error bars; optional replication dots."""
    names = list(colors)
    rows = comparison[comparison["kpi"] == kpi].set_index("scenario").reindex(names)
    mean = rows["mean"].to_numpy(float)
    err = np.vstack([mean - rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float) - mean])
    x = np.arange(len(names))
    ax.bar(x, mean, 0.7, color=[colors[n] for n in names], alpha=0.85)
    ax.errorbar(x, mean, yerr=np.nan_to_num(np.abs(err)), fmt="none", ecolor="black", elinewidth=2.5, capsize=8)
    if runs is not None and kpi in runs.columns and "scenario" in runs.columns:
        for xi, name in zip(x, names, strict=True):
            values = pd.to_numeric(runs.loc[runs["scenario"] == name, kpi], errors="coerce").dropna()
            ax.scatter(np.full(len(values), xi), values, s=28, color="white", edgecolors="black", zorder=3)
    if annotate:  # inside the bar, clear of the whisker
        for xi, m in zip(x, mean, strict=True):
            if math.isfinite(m) and m > 0:
                ax.text(float(xi), m / 2, _format_axis_value(kpi, m), ha="center", va="center", fontsize=20,
                        fontweight="bold", color="white",
                        bbox={"facecolor": "black", "alpha": 0.35, "edgecolor": "none", "pad": 4})
    ax.set_title(label(kpi), fontsize=17)
    _format_axis(ax, kpi)
    if ticklabels:
        _scenario_ticks(ax, names, colors)
    else:
        ax.set_xticks([])


def _diff_panel(ax: Axes, comparison: pd.DataFrame, kpi: str, names: list[str], colors: dict[str, str]) -> None:
    """Paired (thick, scenario colour) and unpaired (thin, grey) intervals of each difference."""
    rows = comparison[comparison["kpi"] == kpi].set_index("scenario")
    ticks, labels = [], []
    for i, name in enumerate(names):
        if name not in rows.index:
            continue
        r = rows.loc[name]
        y = -2.0 * i
        ax.plot([r["diff_ci_low"], r["diff_ci_high"]], [y, y], color=colors[name], linewidth=10,
                solid_capstyle="butt")
        ax.plot([r["unpaired_diff_ci_low"], r["unpaired_diff_ci_high"]], [y - 0.7, y - 0.7], color=GREY,
                linewidth=3, marker="|", markersize=18)
        ax.plot([r["diff_vs_first"]] * 2, [y, y - 0.7], "o", color="black", markersize=8)
        ticks += [y, y - 0.7]
        labels += [f"{name}\npaired", "unpaired"]
    ax.axvline(0.0, color="black", linewidth=1.5)
    ax.set_yticks(ticks, labels)
    ax.set_ylim(min(ticks, default=-1) - 0.8, 0.8)
    ax.set_title(f"Δ {label(kpi)}")
    ax.grid(axis="y", visible=False)
    formatter = _axis_formatter(kpi, diff=True)
    ax.xaxis.set_major_formatter(formatter)
    ax.tick_params(axis="x", labelrotation=20)


def _gap_panel(ax: Axes, series: pd.DataFrame, name: str, color: str) -> None:
    """Reported vs true banner rate of one scenario, means over replications, gap shaded."""
    ax.set_title(name, color=color, fontweight="bold")
    reported = _weekly_stats(series, name, "reported_banner_close_rate_week")
    true = _weekly_stats(series, name, "true_banner_conversion_week")
    if reported is None and true is None:
        return _no_data(ax)
    if reported is not None and true is not None:
        weeks = reported.index.intersection(true.index)
        r, t = reported.loc[weeks, "mean"], true.loc[weeks, "mean"]
        ax.fill_between(weeks, t, r, where=r >= t, color=color, alpha=0.25, interpolate=True)
    if reported is not None:
        ax.plot(reported.index, reported["mean"], color=color, label="reported")
    if true is not None:
        ax.plot(true.index, true["mean"], color=color, linestyle="--", label="true")
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("week")
    ax.legend(loc="lower right", fontsize=13)


def _band_lines(ax: Axes, series: pd.DataFrame, column: str, colors: dict[str, str], band: tuple[float, float],
                linestyle: str = "-", fill: bool = True) -> bool:
    """Mean line (and quantile band) of ``column`` per scenario; False if nothing could be drawn."""
    drew = False
    for name, color in colors.items():
        stats = _weekly_stats(series, name, column, band)
        if stats is None:
            continue
        if fill:
            ax.fill_between(stats.index, stats["low"], stats["high"], color=color, alpha=0.18, linewidth=0)
        ax.plot(stats.index, stats["mean"], color=color, linestyle=linestyle, label=name)
        drew = True
    return drew


def _weekly_stats(series: pd.DataFrame, name: str, column: str,
                  band: tuple[float, float] = (0.1, 0.9)) -> pd.DataFrame | None:
    """Per week: mean and the ``band`` quantiles of ``column`` across a scenario's replications."""
    if series is None or column not in series.columns or not {"scenario", "week"} <= set(series.columns):
        return None
    rows = series[series["scenario"] == name]
    values = pd.to_numeric(rows[column], errors="coerce")
    if rows.empty or values.isna().all():
        return None
    grouped = values.groupby(rows["week"].to_numpy())
    return pd.DataFrame({"mean": grouped.mean(), "low": grouped.quantile(band[0]),
                         "high": grouped.quantile(band[1])}).sort_index()


def _last_week(series: pd.DataFrame) -> pd.DataFrame:
    """Each run's rows sorted by week, so ``groupby(...).last()`` gives the final week."""
    return series.sort_values(["scenario", "replication", "week"]) if "week" in series.columns else series


# --- small utilities -----------------------------------------------------------------


def _figure(width: float, height: float) -> Figure:
    """A constrained-layout figure attached to an Agg canvas."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _series_legend(fig: Figure, colors: dict[str, str], band: tuple[float, float]) -> None:
    """Scenario colours and what the shaded band means, above the panels."""
    handles = [Patch(color=c, label=n) for n, c in colors.items()]
    handles.append(Patch(color=GREY, alpha=0.3, label=f"band: {band[0]:.0%}–{band[1]:.0%} of replications"))
    fig.legend(handles=handles, loc="outside upper center", ncols=min(len(handles), 4), frameon=False, fontsize=15)


def _scenario_ticks(ax: Axes, names: list[str], colors: dict[str, str]) -> None:
    """Scenario names under the bars, each in its colour."""
    ax.set_xticks(np.arange(len(names)), names, rotation=20 if len(names) > 3 else 0,
                  ha="right" if len(names) > 3 else "center")
    for text, name in zip(ax.get_xticklabels(), names, strict=True):
        text.set_color(colors[name])
        text.set_fontweight("bold")
    ax.grid(axis="x", visible=False)


def _axis_formatter(kpi: str, diff: bool = False) -> FuncFormatter | PercentFormatter:
    """Tick labels in the KPI's display format: percent for fractions (points for differences), else short."""
    fmt = display_format(kpi)
    if fmt == "percent" and not diff:
        return PercentFormatter(1.0, decimals=None)
    return FuncFormatter(fm.tick(fmt, signed=diff))


def _format_axis(ax: Axes, kpi: str) -> None:
    ax.yaxis.set_major_formatter(_axis_formatter(kpi))


def _format_axis_value(kpi: str, value: float) -> str:
    """A bar label in the KPI's display format."""
    return fm.value(value, display_format(kpi))


def _no_data(ax: Axes) -> None:
    """Mark a panel whose inputs are missing instead of failing."""
    ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color=GREY, fontsize=20)
