"""What one browser session holds: the preset, the levers, the live run and the side-by-side pair.

Plain Python, no Solara: the page (``app.py``) calls these methods and redraws; the tests call
them directly. Every change of parameters goes through :func:`sim.dashboard.levers.apply_change`,
so an invalid value is refused with a message and the previous valid value stays.

A lever change does not patch a running model: the run is rebuilt with the new parameters and
the same seed and fast-forwarded to the week on screen (about 1.3 ms a week at the default
size), so what the room sees is always "this policy from week 0, same customers, same luck".
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.dashboard.levers import LeverRefused, apply_change, changed_levers, lever, parse_seed
from sim.kpis import ROLLING_WEEKS
from sim.model import SalesModel
from sim.params import Params
from sim.scenario import Scenario, list_scenarios

HORIZONS = (52, 104, 156, 208)
DEFAULT_HORIZON = 104
# Weeks per second offered to the room; the play loop steps several weeks per frame when drawing is slower.
SPEEDS = (1, 2, 4, 8, 16, 32)
DEFAULT_SPEED = 4
DEFAULT_PRESET = "banner_mandate"
DEFAULT_PAIR = ("banner_mandate", "customer_centric_coaching")
MY_LEVERS = "my_levers"  # pseudo-preset in the side-by-side picker: the levers as set on the Run tab
SIZE_FIELDS = ("n_reps", "n_managers", "n_accounts")


class LiveRun:
    """One model advanced week by week, with its weekly time series cached per week."""

    def __init__(self, params: Params, seed: int, label: str = "") -> None:
        self.params = params
        self.seed = seed
        self.label = label
        self.model = SalesModel(params, rng=seed)
        self._series: tuple[int, pd.DataFrame] | None = None

    @property
    def week(self) -> int:
        return int(self.model.week)

    def advance(self, weeks: int = 1, limit: int | None = None) -> int:
        """Step up to ``weeks`` weeks, never past ``limit``; return how many were run."""
        n = max(0, int(weeks) if limit is None else min(int(weeks), int(limit) - self.week))
        for _ in range(n):
            self.model.step()
        return n

    def timeseries(self) -> pd.DataFrame:
        """The model's weekly series (empty before the first week), computed once per week; the banner
        rates roll over the model's declared window, :data:`sim.kpis.ROLLING_WEEKS`."""
        if self._series is None or self._series[0] != self.week:
            df = self.model.timeseries(window=ROLLING_WEEKS) if self.week > 0 else pd.DataFrame()
            self._series = (self.week, df)
        return self._series[1]

    def rebuilt(self, params: Params | None = None, seed: int | None = None, to_week: int | None = None) -> LiveRun:
        """A fresh run with new parameters or seed, fast-forwarded to ``to_week`` (default: this week)."""
        run = LiveRun(params or self.params, self.seed if seed is None else seed, self.label)
        run.advance(self.week if to_week is None else to_week)
        return run


@dataclass(frozen=True)
class Preset:
    """What the page shows about a scenario: its name, title, question and workshop notes."""

    name: str
    title: str
    question: str
    notice: str
    things_to_try: tuple[str, ...]
    params: Params


def load_presets() -> dict[str, Preset]:
    """Every scenario file as a preset, baseline first (a broken file raises ScenarioError)."""
    return {sc.name: _preset(sc) for sc in list_scenarios()}


def _preset(sc: Scenario) -> Preset:
    return Preset(sc.name, sc.title, sc.question, sc.notice, tuple(sc.things_to_try), sc.params)


class Session:
    """One browser tab's dashboard: preset, levers, seed, horizon, the live run and the pair.

    Methods that change anything take the session lock, so the play loop (a thread) and
    clicks in the page never step or rebuild a model at the same time.
    """

    def __init__(self, presets: dict[str, Preset] | None = None, preset: str = DEFAULT_PRESET, seed: int = 1) -> None:
        self.lock = threading.RLock()
        self.presets = presets if presets is not None else load_presets()
        if not self.presets:
            raise LeverRefused("No scenario files were found, so there is no preset to show.")
        self.preset_name = preset if preset in self.presets else next(iter(self.presets))
        self.sizes: dict[str, int] = {}
        self.params = self.preset.params
        self.seed = seed
        self.horizon = DEFAULT_HORIZON
        self.run = LiveRun(self.params, seed, self.preset_name)
        a, b = DEFAULT_PAIR
        self.pair_names: tuple[str, str] = (a if a in self.presets else self.preset_name,
                                            b if b in self.presets else MY_LEVERS)
        self.pair: tuple[LiveRun, LiveRun] | None = None

    # --- presets and levers -------------------------------------------------------------
    @property
    def preset(self) -> Preset:
        return self.presets[self.preset_name]

    def choose_preset(self, name: str) -> None:
        """Load a preset's levers (keeping the team size and seed) and restart at week 0."""
        if name not in self.presets:
            raise LeverRefused(f"There is no preset called '{name}'.")
        with self.lock:
            params = self._with_sizes(self.presets[name].params)
            self.preset_name = name
            self.params = params
            self.run = LiveRun(params, self.seed, name)
            self._refresh_pair()

    def set_lever(self, name: str, value: Any) -> None:
        """Change one lever; the run restarts with it and catches up to the week on screen."""
        with self.lock:
            params = apply_change(self.params, name, value)
            if name in SIZE_FIELDS:
                self.sizes[name] = getattr(params, name)
            self._rerun(params)

    def restore_preset(self) -> None:
        """Put every lever back to the preset's value (team size and seed stay)."""
        with self.lock:
            self._rerun(self._with_sizes(self.preset.params))

    def changed(self) -> list[str]:
        """Levers set differently from the preset."""
        return [n for n in changed_levers(self.params, self.preset.params) if n not in SIZE_FIELDS]

    def set_seed(self, text: Any) -> None:
        """A new seed: the same policy meets other customers and other luck."""
        seed = parse_seed(text)
        with self.lock:
            self.seed = seed
            self.run = self.run.rebuilt(seed=seed)
            if self.pair is not None:
                self.pair = tuple(r.rebuilt(seed=seed) for r in self.pair)  # type: ignore[assignment]

    def set_horizon(self, weeks: int) -> None:
        if int(weeks) not in HORIZONS:
            raise LeverRefused(f"Weeks to show: {weeks} is not one of {', '.join(map(str, HORIZONS))}.")
        with self.lock:
            self.horizon = int(weeks)
            if self.run.week > self.horizon:  # a shorter view: show the same run at its last week
                self.run = self.run.rebuilt(to_week=self.horizon)
            if self.pair is not None and self.pair[0].week > self.horizon:
                self.pair = tuple(r.rebuilt(to_week=self.horizon) for r in self.pair)  # type: ignore[assignment]

    def _with_sizes(self, params: Params) -> Params:
        if not self.sizes:
            return params
        try:
            return params.replace(**self.sizes)
        except Exception:  # a preset that sets its own size wins over an incompatible team size
            return params

    def _rerun(self, params: Params) -> None:
        self.params = params
        self.run = self.run.rebuilt(params=params)
        self._refresh_pair()

    def _refresh_pair(self) -> None:
        """Rebuild the side-by-side runs whose parameters changed (my levers, team size), same week."""
        if self.pair is None:
            return
        self.pair = tuple(run if run.params == self.pair_params(name) else run.rebuilt(params=self.pair_params(name))
                          for run, name in zip(self.pair, self.pair_names, strict=True))  # type: ignore[assignment]

    # --- running ----------------------------------------------------------------------------
    def step(self, weeks: int = 1) -> int:
        """Advance the live run up to ``weeks`` weeks, stopping at the horizon."""
        with self.lock:
            n = self.run.advance(weeks, self.horizon)
            return n

    def reset(self) -> None:
        with self.lock:
            self.run = LiveRun(self.params, self.seed, self.preset_name)

    @property
    def finished(self) -> bool:
        return self.run.week >= self.horizon

    # --- side by side -------------------------------------------------------------------------
    def pair_params(self, name: str) -> Params:
        return self.params if name == MY_LEVERS else self._with_sizes(self.presets[name].params)

    def pair_label(self, name: str) -> str:
        return "My levers" if name == MY_LEVERS else self.presets[name].title

    def choose_pair(self, a: str, b: str) -> None:
        """Pick the two presets (or 'my levers') to run side by side; both restart at week 0."""
        for name in (a, b):
            if name != MY_LEVERS and name not in self.presets:
                raise LeverRefused(f"There is no preset called '{name}'.")
        with self.lock:
            self.pair_names = (a, b)
            self.pair = None

    def ensure_pair(self) -> tuple[LiveRun, LiveRun]:
        with self.lock:
            if self.pair is None:
                self.pair = tuple(LiveRun(self.pair_params(n), self.seed, n)  # type: ignore[assignment]
                                  for n in self.pair_names)
            return self.pair  # type: ignore[return-value]

    def pair_step(self, weeks: int = 1) -> int:
        """Advance both runs of the pair together (same seed, same weeks)."""
        with self.lock:
            a, b = self.ensure_pair()
            n = a.advance(weeks, self.horizon)
            b.advance(n, self.horizon)
            return n

    def pair_reset(self) -> None:
        with self.lock:
            self.pair = None
            self.ensure_pair()

    @property
    def pair_finished(self) -> bool:
        return self.pair is not None and self.pair[0].week >= self.horizon


def frame_weeks(speed: float, seconds_per_frame: float) -> int:
    """Weeks to step per frame so the run keeps ``speed`` weeks a second when a frame takes this long."""
    return max(1, round(float(speed) * max(seconds_per_frame, 1.0 / float(speed))))


class Stopwatch:
    """Tiny helper for the play loop: how long the last frame took."""

    def __init__(self) -> None:
        self.t = time.perf_counter()

    def lap(self) -> float:
        now = time.perf_counter()
        dt, self.t = now - self.t, now
        return dt


def lever_value_text(name: str, params: Params) -> str:
    """A lever's current value as the page writes it ('90 %')."""
    return lever(name).format(getattr(params, name))
