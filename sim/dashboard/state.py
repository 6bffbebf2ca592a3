"""What one browser session holds: the preset, the levers, the live run and the side-by-side pair.

Plain Python, no Solara: the page (``app.py``) calls these methods and redraws; the tests call
them directly. Every change of parameters goes through :func:`sim.dashboard.levers.apply_change`,
so an invalid value is refused with a message and the previous valid value stays.

A lever change does not patch a running model: the run is rebuilt with the new parameters and
the same seed and fast-forwarded to the week on screen (about 1.3 ms a week at the default
size), so what the room sees is always "this policy from week 0, same customers, same luck".
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.dashboard.levers import LeverRefused, apply_change, changed_levers, lever, parse_seed, parse_week
from sim.kpis import ROLLING_WEEKS
from sim.model import SalesModel
from sim.params import Params
from sim.scenario import Scenario, list_scenarios

HORIZONS = (52, 104, 156, 208)
DEFAULT_HORIZON = 104
# Weeks per second offered to the room; the play loop steps several weeks per frame when drawing is slower.
SPEEDS = (1, 2, 4, 8, 16, 32)
MAX_FPS = 8  # frames a second at most: more is not seen on a projector and only loads the server
MAX_FRAME_SECONDS = 0.25  # the most weeks one frame advances: a quarter second's worth at the chosen speed
MIN_IDLE_SHARE = 0.5  # the play loop idles at least half as long as its last frame took
DEFAULT_SPEED = 4
DEFAULT_PRESET = "banner_mandate"
DEFAULT_PAIR = ("banner_mandate", "customer_centric_coaching")
MY_LEVERS = "my_levers"  # pseudo-preset in the side-by-side picker: the levers as set on the Run tab
SIZE_FIELDS = ("n_reps", "n_managers", "n_accounts")


class LiveRun:
    """One model advanced week by week, with its weekly time series cached per week.

    ``changes`` records the levers changed mid-run, as (week, {lever: value}) in order; a rebuilt run
    (another seed, an earlier week) replays them at the same weeks, so it is the same policy history.
    """

    def __init__(self, params: Params, seed: int, label: str = "",
                 changes: Sequence[tuple[int, dict[str, Any]]] = ()) -> None:
        self.start_params = self.params = params
        self.seed = seed
        self.label = label
        self.model = SalesModel(params, rng=seed)
        self.changes: list[tuple[int, dict[str, Any]]] = []
        self._pending = sorted(changes, key=lambda c: c[0])  # replayed as the run reaches their weeks
        self._series: tuple[int, pd.DataFrame] | None = None
        self._apply_due()

    @property
    def week(self) -> int:
        return int(self.model.week)

    @property
    def change_weeks(self) -> list[int]:
        """The weeks from which a mid-run change applies (for the charts' marks)."""
        return sorted({week for week, _ in self.changes})

    def change(self, params: Params) -> None:
        """Apply new lever values from this week on (weeks already run stay); at week 0, simply start with them."""
        diff = {name: value for name, value in params.model_dump().items() if getattr(self.params, name) != value}
        if not diff:
            return
        if self.week == 0:  # nothing has run yet: the run simply starts with these levers
            self.start_params = self.params = params
            self.model = SalesModel(params, rng=self.seed)
            return
        self.model.change_levers(diff)
        self.changes.append((self.week, diff))
        self.params = self.model.p
        self._series = None

    def _apply_due(self) -> None:
        while self._pending and self._pending[0][0] <= self.week:
            week, diff = self._pending.pop(0)
            self.model.change_levers(diff)
            self.changes.append((week, diff))
            self.params = self.model.p

    def advance(self, weeks: int = 1, limit: int | None = None, halt: threading.Event | None = None) -> int:
        """Step up to ``weeks`` weeks, never past ``limit``, stopping at once when ``halt`` is set;
        return how many were run."""
        n = max(0, int(weeks) if limit is None else min(int(weeks), int(limit) - self.week))
        for done in range(n):
            if halt is not None and halt.is_set():
                return done
            self.model.step()
            self._apply_due()
        return n

    def timeseries(self) -> pd.DataFrame:
        """The model's weekly series (empty before the first week), computed once per week; the banner
        rates roll over the model's declared window, :data:`sim.kpis.ROLLING_WEEKS`."""
        if self._series is None or self._series[0] != self.week:
            df = self.model.timeseries(window=ROLLING_WEEKS) if self.week > 0 else pd.DataFrame()
            self._series = (self.week, df)
        return self._series[1]

    def digests(self) -> list[str]:
        """A short fingerprint of each recorded week (every weekly series), so a page can show which weeks
        two runs share."""
        if self.week == 0:
            return []
        rows = self.model.weekly().to_numpy(dtype=np.float64)
        return [hashlib.blake2b(row.tobytes(), digest_size=6).hexdigest() for row in rows]

    def rebuilt(self, start: Params | None = None, seed: int | None = None, to_week: int | None = None,
                keep_changes: bool = True) -> LiveRun:
        """A fresh run with other starting parameters or seed, fast-forwarded to ``to_week`` (default: this
        week), with this run's mid-run changes replayed at their weeks (unless ``keep_changes`` is false)."""
        week = self.week if to_week is None else to_week
        changes = [c for c in self.changes if c[0] < week] if keep_changes else []
        run = LiveRun(start or self.start_params, self.seed if seed is None else seed, self.label, changes)
        run.advance(week)
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
    clicks in the page never step or rebuild a model at the same time. :meth:`pause` takes no lock:
    it sets ``halt``, which the play loop checks before every week, so Pause stops within one week.
    """

    def __init__(self, presets: dict[str, Preset] | None = None, preset: str = DEFAULT_PRESET, seed: int = 1) -> None:
        self.lock = threading.RLock()
        self.halt = threading.Event()  # set by Pause: the running frame stops before its next week
        self.paused_at = -1  # the week on screen when Pause was last pressed
        self.drawn = threading.Event()  # set by the page once it has drawn a frame (the play loop waits for it)
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
        """Change one lever from the week on screen on (the weeks already run stay as they were); a new team
        size is another unit, so it re-runs from week 0 to the week on screen."""
        with self.lock:
            params = apply_change(self.params, name, value)
            if name in SIZE_FIELDS:
                self.sizes[name] = getattr(params, name)
                self.params = params
                self.run = self.run.rebuilt(start=params, keep_changes=False)
                self._refresh_pair()
            else:
                self._change(params)

    def restore_preset(self) -> None:
        """Put every lever back to the preset's value from the week on screen on (team size and seed stay)."""
        with self.lock:
            self._change(self._with_sizes(self.preset.params))

    def changed(self) -> list[str]:
        """Levers set differently from the preset."""
        return [n for n in changed_levers(self.params, self.preset.params) if n not in SIZE_FIELDS]

    def changed_since(self) -> dict[str, int]:
        """For each lever changed mid-run, the week its current value applies from."""
        out: dict[str, int] = {}
        for week, diff in self.run.changes:
            out.update(dict.fromkeys(diff, week))
        return out

    def set_seed(self, text: Any) -> None:
        """A new seed: the same policy (and the same mid-run changes) meets other customers and other luck."""
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

    def _change(self, params: Params) -> None:
        self.params = params
        self.run.change(params)
        self._refresh_pair()

    def _refresh_pair(self) -> None:
        """Rebuild the side-by-side runs whose parameters changed (my levers, team size), same week."""
        if self.pair is None:
            return
        self.pair = tuple(run if run.params == self.pair_params(name) else run.rebuilt(start=self.pair_params(name))
                          for run, name in zip(self.pair, self.pair_names, strict=True))  # type: ignore[assignment]

    # --- running ----------------------------------------------------------------------------
    def step(self, weeks: int = 1, playing: bool = False) -> int:
        """Advance the live run up to ``weeks`` weeks, stopping at the horizon (and, for the play loop,
        ``playing``, as soon as Pause is pressed)."""
        with self.lock:
            return self.run.advance(weeks, self.horizon, self.halt if playing else None)

    def play(self) -> None:
        """Let the play loop run (clears a previous Pause)."""
        self.halt.clear()

    def pause(self, week: int) -> None:
        """Stop the play loop before its next week (no lock: it must not wait for the frame being drawn)."""
        self.halt.set()
        self.paused_at = int(week)

    def jump(self, text: Any, mode: str = "run") -> None:
        """Show week ``text`` of the live run (``mode="pair"``: of both runs side by side): run on to it, or
        re-run to it on the same seed with the mid-run changes made before it (later ones are undone, and
        the levers show what runs at that week)."""
        week = parse_week(text, self.horizon)
        with self.lock:
            if mode == "pair":
                a, b = self.ensure_pair()
                self.pair = (_at_week(a, week), _at_week(b, week))
            else:
                self.run = _at_week(self.run, week)
                self.params = self.run.params

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
        """Pick the two presets (or 'my levers') to run side by side; a side that changes re-runs to the week
        on screen on the same seed, so both sides stay at the same week."""
        for name in (a, b):
            if name != MY_LEVERS and name not in self.presets:
                raise LeverRefused(f"There is no preset called '{name}'.")
        with self.lock:
            old, self.pair_names = self.pair_names, (a, b)
            if self.pair is not None:
                week = self.pair[0].week
                self.pair = tuple(run if new == was else _at_week(LiveRun(self.pair_params(new), self.seed, new), week)
                                  for run, new, was in zip(self.pair, (a, b), old, strict=True))  # type: ignore[assignment]

    def ensure_pair(self) -> tuple[LiveRun, LiveRun]:
        with self.lock:
            if self.pair is None:
                self.pair = tuple(LiveRun(self.pair_params(n), self.seed, n)  # type: ignore[assignment]
                                  for n in self.pair_names)
            return self.pair  # type: ignore[return-value]

    def pair_step(self, weeks: int = 1, playing: bool = False) -> int:
        """Advance both runs of the pair together (same seed, same weeks); see :meth:`step`."""
        with self.lock:
            a, b = self.ensure_pair()
            n = a.advance(weeks, self.horizon, self.halt if playing else None)
            b.advance(n, self.horizon)
            return n

    def pair_reset(self) -> None:
        with self.lock:
            self.pair = None
            self.ensure_pair()

    @property
    def pair_finished(self) -> bool:
        return self.pair is not None and self.pair[0].week >= self.horizon


def _at_week(run: LiveRun, week: int) -> LiveRun:
    """The run at ``week``: stepped on to it, or re-run to it from week 0 (same seed, same changes)."""
    if week >= run.week:
        run.advance(week - run.week)
        return run
    return run.rebuilt(to_week=week)


def frame_weeks(speed: float, seconds_per_frame: float) -> int:
    """Weeks to step per frame so the run keeps ``speed`` weeks a second when a frame takes this long.

    Frames come at most :data:`MAX_FPS` a second (a faster speed steps several weeks a frame) and never
    jump more than a quarter second's worth of weeks: when drawing is slower than that, the run slows down
    instead of leaping ahead of what the room can follow.
    """
    speed = float(speed)
    seconds = min(max(seconds_per_frame, 1.0 / speed, 1.0 / MAX_FPS), MAX_FRAME_SECONDS)
    return max(1, round(speed * seconds))


def idle_after(weeks: int, speed: float, elapsed: float) -> float:
    """Seconds the play loop waits after a frame: what keeps ``speed``, the frame-rate cap, and never less
    than :data:`MIN_IDLE_SHARE` of the frame's own time, so clicks (Pause) are always served in between."""
    return max(weeks / float(speed) - elapsed, 1.0 / MAX_FPS - elapsed, MIN_IDLE_SHARE * elapsed)


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
