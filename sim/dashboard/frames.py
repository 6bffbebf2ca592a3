"""One frame of the page as images: every chart and the book of business, as PNG bytes.

Kept free of Solara so the timing benchmark and the tests draw exactly what the page draws.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sim.dashboard import book as bookmod
from sim.dashboard import charts
from sim.dashboard.state import LiveRun

log = logging.getLogger("salesim.dashboard")
ALL_CHARTS = tuple(c.key for c in charts.CHARTS)  # a module constant: mypy misreads a generator in a default (#9346)


class RunBoard:
    """The five live charts of one run (their cached frames persist between weeks)."""

    def __init__(self, keys: Sequence[str] = ALL_CHARTS) -> None:
        self.charts = {key: charts.LiveChart(key) for key in keys}

    def badge(self, key: str, run: LiveRun) -> str:
        """A chart's live number for this week ('lost so far: 1.2M'); empty for the book and before week 1."""
        spec = charts.CHARTS_BY_KEY.get(key)
        df = run.timeseries()
        return spec.badge(df) if spec is not None and len(df) else ""

    def draw(self, run: LiveRun, horizon: int, limits: dict[str, tuple[float, ...]] | None = None
             ) -> dict[str, bytes]:
        """PNG bytes of each chart and of the book (``"book"``) for the run's current week.

        A chart that fails is left out (and logged) instead of taking the page down.
        """
        out: dict[str, bytes] = {}
        df = run.timeseries()
        for key, chart in self.charts.items():
            try:
                out[key] = chart.render(df, horizon, (limits or {}).get(key), run.change_weeks)
            except Exception:
                log.exception("chart %s failed", key)
        try:
            out["book"] = bookmod.render_model(run.model).png()
        except Exception:
            log.exception("book of business failed")
        return out


class PairBoard:
    """The charts of two runs shown side by side, with shared y limits."""

    def __init__(self, keys: Sequence[str] = charts.PAIR_CHARTS) -> None:
        self.keys = tuple(keys)
        self.boards = (RunBoard(self.keys), RunBoard(self.keys))

    def draw(self, runs: Sequence[LiveRun], horizon: int) -> list[dict[str, bytes]]:
        frames = [r.timeseries() for r in runs]
        limits = {key: charts.shared_limits(key, frames) for key in self.keys}
        return [board.draw(run, horizon, limits) for board, run in zip(self.boards, runs, strict=True)]
