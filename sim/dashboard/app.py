"""The workshop page: presets, levers, play controls, live charts, the book of business, side by side.

Layout (for a projector): levers on the left (hideable, so the charts get the whole width), the
story on the right: the preset's question, what to notice and what to try, play controls, big
numbers, the charts and the book of business. A second view runs two presets with the same seed.

Each browser tab has its own :class:`~sim.dashboard.state.Session`. Every callback goes through
:func:`_guarded`: a refused value or an unexpected error becomes a message on the page (the
previous valid value stays), never a traceback.
"""

from __future__ import annotations

import datetime as _dt
import html
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import reacton.ipyvue as rvue
import reacton.ipyvuetify as rv
import solara

from sim import formatting as fm
from sim.dashboard import book as bookmod
from sim.dashboard import charts
from sim.dashboard.frames import PairBoard, RunBoard
from sim.dashboard.levers import (
    LEVERS,
    SECTIONS,
    Lever,
    LeverRefused,
    lever,
    parse_typed,
)
from sim.dashboard.state import (
    DEFAULT_PRESET,
    DEFAULT_SPEED,
    HORIZONS,
    MY_LEVERS,
    SPEEDS,
    LiveRun,
    Session,
    frame_weeks,
    idle_after,
)
from sim.errors import UserError
from sim.kpis import CHURN_CAUSES, ROLLING_WEEKS

log = logging.getLogger("salesim.dashboard")

ENV_EXPORTS = "SALESIM_DASHBOARD_EXPORTS"
ENV_PRESET = "SALESIM_DASHBOARD_PRESET"
DEFAULT_EXPORTS = Path("runs") / "dashboard-exports"
DRAW_WAIT_SECONDS = 2.0  # the longest the play loop waits for a frame to be drawn before it goes on
TIMING = os.environ.get("SALESIM_DASHBOARD_TIMING", "") not in ("", "0")  # log the server time of each click

# --- per-tab state (Solara keeps one value per browser tab) ---------------------------------------
view = solara.reactive("run")              # "run" or "pair"
playing = solara.reactive("")              # "" (paused), "run" or "pair"
speed = solara.reactive(DEFAULT_SPEED)     # weeks per second
frame = solara.reactive(0)                 # bumped whenever a run advances: redraw the charts
config = solara.reactive(0)                # bumped whenever levers, preset or seed change
refusal = solara.reactive(("", ""))        # (lever name or "", message) of the last refused input
# lever name -> count of refusals: re-creates that lever's widgets
generation: solara.Reactive[dict[str, int]] = solara.reactive({})
saved = solara.reactive(("", b""))         # (path, PNG bytes) of the last exported slide
show_levers = solara.reactive(True)

CSS = """
.salesim { font-size: 18px; }
.salesim .v-label, .salesim .v-field-label { font-size: 16px; }
.salesim .sidebar { width: 390px; min-width: 390px; max-width: 390px; }
.salesim .lever-title { font-size: 16px; font-weight: 600; margin-top: 6px; }
.salesim .lever-value { font-weight: 700; color: #0072B2; }
.salesim .lever-help { font-size: 13px; color: #555; margin-bottom: 2px; }
.salesim .lever-box { max-width: 110px; min-width: 90px; }
.salesim .lever-jump { max-width: 120px; min-width: 110px; }
.salesim .speed .v-btn { min-width: 36px !important; padding: 0 6px !important; }
.salesim .header-card { padding: 2px 12px !important; margin-bottom: 4px; }
.salesim .header-card .v-expansion-panel-title { min-height: 36px; padding: 4px 16px; }
.salesim .question { font-size: 20px; font-weight: 500; line-height: 1.25; margin: 0; }
.salesim ul.changed-levers { padding-left: 22px; }
.salesim .preset-title { font-size: 26px; font-weight: 700; line-height: 1.2; }
.salesim .notes { font-size: 17px; line-height: 1.4; }
.salesim .week-counter { font-size: 28px; font-weight: 700; margin: 0 12px; white-space: nowrap; }
.salesim .tiles { display: flex; flex-wrap: wrap; gap: 8px; margin: 4px 0; }
.salesim .tile { flex: 1 1 130px; border-radius: 8px; background: #f4f4f4; padding: 4px 10px; }
.salesim .tile-value { font-size: 28px; font-weight: 700; line-height: 1.15; white-space: nowrap; }
.salesim .tile-label { font-size: 15px; color: #333; line-height: 1.2; }
.salesim .tile-bad .tile-value { color: #D55E00; }
.salesim .chart-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr));
  gap: 4px 12px; width: 100%; }
.salesim .chart-caption { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 0 12px;
  font-size: 20px; line-height: 1.2; }
.salesim .chart-title { font-weight: 700; }
.salesim .chart-badge { font-weight: 700; color: #D55E00; font-size: 18px; }
.salesim .chart-legend { display: flex; flex-wrap: wrap; gap: 0 14px; font-size: 20px; line-height: 1.3; }
.salesim .chart-legend .key { display: inline-block; width: 26px; height: 0; margin-right: 6px;
  vertical-align: middle; border-top: 4px solid var(--c); }
.salesim .chart-legend .key-dashed { border-top-style: dashed; }
.salesim .chart-legend .key-area { height: 16px; border: none; background: var(--c); opacity: 0.6; }
.salesim .legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 15px; margin-top: 6px; }
.salesim .legend span.sw { display: inline-block; width: 18px; height: 18px; margin-right: 6px;
  vertical-align: -3px; border: 1px solid #0002; }
.salesim .legend span.frame { border: 3px solid #000; background: #fff; width: 18px; height: 18px; }
.salesim .chart img, .salesim img.solara-image { width: 100%; height: auto; }
.salesim .control-row { display: flex; align-items: center; flex-wrap: wrap; gap: 8px; }
.salesim .v-btn { font-size: 16px; }
.salesim .refusal { font-size: 18px; }
.salesim table.compare { border-collapse: collapse; font-size: 20px; width: 100%; margin: 4px 0 8px 0; }
.salesim table.compare td, .salesim table.compare th { padding: 2px 10px; border-bottom: 1px solid #ddd;
  text-align: right; }
.salesim table.compare td:first-child, .salesim table.compare th:first-child { text-align: left; }
.salesim table.compare td.diff { font-weight: 700; }
.salesim .run-title { font-size: 22px; font-weight: 700; }
.salesim .muted { color: #555; font-size: 15px; }
"""


# --- helpers ----------------------------------------------------------------------------------------


def _exports_dir() -> Path:
    return Path(os.environ.get(ENV_EXPORTS) or DEFAULT_EXPORTS)


def _refuse(name: str, message: str) -> None:
    refusal.set((name, message))
    # re-create that control's widgets, so they show the value that was kept, not what was typed
    generation.set({**generation.value, name: generation.value.get(name, 0) + 1})


def _gen(name: str) -> str:
    return f"{name}-{generation.value.get(name, 0)}"


def _guarded(fn: Callable[..., Any], name: str = "") -> Callable[..., Any]:
    """Wrap a callback: a refused value or any error becomes a message on the page, never a traceback."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            result = fn(*args, **kwargs)
        except (LeverRefused, UserError) as exc:
            _refuse(name, str(exc))
            return None
        except Exception as exc:  # a bug: log it for the trainer's terminal, show one line in the page
            log.exception("dashboard callback failed")
            _refuse(name, f"Something went wrong ({type(exc).__name__}: {exc}). The previous values are kept.")
            return None
        if refusal.value != ("", ""):
            refusal.set(("", ""))  # any change that went through replaces the last refusal
        if TIMING:
            log.warning("%s took %.1f ms of server time", getattr(fn, "__name__", "callback"),
                        (time.perf_counter() - t0) * 1e3)
        return result

    return wrapper


def _html(text: object) -> str:
    return html.escape(str(text))


TILE_LABELS = (f"banners avoided (last {ROLLING_WEEKS} weeks)", "banner close rate: reported / true",
               "revenue lost so far", "profit so far", "customers lost", "reps who quit", "net promoter score")


def _tile_numbers(run: LiveRun) -> list[tuple[float, ...]] | None:
    """The numbers behind each tile at this week (the close-rate tile has two), or None before week 1."""
    df = run.timeseries()
    if not len(df):
        return None
    last = df.iloc[-1]
    lost = sum(float(last.get(c.cumulative, 0.0)) for c in CHURN_CAUSES)
    quits = float(df["quits"].sum()) if "quits" in df.columns else 0.0
    return [(float(last.get("banner_avoidance_rate", 0.0)),),
            (float(last.get("reported_banner_close_rate", 0.0)), float(last.get("true_banner_conversion", 0.0))),
            (float(last.get("revenue_lost_cum", 0.0)),), (float(last.get("profit_cum", 0.0)),), (lost,), (quits,),
            (float(last.get("nps", 0.0)),)]


def _tile_text(i: int, values: tuple[float, ...], signed: bool = False) -> str:
    """One tile's numbers as the page writes them (``signed``: as a difference)."""
    pct = lambda x: fm.percent(x, signed=signed, decimals=0)  # noqa: E731
    if i == 0:
        return pct(values[0])
    if i == 1:
        return f"{pct(values[0])} / {pct(values[1])}"
    if i in (2, 3):
        return fm.money(values[0], signed=signed)
    if i in (4, 5):
        return fm.count(values[0], signed=signed)
    return fm.score(values[0], signed=True, decimals=0)


def _tile_bad(i: int, values: tuple[float, ...]) -> bool:
    """Whether a tile's number is a warning sign (shown in the warning colour)."""
    return [values[0] > 0.2, values[0] - values[-1] > 0.15, False, values[0] < 0, False, values[0] > 0,
            values[0] < 0][i]


def _tiles(run: LiveRun) -> list[tuple[str, str, bool]]:
    """(value, label, bad) for the big numbers of a run at this week; rates over the model's rolling window."""
    numbers = _tile_numbers(run)
    labels = [*TILE_LABELS[:4], f"{TILE_LABELS[4]} (of {fm.count(run.params.n_accounts)})", *TILE_LABELS[5:]]
    if numbers is None:
        return [(fm.DASH, label, False) for label in labels]
    return [(_tile_text(i, v), label, _tile_bad(i, v)) for i, (v, label) in enumerate(zip(numbers, labels,
                                                                                            strict=True))]


def _tiles_html(run: LiveRun) -> str:
    cells = "".join(
        f'<div class="tile{" tile-bad" if bad else ""}"><div class="tile-value">{_html(v)}</div>'
        f'<div class="tile-label">{_html(label)}</div></div>' for v, label, bad in _tiles(run))
    return f'<div class="tiles">{cells}</div>'


def _header_html(session: Session) -> str:
    """The preset's title and question; once levers differ from the preset, those levers instead of the
    preset's question (which no longer describes what is running)."""
    preset = session.preset
    changed = session.changed()
    if not changed:
        return (f'<div class="preset-title">{_html(preset.title)}</div>'
                f'<div class="question">{_html(preset.question)}</div>')
    since = session.changed_since()
    items = []
    for name in changed:
        lv = lever(name)
        when = f", from week {since[name]}" if name in since else ""
        items.append(f'<li data-lever="{name}">{_html(lv.label)}: <b>{_html(lv.format(getattr(session.params, name)))}'
                     f"</b> (preset: {_html(lv.format(getattr(preset.params, name)))}{_html(when)})</li>")
    return (f'<div class="preset-title">{_html(preset.title)}, changed</div>'
            f'<ul class="question changed-levers">{"".join(items)}</ul>')


def _caption_html(key: str, badge: str) -> str:
    """A chart's title and its live number, in HTML above the image: they wrap, never overlap."""
    return (f'<div class="chart-caption"><span class="chart-title">{_html(charts.CHARTS_BY_KEY[key].title)}</span>'
            f'<span class="chart-badge">{_html(badge)}</span></div>')


def _chart_legend_html(key: str) -> str:
    chips = "".join(f'<span class="entry"><span class="key key-{style}" style="--c:{colour}"></span>{_html(label)}'
                    "</span>" for label, colour, style in charts.legend_items(key))
    return f'<div class="chart-legend">{chips}</div>'


def _legend_html() -> str:
    chips = "".join(f'<span><span class="sw" style="background:{c}"></span>{_html(label)}</span>'
                    for label, c in bookmod.legend())
    chips += f'<span><span class="sw frame"></span>{_html(bookmod.VACANT_LABEL)}</span>'
    return f'<div class="legend">{chips}</div>'


def _week_html(week: int, horizon: int, cls: str = "week-counter", paused_at: int = -1) -> str:
    return f'<span class="{cls}" data-week="{week}" data-paused-at="{paused_at}">Week {week} of {horizon}</span>'


def _slide_name(prefix: str, week: int, seed: int) -> str:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{prefix}-week{week}-seed{seed}-{stamp}.png"


def _save_slide(data: bytes, name: str) -> Path:
    folder = _exports_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_bytes(data)
    except OSError as exc:
        raise UserError(f"Could not save the slide in {folder}: {exc.strerror or exc}.") from None
    return path.resolve()


# --- the page ---------------------------------------------------------------------------------------


def unscope_matplotlib() -> None:
    """Give matplotlib back its plain, process-wide rcParams.

    Solara's server makes every rcParams lookup per browser tab (for pyplot users); a chart
    frame makes thousands of lookups, which then cost more than the drawing. The dashboard
    never uses pyplot or changes rcParams outside ``charts.styled()``, so the plain ones are safe.
    """
    try:
        from solara.server import patch

        cleanup = patch.patch_matplotlib()  # applied once by the server; returns how to undo it
        if callable(cleanup):
            cleanup()
    except Exception:  # pragma: no cover - an older or newer Solara: keep its behaviour
        log.debug("could not undo Solara's matplotlib patch", exc_info=True)


def _new_session() -> Session | str:
    unscope_matplotlib()
    try:
        preset = os.environ.get(ENV_PRESET) or DEFAULT_PRESET
        return Session(preset=preset)
    except (UserError, LeverRefused) as exc:
        return str(exc)
    except Exception as exc:  # pragma: no cover - shown instead of a blank page
        log.exception("could not start a dashboard session")
        return f"The dashboard could not start: {type(exc).__name__}: {exc}"


@solara.component
def Page():
    session = solara.use_memo(_new_session, [])
    solara.Title("salesim workshop")
    solara.Style(CSS)
    if isinstance(session, str):
        with solara.Column(classes=["salesim"]):
            solara.Error(f"The dashboard cannot start: {session}")
        return
    with solara.Column(classes=["salesim"], style={"padding": "8px"}):
        with solara.Row(style={"align-items": "flex-start", "flex-wrap": "nowrap"}):
            if show_levers.value:
                Sidebar(session)
            with solara.Column(style={"flex-grow": "1", "min-width": "0"}):
                Main(session)
        Player(session)


@solara.component
def Player(session: Session):
    """The play loop: a thread that steps the run (or the pair) and bumps ``frame`` each frame."""
    mode = playing.value

    def loop(cancel: threading.Event) -> None:
        if not mode:
            return
        seconds = 0.1
        while not (cancel.is_set() or session.halt.is_set()):  # Pause sets halt at once, without any lock
            t0 = time.perf_counter()
            weeks = frame_weeks(speed.value, seconds)
            try:
                n = session.pair_step(weeks, playing=True) if mode == "pair" else session.step(weeks, playing=True)
            except Exception as exc:  # pragma: no cover - a bug in the model; stop playing, say why
                log.exception("play loop failed")
                refusal.set(("", f"The run stopped: {type(exc).__name__}: {exc}"))
                n = 0
            if n == 0 and not session.halt.is_set():
                playing.set("")
                return
            # Wait until the page has drawn this frame (whichever thread draws it) before the next: a click's
            # thread that draws frames the loop keeps asking for would never get back to reading clicks.
            session.drawn.clear()
            frame.set(frame.value + 1)
            session.drawn.wait(DRAW_WAIT_SECONDS)
            elapsed = time.perf_counter() - t0
            seconds = 0.6 * seconds + 0.4 * elapsed
            cancel.wait(idle_after(n, speed.value, elapsed))

    solara.use_thread(loop, dependencies=[mode], intrusive_cancel=False)


@solara.component
def Sidebar(session: Session):
    _ = config.value
    refused_name, refused_message = refusal.value
    preset = session.preset
    titles = {p.title: name for name, p in session.presets.items()}

    def pick(title: str) -> None:
        session.choose_preset(titles[title])
        config.set(config.value + 1)
        frame.set(frame.value + 1)

    with solara.Column(classes=["sidebar"]):
        with solara.Card(style={"padding": "4px 8px"}):
            solara.Select("Preset (scenario)", values=list(titles), value=preset.title,
                          on_value=_guarded(pick, "preset"), classes=["preset-picker"])
            with solara.Row(style={"align-items": "center"}):
                TypedBox("Seed", str(session.seed), _guarded(lambda t: _after(session.set_seed, t), "seed"),
                         "seed", error=refused_message if refused_name == "seed" else "")
                solara.Select("Weeks to show", values=[str(h) for h in HORIZONS], value=str(session.horizon),
                              on_value=_guarded(lambda h: _after(session.set_horizon, int(h)), "horizon"))
            changed = session.changed()
            if changed:
                names = ", ".join(lever(n).label for n in changed)
                solara.HTML(tag="div", unsafe_innerHTML=f"<b>Changed from the preset:</b> {_html(names)}",
                            classes=["muted"])
                solara.Button("Back to preset values", on_click=_guarded(
                    lambda: _after(session.restore_preset), "restore"), outlined=True, classes=["restore"])
        for section in SECTIONS:
            with solara.Details(section, expand=section in ("Banner mandate", "Pay")):
                for lv in LEVERS:
                    if lv.section == section:
                        LeverControl(session, lv, getattr(session.params, lv.name),
                                     refused_message if refused_name == lv.name else "")


def _after(fn: Callable[..., Any], *args: Any) -> None:
    """Apply a change to the session, then redraw the levers and the charts."""
    fn(*args)
    config.set(config.value + 1)
    frame.set(frame.value + 1)


@solara.component
def TypedBox(label: str, value: str, on_commit: Callable[[str], None], name: str, error: bool | str = "",
             suffix: str = ""):
    """A text box committed on Enter or when it loses focus; re-created after a refusal."""
    solara.InputText(label, value=value, on_value=on_commit, continuous_update=False, suffix=suffix or None,
                     classes=["lever-box" if not suffix else "", f"lever-{name}"], error=error or False,
                     ).key(f"box-{_gen(name)}")


@solara.component
def LeverControl(session: Session, lv: Lever, value: Any, error: str = ""):
    """One lever; ``value`` is passed in (not read from the session) so the control redraws when it changes."""

    def commit(raw: Any) -> None:
        session.set_lever(lv.name, parse_typed(lv, raw))
        config.set(config.value + 1)
        frame.set(frame.value + 1)

    on_commit = _guarded(commit, lv.name)
    with solara.Column(gap="0px", classes=[f"lever lever-row-{lv.name}"]):
        if lv.widget == "select":
            solara.Select(lv.label, values=[plain for _, plain in lv.choices], value=lv.choice_label(value),
                          on_value=on_commit, classes=[f"lever-{lv.name}"]).key(f"select-{_gen(lv.name)}")
        elif lv.widget == "toggle":
            solara.Switch(label=lv.label, value=bool(value), on_value=on_commit,
                          classes=[f"lever-{lv.name}"]).key(f"switch-{_gen(lv.name)}")
        elif lv.widget == "number":
            lo, hi = lv.bounds()
            TypedBox(f"{lv.label} ({fm.plain(lo)}–{fm.plain(hi)})", fm.plain(lv.shown(value)),
                     on_commit, lv.name, error=bool(error), suffix=lv.unit)
        else:
            solara.HTML(tag="div", unsafe_innerHTML=(
                f'<span class="lever-title">{_html(lv.label)}:</span> '
                f'<span class="lever-value">{_html(lv.format(value))}</span>'))
            with solara.Row(style={"align-items": "center"}):
                Slider(lv, value, on_commit)
                TypedBox("", fm.plain(lv.shown(value)), on_commit, lv.name, error=bool(error))
        if error:
            solara.HTML(tag="div", unsafe_innerHTML=_html(error), classes=["refusal", "lever-refusal"],
                        style="color: #b00020; font-size: 15px;")
        elif lv.help and lv.widget in ("slider", "select"):
            solara.HTML(tag="div", unsafe_innerHTML=_html(lv.help), classes=["lever-help"])


@solara.component
def Slider(lv: Lever, value: Any, on_commit: Callable[[Any], None]):
    """A slider that commits when released (dragging does not rebuild the model at every pixel)."""
    lo, hi = lv.bounds()
    el = rv.Slider(v_model=lv.shown(value), min=lo, max=hi, step=lv.step, thumb_label=True, hide_details=True,
                   class_=f"lever-slider lever-slider-{lv.name}", style_="min-width: 180px")

    def on_end(_widget: Any, _event: str, data: Any) -> None:
        on_commit(data)

    # reacton annotates the callback as taking one argument, but ipyvue calls it with (widget, event, data)
    rvue.use_event(el, "end", on_end)  # type: ignore[arg-type]
    return el.key(f"slider-{_gen(lv.name)}")


@solara.component
def Main(session: Session):
    refused_name, refused_message = refusal.value
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Button("Hide levers" if show_levers.value else "Show levers", outlined=True,
                      on_click=lambda: show_levers.set(not show_levers.value), classes=["toggle-levers"])
        solara.ToggleButtonsSingle(value=VIEWS[view.value], values=list(VIEWS.values()),
                                   on_value=_guarded(_switch_view), classes=["views"])
    if refused_message:
        solara.Error(refused_message, classes=["refusal", "page-refusal"])
    if view.value == "pair":
        PairView(session)
    else:
        RunView(session)


VIEWS = {"run": "One run", "pair": "Side by side"}


def _switch_view(label: str | None) -> None:
    names = {v: k for k, v in VIEWS.items()}
    if label in names:
        playing.set("")
        view.set(names[label])


@solara.component
def Controls(session: Session, mode: str, week: int, finished: bool,
             on_step: Callable[[], Any], on_reset: Callable[[], Any]):
    """Play / pause, step, reset, speed and the week counter."""
    is_playing = playing.value == mode
    refused_name, refused_message = refusal.value

    def toggle() -> None:
        if is_playing:
            session.pause(week_now())
            playing.set("")
        else:
            session.play()
            playing.set(mode)

    def week_now() -> int:
        runs = session.pair if mode == "pair" else (session.run,)
        return runs[0].week if runs else 0

    def jump(text: str) -> None:
        playing.set("")
        session.pause(week_now())
        session.jump(text, mode)
        frame.set(frame.value + 1)

    with solara.Row(classes=["control-row"], style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Button("Pause" if is_playing else "Play", icon_name="mdi-pause" if is_playing else "mdi-play",
                      color="primary", on_click=_guarded(toggle), disabled=finished and not is_playing,
                      classes=["play"])
        solara.Button("Step", icon_name="mdi-skip-next", on_click=_guarded(on_step), disabled=is_playing or finished,
                      outlined=True, classes=["step"])
        solara.Button("Reset", icon_name="mdi-restart", on_click=_guarded(on_reset), outlined=True,
                      classes=["reset"])
        solara.HTML(tag="span", unsafe_innerHTML=_week_html(week, session.horizon, paused_at=session.paused_at))
        TypedBox("Jump to week", "", _guarded(jump, "jump"), "jump",
                 error=refused_message if refused_name == "jump" else "")
        solara.Text("Weeks a second:", style={"font-size": "16px"})
        solara.ToggleButtonsSingle(value=str(speed.value), values=[str(s) for s in SPEEDS],
                                   on_value=lambda s: speed.set(int(s)) if s else None, classes=["speed"])


@solara.component
def RunView(session: Session):
    _ = frame.value, config.value
    board = solara.use_memo(RunBoard, [])
    preset = session.preset
    run = session.run

    def step() -> None:
        session.step(1)
        frame.set(frame.value + 1)

    def reset() -> None:
        playing.set("")
        session.reset()
        frame.set(frame.value + 1)

    t_draw = time.perf_counter()
    with session.lock:
        images = board.draw(run, session.horizon)
    session.drawn.set()
    if TIMING:
        log.warning("RunView drew its images in %.1f ms", (time.perf_counter() - t_draw) * 1e3)

    with solara.Card(classes=["header-card"]):
        solara.HTML(tag="div", unsafe_innerHTML=_header_html(session), classes=["preset-header"])
        with solara.Details("What to notice and things to try", expand=False):
            tries = "".join(f"<li>{_html(t)}</li>" for t in preset.things_to_try)
            solara.HTML(tag="div", classes=["notes"], unsafe_innerHTML=(
                f"<b>What to notice.</b> {_html(preset.notice or 'No notes for this preset.')}"
                + (f"<br><b>Things to try:</b><ul>{tries}</ul>" if tries else "")))
    Controls(session, "run", run.week, session.finished, step, reset)
    solara.HTML(tag="div", unsafe_innerHTML=_tiles_html(run), classes=["kpi-tiles"])
    solara.HTML(tag="span", unsafe_innerHTML=f'<span class="series-digest" data-digest="{",".join(run.digests())}">'
                "</span>", style="display: none")
    with solara.Div(classes=["chart-grid"]):  # as many columns of at least a chart's width as fit
        for key in ["close_rate", "revenue", "churn", "book", "people", "nps"]:
            ChartCell(key, images.get(key), f"img-{key}", board.badge(key, run))
    ExportBar(session, "run")


@solara.component
def ChartCell(key: str, image: bytes | None, image_class: str, badge: str = ""):
    """One chart (or the book of business): its title and live number, the image, its legend."""
    with solara.Column(gap="0px", classes=["chart", f"chart-{key}"]):
        if key == "book":
            solara.HTML(tag="div", unsafe_innerHTML='<div class="chart-caption"><span class="chart-title">Book of '
                        "business</span><span class='muted'>one cell per customer, one block per rep</span></div>")
        else:
            solara.HTML(tag="div", unsafe_innerHTML=_caption_html(key, badge))
        if image:
            solara.Image(image, width="100%", classes=[image_class])
        else:
            solara.Warning("This chart could not be drawn.")
        solara.HTML(tag="div", unsafe_innerHTML=_legend_html() if key == "book" else _chart_legend_html(key))


@solara.component
def ExportBar(session: Session, what: str):
    path, data = saved.value

    def export() -> None:
        with session.lock:
            if what == "pair":
                a, b = session.ensure_pair()
                fig = charts.pair_slide_figure(
                    [a.timeseries(), b.timeseries()], [session.pair_label(n) for n in session.pair_names],
                    session.horizon, f"Same customers, same luck (seed {session.seed}), week {a.week}",
                    [bookmod.render_model(a.model).rgb, bookmod.render_model(b.model).rgb],
                    legend=bookmod.legend_handles(), headline=_pair_headline((a, b)))
                name = _slide_name("side-by-side", a.week, session.seed)
            else:
                run = session.run
                fig = charts.slide_figure(run.timeseries(), session.horizon,
                                          f"{session.preset.title}: week {run.week}, seed {session.seed}",
                                          bookmod.render_model(run.model).rgb, legend=bookmod.legend_handles(),
                                          marks=run.change_weeks, headline=_headline(run))
                name = _slide_name(session.preset_name, run.week, session.seed)
        png = charts.png(fig)
        saved.set((str(_save_slide(png, name)), png))

    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "margin-top": "8px"}):
        solara.Button("Export slide (PNG)", icon_name="mdi-image", on_click=_guarded(export, "export"),
                      color="primary", outlined=True, classes=["export"])
        if path:
            solara.FileDownload(data, filename=Path(path).name, label="Download it", mime_type="image/png")
            solara.HTML(tag="span", unsafe_innerHTML=f"Saved to <code class='export-path'>{_html(path)}</code>",
                        classes=["muted", "export-message"])
        else:
            solara.HTML(tag="span", unsafe_innerHTML=f"Slides are saved in <code>{_html(_exports_dir().resolve())}"
                        "</code>", classes=["muted"])


@solara.component
def PairView(session: Session):
    _ = frame.value, config.value
    board = solara.use_memo(PairBoard, [])
    options = {session.pair_label(n): n for n in [*session.presets, MY_LEVERS]}
    a_name, b_name = session.pair_names

    def pick(side: int, label: str) -> None:
        names = list(session.pair_names)
        names[side] = options[label]
        playing.set("")
        session.choose_pair(*names)
        frame.set(frame.value + 1)

    def step() -> None:
        session.pair_step(1)
        frame.set(frame.value + 1)

    def reset() -> None:
        playing.set("")
        session.pair_reset()
        frame.set(frame.value + 1)

    runs = session.ensure_pair()
    with solara.Card(style={"padding": "6px 12px"}):
        solara.HTML(tag="div", unsafe_innerHTML=(
            '<div class="preset-title">Side by side</div><div class="question">Two policies, the same customers '
            f"and the same luck (seed {session.seed}): the difference is the policy.</div>"))
        with solara.Row():
            solara.Select("Left", values=list(options), value=session.pair_label(a_name),
                          on_value=_guarded(lambda label: pick(0, label), "pair"), classes=["pair-a"])
            solara.Select("Right", values=list(options), value=session.pair_label(b_name),
                          on_value=_guarded(lambda label: pick(1, label), "pair"), classes=["pair-b"])
    Controls(session, "pair", runs[0].week, session.pair_finished, step, reset)
    with session.lock:
        images = board.draw(runs, session.horizon)
    session.drawn.set()
    solara.HTML(tag="div", unsafe_innerHTML=_compare_table(session, runs))
    with solara.Columns([1, 1]):
        for side, (run, name) in enumerate(zip(runs, session.pair_names, strict=True)):
            with solara.Column(classes=[f"pair-col pair-col-{side}"]):
                question = "" if name == MY_LEVERS else session.presets[name].question
                solara.HTML(tag="div", unsafe_innerHTML=(
                    f'<div class="run-title">{_html(session.pair_label(name))}</div>'
                    f'<div class="muted">{_html(question)}</div>'))
                for key in [*charts.PAIR_CHARTS, "book"]:
                    ChartCell(key, images[side].get(key), f"img-pair-{side}-{key}",
                              board.boards[side].badge(key, run))
    ExportBar(session, "pair")


def _two_lines(items: list[str]) -> str:
    """Items in two lines, for the foot of an exported slide."""
    half = (len(items) + 1) // 2
    return "\n".join("   ·   ".join(part) for part in (items[:half], items[half:]))


def _headline(run: LiveRun) -> str:
    """The big numbers, for an exported slide."""
    return _two_lines([f"{label}: {value}" for value, label, _ in _tiles(run)])


def _compared(runs: tuple[LiveRun, LiveRun]) -> list[tuple[str, str, str, str]]:
    """(label, left, right, right minus left) for each big number of two runs."""
    a, b = (_tiles(r) for r in runs)
    na, nb = (_tile_numbers(r) for r in runs)
    out = []
    for i, ((va, label, _), (vb, _, _)) in enumerate(zip(a, b, strict=True)):
        diff = fm.DASH
        if na is not None and nb is not None:
            diff = _tile_text(i, tuple(y - x for x, y in zip(na[i], nb[i], strict=True)), signed=True)
        out.append((label, va, vb, diff))
    return out


def _pair_headline(runs: tuple[LiveRun, LiveRun]) -> str:
    """The big numbers of both sides and their difference, two lines for an exported slide."""
    return _two_lines([f"{label}: {va} vs {vb} ({diff})" for label, va, vb, diff in _compared(runs)])


def _compare_table(session: Session, runs: tuple[LiveRun, LiveRun]) -> str:
    """The big numbers of both runs and the right side's difference from the left, as an HTML table."""
    la, lb = (_html(session.pair_label(n)) for n in session.pair_names)
    rows = [f"<tr><td>{_html(label)}</td><td>{_html(va)}</td><td>{_html(vb)}</td><td class=\"diff\">{_html(diff)}"
            "</td></tr>" for label, va, vb, diff in _compared(runs)]
    return (f'<table class="compare"><tr><th>week {runs[0].week}</th><th>{la}</th><th>{lb}</th>'
            f'<th>difference (right − left)</th></tr>{"".join(rows)}</table>')
