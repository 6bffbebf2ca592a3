"""Charts for a projector: big fonts, thick lines, few colours from the Okabe-Ito palette.

Each chart is a :class:`ChartSpec` in two parts: ``frame`` draws what stays put (title, axes,
ticks, legend) for given axis limits, and ``data`` draws the week's lines and areas. The page
keeps one :class:`LiveChart` per chart: it draws the frame once, keeps it as a background and
each week only redraws the data on top (matplotlib blitting), so a frame costs a few
milliseconds instead of a full redraw. The exported slide draws both parts normally.

The x axis is fixed to the horizon (e.g. two years) so lines grow from the left; y limits are
rounded up to "nice" numbers so they change rarely, and can be shared between two runs shown
side by side, so equal heights mean equal numbers.
"""

from __future__ import annotations

import contextlib
import io
import math
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.gridspec import SubplotSpec
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter
from PIL import Image

from sim import formatting as fm
from sim.kpis import CHURN_CAUSES, WEEKLY

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType  # the rcParams key names, for the annotation only

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
BLACK, ORANGE, SKY, GREEN, YELLOW, BLUE, VERMILLION, PURPLE = (
    "#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
GREY = "#8C8C8C"
MARK = "#444444"  # where levers were changed mid-run

STYLE: dict[RcKeyType, Any] = {
    "font.size": 15, "axes.titlesize": 19, "axes.titleweight": "bold", "axes.labelsize": 15,
    "xtick.labelsize": 15, "ytick.labelsize": 15, "legend.fontsize": 15, "lines.linewidth": 4.0,
    "axes.grid": True, "grid.alpha": 0.35, "axes.spines.top": False, "axes.spines.right": False,
    "legend.frameon": False, "figure.facecolor": "white", "axes.titlelocation": "left",
    "axes.titlepad": 10,
}
# Inches; at DPI 100 a live chart is 400 x 210 pixels: three fit side by side on a 1280-pixel projector at
# (at least) their own size, so 15-point ticks and legends stay above 20 pixels on the projected image
# (MIN_TEXT_PX). Titles and live numbers are HTML above each chart, so they wrap instead of overlapping.
SIZE = (4.0, 2.1)
DPI = 100
MIN_TEXT_PX = 20
MARGINS = {"left": 0.17, "right": 0.93, "top": 0.94, "bottom": 0.15}
TWIN_RIGHT = 0.84  # right margin when a chart has a second y axis
LW: float = STYLE["lines.linewidth"]  # data lines pass their width explicitly: they are drawn outside ``styled()``
_STYLE_LOCK = threading.RLock()


@contextlib.contextmanager
def styled() -> Iterator[None]:
    """Apply STYLE while building figures (one thread at a time: rcParams are process-wide)."""
    with _STYLE_LOCK, matplotlib.rc_context(STYLE):
        yield


def nice_ceiling(x: float, minimum: float = 1.0) -> float:
    """Round up to 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten (limits that change rarely)."""
    x = max(float(x), minimum)
    if not math.isfinite(x):
        return minimum
    base = 10 ** math.floor(math.log10(x))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * base >= x - 1e-12:
            return m * base
    return 10 * base


def _x(df: pd.DataFrame) -> np.ndarray:
    """Week numbers 1..n for the rows (row 0 is the first simulated week)."""
    return np.asarray(df.index, dtype=float) + 1.0


def _col(df: pd.DataFrame, name: str) -> np.ndarray | None:
    return df[name].to_numpy(dtype=float) if name in df.columns and len(df) else None


def _bottom_legend(ax: Axes, handles: Sequence[Artist]) -> None:
    """The legend under the x axis: one row for up to three entries, two rows for more."""
    ncols = len(handles) if len(handles) <= 3 else math.ceil(len(handles) / 2)
    ax.figure.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncols=ncols,
                     handlelength=1.6, columnspacing=1.2, borderaxespad=0.2, labelspacing=0.3)


def _proxy(colour: str, lw: float | None = None, ls: Any = "-", label: str = "") -> Line2D:
    return Line2D([], [], color=colour, lw=lw or STYLE["lines.linewidth"], ls=ls, label=label)


class ChartSpec:
    """One chart: a key, a title, its static frame and its weekly data."""

    key = ""
    title = ""
    twin = False

    def limits(self, df: pd.DataFrame) -> tuple[float, ...]:
        """The y limits this data needs, rounded so they change rarely."""
        return ()

    def frame(self, fig: Figure, where: SubplotSpec | None, horizon: int, limits: tuple[float, ...],
              legend: bool = True, titled: bool = True) -> list[Axes]:
        """The chart's static parts; ``titled=False`` (the live page, which writes the title in HTML above
        the image) leaves out the title and the x axis label."""
        ax = fig.add_subplot(where) if where is not None else fig.add_subplot()
        ax.set_xlim(0, horizon)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        if titled:
            ax.set_title(self.title)
            ax.set_xlabel("week", labelpad=2)
        axes = [ax]
        if self.twin:
            right = ax.twinx()
            right.grid(False)
            right.spines["right"].set_visible(True)
            axes.append(right)
        self.setup(axes, limits, legend)
        return axes

    def setup(self, axes: list[Axes], limits: tuple[float, ...], legend: bool) -> None:
        """Limits, formatters and the legend (static)."""

    def data(self, axes: list[Axes], df: pd.DataFrame, animated: bool) -> list[Artist]:
        """The lines and areas of this week's data; returns the artists it added."""
        return []

    def badge(self, df: pd.DataFrame) -> str:
        """A short live number shown at the top right ('lost so far: 1.2 M')."""
        return ""

    def handles(self) -> list[Artist]:
        """Legend entries (fresh artists each call, so any figure can use them)."""
        return []


class CloseRateChart(ChartSpec):
    key, title = "close_rate", "Banner close rate: reported vs true"

    def setup(self, axes, limits, legend):
        ax = axes[0]
        ax.set_ylim(0, 1.0)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        if legend:
            _bottom_legend(ax, self.handles())

    def handles(self):
        return [_proxy(VERMILLION, label="reported"), _proxy(BLUE, label="true conversion"),
                Patch(color=VERMILLION, alpha=0.25, label="hidden by the report"),
                _proxy(BLACK, 2.5, (0, (2, 1.5)), "avoided")]

    def data(self, axes, df, animated):
        ax = axes[0]
        reported, true = _col(df, "reported_banner_close_rate"), _col(df, "true_banner_conversion")
        if reported is None or true is None:
            return []
        x = _x(df)
        out: list[Artist] = [ax.fill_between(x, true, reported, where=reported >= true, color=VERMILLION,
                                             alpha=0.25, lw=0, interpolate=True, animated=animated)]
        avoid = _col(df, "banner_avoidance_rate")
        if avoid is not None:
            out += ax.plot(x, avoid, color=BLACK, lw=2.5, ls=(0, (2, 1.5)), animated=animated)
        out += ax.plot(x, reported, color=VERMILLION, lw=LW, animated=animated)
        out += ax.plot(x, true, color=BLUE, lw=LW, animated=animated)
        return out


class RevenueChart(ChartSpec):
    key, title = "revenue", "Revenue vs potential, and profit, per week"

    def limits(self, df):
        potential = _col(df, "revenue_potential")
        return (nice_ceiling(1.1 * float(np.nanmax(potential))) if potential is not None else 0.0,)

    def setup(self, axes, limits, legend):
        ax = axes[0]
        top = limits[0] if limits else 0.0
        ax.set_ylim(0, top or 1.0)
        ax.yaxis.set_major_formatter(FuncFormatter(fm.tick("money")) if top else FuncFormatter(lambda *_: ""))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
        if legend:
            _bottom_legend(ax, self.handles())

    def handles(self):
        return [_proxy(BLUE, label="revenue"), _proxy(BLACK, 2.5, "--", "potential"),
                Patch(color=GREY, alpha=0.35, label="lost"), _proxy(GREEN, label="profit")]

    def data(self, axes, df, animated):
        ax = axes[0]
        revenue, potential = _col(df, "revenue"), _col(df, "revenue_potential")
        if revenue is None or potential is None:
            return []
        x = _x(df)
        out: list[Artist] = [ax.fill_between(x, revenue, potential, where=potential >= revenue, color=GREY,
                                             alpha=0.35, lw=0, interpolate=True, animated=animated)]
        out += ax.plot(x, potential, color=BLACK, lw=2.5, ls="--", animated=animated)
        out += ax.plot(x, revenue, color=BLUE, lw=LW, animated=animated)
        profit = _col(df, "profit")
        if profit is not None:  # what is left after every cost: the strategist's question
            out += ax.plot(x, profit, color=GREEN, lw=LW, animated=animated)
        return out

    def badge(self, df):
        lost, profit = _col(df, "revenue_lost_cum"), _col(df, "profit_cum")
        parts = [f"lost so far: {fm.money(lost[-1])}" if lost is not None else "",
                 f"profit so far: {fm.money(profit[-1])}" if profit is not None else ""]
        return " · ".join(p for p in parts if p)


class ChurnChart(ChartSpec):
    key, title = "churn", "Customers lost, by cause"

    @staticmethod
    def _stack(df: pd.DataFrame) -> list[tuple[np.ndarray, str, str]]:
        return [(c, cause.label, cause.colour) for cause in CHURN_CAUSES
                if (c := _col(df, cause.cumulative)) is not None]

    def limits(self, df):
        stack = self._stack(df)
        total = sum(float(c[-1]) for c, _, _ in stack) if stack else 0.0
        return (nice_ceiling(1.15 * total, 10.0),)

    def setup(self, axes, limits, legend):
        ax = axes[0]
        ax.set_ylim(0, limits[0] if limits else 10.0)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.set_ylabel("accounts")
        if legend:
            _bottom_legend(ax, self.handles())

    def handles(self):
        return [Patch(color=cause.colour, label=cause.label) for cause in CHURN_CAUSES]

    def data(self, axes, df, animated):
        stack = self._stack(df)
        if not stack:
            return []
        polys = axes[0].stackplot(_x(df), *[c for c, _, _ in stack], colors=[c for _, _, c in stack], alpha=0.9)
        for p in polys:
            p.set_animated(animated)
        return list(polys)

    def badge(self, df):
        stack = self._stack(df)
        return f"total: {fm.count(sum(c[-1] for c, _, _ in stack))}" if stack else ""


class PeopleChart(ChartSpec):
    key, title, twin = "people", "Rep stress and quits", True

    def limits(self, df):
        quits = _col(df, "quits")
        return (nice_ceiling(1.25 * float(np.nansum(quits)) if quits is not None else 0.0, 5.0),)

    def setup(self, axes, limits, legend):
        ax, right = axes
        ax.set_ylim(0, 1.0)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylabel("stress")
        right.set_ylim(0, limits[0] if limits else 5.0)
        right.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        right.set_ylabel("reps who quit")
        if legend:
            _bottom_legend(ax, self.handles())

    def handles(self):
        return [_proxy(VERMILLION, label=WEEKLY["rep_stress_mean"].label),
                _proxy(BLACK, 2.5, "--", f"{WEEKLY['quits'].label} (total)")]

    def data(self, axes, df, animated):
        ax, right = axes
        stress, quits = _col(df, "rep_stress_mean"), _col(df, "quits")
        out: list[Artist] = []
        x = _x(df)
        if quits is not None:
            out += right.step(x, np.cumsum(np.nan_to_num(quits)), where="post", color=BLACK, lw=2.5, ls="--",
                              animated=animated)
        if stress is not None:
            out += ax.plot(x, stress, color=VERMILLION, lw=LW, animated=animated)
        return out

    def badge(self, df):
        quits = _col(df, "quits")
        return f"quit so far: {fm.count(np.nansum(quits))}" if quits is not None else ""


class NpsChart(ChartSpec):
    key, title = "nps", "Net promoter score"

    def limits(self, df):
        nps = _col(df, "nps")
        if nps is None:
            return (-40.0, 80.0)
        lo, hi = float(np.nanmin(nps)), float(np.nanmax(nps))
        return (-nice_ceiling(max(40.0, -lo + 10)), nice_ceiling(max(80.0, hi + 10)))

    def setup(self, axes, limits, legend):
        ax = axes[0]
        ax.set_ylim(*(limits or (-40.0, 80.0)))
        ax.axhline(0, color=BLACK, lw=1.5)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        if legend:
            _bottom_legend(ax, self.handles())

    def handles(self):
        return [_proxy(GREEN, label="NPS of active customers (-100 to 100)")]

    def data(self, axes, df, animated):
        nps = _col(df, "nps")
        return [] if nps is None else axes[0].plot(_x(df), nps, color=GREEN, lw=LW, animated=animated)

    def badge(self, df):
        nps = _col(df, "nps")
        return f"now: {fm.score(nps[-1], signed=True, decimals=0)}" if nps is not None else ""


CHARTS: tuple[ChartSpec, ...] = (CloseRateChart(), RevenueChart(), ChurnChart(), PeopleChart(), NpsChart())
CHARTS_BY_KEY: dict[str, ChartSpec] = {c.key: c for c in CHARTS}
PAIR_CHARTS = ("close_rate", "revenue", "churn")


def shared_limits(key: str, frames: Sequence[pd.DataFrame]) -> tuple[float, ...]:
    """Limits that fit every run's data, for the same chart of runs shown side by side."""
    spec = CHARTS_BY_KEY[key]
    lims = [spec.limits(f) for f in frames]
    if not lims or not lims[0]:
        return ()
    lows = [lim[0] for lim in lims]
    if key == "nps":
        return (min(lows), max(lim[1] for lim in lims))
    return tuple(max(values) for values in zip(*lims, strict=True))


# --- rendering ---------------------------------------------------------------------------------


def _encode(canvas: FigureCanvasAgg) -> bytes:
    """The Agg canvas as PNG bytes (fast compression: these images live for one frame)."""
    w, h = canvas.get_width_height()
    img = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def png(fig: Figure, dpi: int = DPI) -> bytes:
    """Render a whole figure to PNG bytes."""
    buf = io.BytesIO()
    with styled():
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


class LiveChart:
    """One chart on the page, redrawn each week by blitting the data over a cached frame."""

    def __init__(self, key: str, size: tuple[float, float] = SIZE, dpi: int = DPI) -> None:
        self.spec = CHARTS_BY_KEY[key]
        self.lock = threading.Lock()
        with styled():
            self.fig = Figure(figsize=size, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)  # also becomes self.fig.canvas
        self._frame_key: tuple[Any, ...] | None = None
        self._axes: list[Axes] = []
        self._background: Any = None
        self._artists: list[Artist] = []

    def render(self, df: pd.DataFrame, horizon: int, limits: tuple[float, ...] | None = None,
               marks: Sequence[int] = ()) -> bytes:
        """PNG bytes of the chart for this time series; ``marks`` are weeks from which levers were changed."""
        with self.lock:
            lims = tuple(limits) if limits is not None else self.spec.limits(df)
            if (horizon, lims) != self._frame_key:
                with styled():
                    self._draw_frame(horizon, lims)
            self.canvas.restore_region(self._background)
            for artist in self._artists:
                artist.remove()
            self._artists = self.spec.data(self._axes, df, animated=True) + mark_changes(self._axes[0], marks, True)
            for artist in self._artists:
                ax = artist.axes
                assert ax is not None  # spec.data draws every artist on the frame's axes
                ax.draw_artist(artist)
            if not len(df):
                self._empty.set_visible(True)
                self.fig.draw_artist(self._empty)
            return _encode(self.canvas)

    def _draw_frame(self, horizon: int, limits: tuple[float, ...]) -> None:
        self.fig.clear()
        self._artists = []
        self._axes = self.spec.frame(self.fig, None, horizon, limits, legend=False, titled=False)
        for ax in self._axes:  # the page's legend under the image names what each axis shows
            ax.set_ylabel("")
        self.fig.subplots_adjust(**{**MARGINS, **({"right": TWIN_RIGHT} if self.spec.twin else {})})
        self._empty = self._axes[0].text(0.5, 0.5, "press Play or Step", transform=self._axes[0].transAxes,
                                         ha="center", va="center", fontsize=16, color=GREY, animated=True)
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        self._frame_key = (horizon, limits)


def mark_changes(ax: Axes, weeks: Sequence[int], animated: bool = False, label_y: float = 0.98) -> list[Artist]:
    """A dotted line where a mid-run lever change starts to apply (between week ``w`` and ``w + 1`` as drawn:
    rows are plotted at weeks 1..n), labelled with its week at ``label_y`` (axes height) from the bottom."""
    out: list[Artist] = []
    for week in weeks:
        x = week + 0.5
        out.append(ax.axvline(x, color=MARK, lw=3.0, ls=(0, (1, 1)), animated=animated))
        out.append(ax.text(x, label_y, f" changed, week {week}", transform=ax.get_xaxis_transform(), ha="left",
                           va="top", color=MARK, fontsize=13, fontweight="bold",
                           animated=animated))
    return out


def legend_items(key: str) -> list[tuple[str, str, str]]:
    """A chart's legend as (label, colour, style) for the page to write in HTML; style is ``line``,
    ``dashed`` or ``area``."""
    out = []
    for handle in CHARTS_BY_KEY[key].handles():
        label = str(handle.get_label())
        if isinstance(handle, Patch):
            out.append((label, to_hex(handle.get_facecolor()), "area"))
        elif isinstance(handle, Line2D):
            solid = handle.get_linestyle() in ("-", "solid")
            out.append((label, to_hex(handle.get_color()), "line" if solid else "dashed"))
    if key == "people":  # the second axis
        out[-1] = (f"{out[-1][0]}, right axis", *out[-1][1:])
    return out


def chart_png(key: str, df: pd.DataFrame, horizon: int, limits: tuple[float, ...] | None = None) -> bytes:
    """One chart as PNG bytes, drawn from scratch (for tests and one-off use)."""
    return LiveChart(key).render(df, horizon, limits)


def slide_figure(df: pd.DataFrame, horizon: int, title: str, book: np.ndarray | None = None,
                 book_title: str = "Book of business", legend: Sequence[Artist] = (),
                 marks: Sequence[int] = (), headline: str = "") -> Figure:
    """A 16:9 slide with the five charts and the book of business, for export; ``marks`` are the weeks from
    which levers were changed mid-run, ``headline`` the big numbers (written under the charts)."""
    with styled():
        fig = Figure(figsize=(19.2, 10.8), layout="constrained")
        grid = fig.add_gridspec(2, 3)
        spots = [grid[0, 0], grid[0, 1], grid[1, 0], grid[1, 1], grid[1, 2]]
        for spec, spot in zip(CHARTS, spots, strict=True):
            axes = spec.frame(fig, spot, horizon, spec.limits(df), legend=False)
            spec.data(axes, df, animated=False)
            mark_changes(axes[0], marks, label_y=0.5)  # the legend sits at the top left
            badge = spec.badge(df)
            if badge:  # on a line of its own: beside the title it runs into the next chart's
                axes[0].set_title(f"{spec.title}\n{badge}")
            axes[0].legend(handles=spec.handles(), loc="upper left", fontsize=11, ncols=2)
        draw_book_axes(fig.add_subplot(grid[0, 2]), book, book_title, legend)
        fig.suptitle(title, fontsize=24, fontweight="bold")
        if headline:
            fig.supxlabel(headline, fontsize=16)
    return fig


def pair_slide_figure(frames: Sequence[pd.DataFrame], titles: Sequence[str], horizon: int, title: str,
                      books: Sequence[np.ndarray | None], legend: Sequence[Artist] = (), headline: str = "") -> Figure:
    """A 16:9 slide of two runs side by side: the pair's charts with shared limits, both books, and
    ``headline`` (the big numbers and their difference) under the charts."""
    keys = PAIR_CHARTS
    with styled():
        fig = Figure(figsize=(19.2, 10.8), layout="constrained")
        grid = fig.add_gridspec(2, len(keys) + 1)
        for row, (df, run_title, book) in enumerate(zip(frames, titles, books, strict=True)):
            for col, key in enumerate(keys):
                spec = CHARTS_BY_KEY[key]
                axes = spec.frame(fig, grid[row, col], horizon, shared_limits(key, frames), legend=False)
                spec.data(axes, df, animated=False)
                badge = spec.badge(df)
                axes[0].set_title(f"{spec.title}" + (f"  ({badge})" if badge else ""), fontsize=15)
                if row == 0:
                    axes[0].legend(handles=spec.handles(), loc="upper left", fontsize=10, ncols=2)
            draw_book_axes(fig.add_subplot(grid[row, len(keys)]), book, run_title,
                           legend if row == 1 else ())
        fig.suptitle(title, fontsize=22, fontweight="bold")
        if headline:
            fig.supxlabel(headline, fontsize=14)
    return fig


def draw_book_axes(ax: Axes, book: np.ndarray | None, title: str, legend: Sequence[Artist] = ()) -> None:
    """The book-of-business image on an Axes, with a compact legend (``legend``: handles) underneath."""
    ax.set_title(title, fontsize=15)
    ax.set_axis_off()
    if book is not None:
        ax.imshow(book, interpolation="nearest")
    if legend:
        ax.legend(handles=list(legend), loc="upper center", bbox_to_anchor=(0.5, -0.01), ncols=2,
                  fontsize=11, handlelength=1.0, columnspacing=0.8)
