"""What the room's pages may do: open a room, join it, set and lock a policy, advance, and read the results.

Plain Python on top of :class:`~sim.room.store.Store` and :class:`~sim.room.pool.QuarterPool`; the
Starlette routes (:mod:`sim.room.app`) only translate HTTP to these calls. Everything a browser
sends is checked here: a lever's value against its declared range (:mod:`sim.dashboard.levers`,
which reads ``0,5`` as 0.5), the levers together against the parameters' rules, a name, a code.
A refusal is a :class:`Refused` whose message says what was wrong and what is allowed.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from sim import formatting as fm
from sim.dashboard.levers import (
    LEVERS,
    SIZE_SECTION,
    Lever,
    LeverRefused,
    explain,
    lever,
    levers_by_name,
    parse_seed,
    parse_typed,
    read_number,
)
from sim.errors import UserError
from sim.room.engine import OUTCOMES, QuarterResult, TableJob, total
from sim.room.pool import QuarterPool
from sim.room.settings import LEVERS_MAX, NAME_CHARS, QUARTERS_MAX, TABLES_MAX, WEEKS_PER_QUARTER
from sim.room.store import Choice, Room, Store, name_key, normal_code
from sim.scenario import load_scenario, mid_run_levers

DEFAULT_LEVERS = ("banner_target", "enforcement", "banner_bonus", "coaching_style", "audits", "feedback_loop")
DEFAULT_PREDICT = "profit"
FACILITATOR_KEY = "facilitator_key"


class Refused(UserError):
    """A request the room does not accept; ``errors`` maps a field (a lever, ``prediction``, ``name``) to why."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.errors = dict(errors or {})
        self.status = status


def room_levers() -> tuple[Lever, ...]:
    """The dashboard's levers a room may offer: those a running model may change between quarters."""
    allowed = set(mid_run_levers())
    return tuple(lv for lv in LEVERS if lv.section != SIZE_SECTION and lv.name in allowed)


@dataclass
class _Live:
    """What the server keeps about a room in memory: nothing that is not also recomputable from the store."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    computing: int = 0  # the quarter being computed, 0 when idle
    snapshots: dict[int, tuple[int, bytes]] = field(default_factory=dict)  # table -> (quarter, pickled model)
    warm: bytes | None = None  # the unit after its warm-up: where every table's quarter 1 starts
    tasks: set[asyncio.Task[None]] = field(default_factory=set)  # background work kept referenced until done
    last_seconds: float = math.nan  # the last quarter, from the click to every table computed
    last_work: float = math.nan  # the same quarter's compute time summed over tables (what it costs one core)


class RoomService:
    """The room's rules, on one store and one pool.

    Args:
        store: the room database.
        pool: the worker processes for quarters.
        sizes: the unit's size for new rooms (``n_accounts``, ``n_reps``, ``n_managers``); default the preset's.
        tables_max: tables a new room admits.
        quarters_max: quarters a new room plays.
        default_preset: the preset the facilitator's form proposes.
    """

    def __init__(
        self,
        store: Store,
        pool: QuarterPool,
        sizes: Mapping[str, int] | None = None,
        tables_max: int = TABLES_MAX.default,
        quarters_max: int = QUARTERS_MAX.default,
        default_preset: str = "banner_mandate",
    ) -> None:
        self.store = store
        self.default_preset = default_preset
        self.pool = pool
        self.sizes = dict(sizes or {})
        self.tables_max = TABLES_MAX.check(tables_max, "--tables-max")
        self.quarters_max = QUARTERS_MAX.check(quarters_max, "--quarters")
        self._live: dict[str, _Live] = {}
        key = store.meta(FACILITATOR_KEY)
        if key is None:
            key = secrets.token_urlsafe(12)
            store.set_meta(FACILITATOR_KEY, key)
        self.facilitator_key = key

    def live(self, code: str) -> _Live:
        return self._live.setdefault(code, _Live())

    def is_facilitator(self, key: str | None) -> bool:
        return key is not None and secrets.compare_digest(key.encode(), self.facilitator_key.encode())

    # --- opening a room -------------------------------------------------------------------------
    def create_room(
        self, preset: str, levers: list[str], predict: str = DEFAULT_PREDICT, seed: Any = 1, title: str = ""
    ) -> Room:
        """A new room on ``preset`` whose tables may move ``levers`` and predict ``predict``."""
        errors: dict[str, str] = {}
        try:
            scenario = load_scenario(preset)
            params = scenario.params.replace(**self.sizes) if self.sizes else scenario.params
        except UserError as exc:
            raise Refused(str(exc), {"preset": str(exc)}) from None
        except ValidationError as exc:  # the server's unit size does not fit this preset (e.g. its own book)
            message = f"The preset '{preset}' does not take this server's unit size: {explain(exc)}"
            raise Refused(message, {"preset": message}) from None
        offered = {lv.name for lv in room_levers()}
        picked = list(dict.fromkeys(str(n) for n in levers))
        bad = [n for n in picked if n not in offered]
        if bad:
            errors["levers"] = (
                f"{', '.join(bad)}: not levers a table may move between quarters; choose from "
                f"{', '.join(sorted(offered))}."
            )
        elif not 1 <= len(picked) <= LEVERS_MAX.default:
            errors["levers"] = f"Choose 1 to {LEVERS_MAX.default} levers for the tables (got {len(picked)})."
        if predict not in OUTCOMES:
            errors["predict"] = f"'{predict}' is not an outcome; choose one of {', '.join(OUTCOMES)}."
        seed_value = 0
        try:
            seed_value = parse_seed(seed)
        except LeverRefused as exc:
            errors["seed"] = str(exc)
        if errors:
            raise Refused(" ".join(errors.values()), errors)
        title = " ".join(str(title).split())[:60] or scenario.title
        return self.store.create_room(
            title=title,
            preset=scenario.name,
            seed=seed_value,
            params=params,
            levers=tuple(picked),
            predict=predict,
            warmup_weeks=params.burn_in_weeks,
            quarters_max=self.quarters_max,
            tables_max=self.tables_max,
        )

    def room(self, code_text: Any) -> Room:
        """The room whose code was typed (case, spaces and dashes ignored), or a refusal."""
        code = normal_code(code_text)
        room = self.store.room(code) if code else None
        if room is None:
            shown = str(code_text).strip()[:20]
            raise Refused(
                f"No room has the code '{shown}'. Check the code on the board (letters and digits, e.g. K7QRM).",
                {"code": "unknown room code"},
                status=404,
            )
        return room

    # --- tables ---------------------------------------------------------------------------------
    def join(self, code_text: Any, name_text: Any) -> tuple[Room, int, str, str, bool]:
        """Join a room as a table named ``name``, or rejoin it by name. Returns room, table id, name, token, new."""
        room = self.room(code_text)
        name = " ".join(str(name_text or "").split())
        if not name:
            raise Refused("Give your table a name (e.g. Table 3 or The Closers).", {"name": "empty"})
        if len(name) > NAME_CHARS.default:
            raise Refused(
                f"A table name has at most {NAME_CHARS.default} characters; '{name[:40]}' has {len(name)}.",
                {"name": "too long"},
            )
        if any(not ch.isprintable() for ch in name):
            raise Refused("A table name is letters, digits, spaces and punctuation only.", {"name": "unprintable"})
        known = {name_key(t.name) for t in self.store.tables(room.code)}
        if room.closed:
            raise Refused("This room is closed: the facilitator ended it.", status=409)
        if room.quarter > 0 and name_key(name) not in known:
            raise Refused(
                f"The room has already played quarter {room.quarter}, so new tables cannot join (their "
                "race would be shorter). To rejoin your table, type its name exactly.",
                {"name": "late"},
                status=409,
            )
        try:
            table, token, new = self.store.join(room.code, name)
        except UserError as exc:
            raise Refused(str(exc), {"name": "room full"}, status=409) from None
        return room, table.id, table.name, token, new

    def table_of(self, code: str, token: str) -> tuple[Room, int, str] | None:
        room = self.store.room(normal_code(code))
        if room is None:
            return None
        table = self.store.table_by_token(room.code, token)
        return (room, table.id, table.name) if table is not None else None

    def draft(self, room: Room, table: int) -> Choice:
        """The table's choice for the quarter being decided: as saved, else last quarter's levers, else the
        preset's (with no prediction)."""
        quarter = room.quarter + 1
        choices = self.store.choices(room.code)
        if (table, quarter) in choices:
            return choices[(table, quarter)]
        for q in range(quarter - 1, 0, -1):
            if (table, q) in choices:
                return Choice(dict(choices[(table, q)].levers), None, False)
        return Choice({n: getattr(room.params, n) for n in room.levers}, None, False)

    def save_policy(self, room: Room, table: int, values: Mapping[str, Any], prediction: Any, lock: bool) -> Choice:
        """Check and store a table's levers and prediction for the quarter being decided (and lock them)."""
        if room.finished:
            raise Refused("The room has played its last quarter; see the debrief.", status=409)
        if self.live(room.code).computing:
            raise Refused(
                "The facilitator is running the quarter; your choice is in. Wait for the results.", status=409
            )
        if self.draft(room, table).locked:
            raise Refused("Your choice for this quarter is locked; it runs when the facilitator advances.", status=409)
        levers, errors = parse_policy(room, values)
        predicted = None
        try:
            predicted = parse_prediction(room, prediction)
        except LeverRefused as exc:
            errors["prediction"] = str(exc)
        if lock and predicted is None and "prediction" not in errors:
            errors["prediction"] = f"Predict your {OUTCOMES[room.predict][0].lower()} for the quarter before you lock."
        if errors:
            raise Refused(" ".join(errors.values()), errors)
        choice = Choice(levers, predicted, lock)
        if not self.store.save_choice(room.code, table, room.quarter + 1, choice):
            raise Refused("That quarter has just been played or locked; reload to see the results.", status=409)
        return choice

    # --- advancing ----------------------------------------------------------------------------
    async def advance(self, code: str, quarter: int) -> bool:
        """Play ``quarter`` for every table; a quarter already played is not played again (returns False)."""
        live = self.live(code)
        async with live.lock:
            room = self.room(code)
            if quarter <= room.quarter:
                return False
            if quarter != room.quarter + 1:
                raise Refused(
                    f"Quarter {quarter} cannot be played next: the room has played {room.quarter}.", status=409
                )
            if room.finished:
                raise Refused(f"The room has played all its {room.quarters_max} quarters.", status=409)
            tables = self.store.tables(code)
            if not tables:
                raise Refused("No table has joined yet: nothing to run.", status=409)
            choices = self.store.choices(code)
            carried: dict[int, Choice] = {}
            jobs = []
            for t in tables:
                now = self.draft(room, t.id)
                if not now.locked:
                    carried[t.id] = Choice(now.levers, now.prediction, True, True)
                policies = [choices[(t.id, q)].levers for q in range(1, quarter)] + [now.levers]
                snap = live.snapshots.get(t.id)
                own = snap is not None and snap[0] == quarter - 1
                job = TableJob(t.id, room.params, room.seed, room.warmup_weeks, tuple(policies))
                jobs.append(replace(job, snapshot=snap[1], snapshot_quarter=snap[0]) if own and snap else job)
            live.computing = quarter
            t0 = time.perf_counter()
            try:
                if any(job.snapshot is None for job in jobs):  # a new room, or a restarted server
                    warm = await self._warm(room, live)
                    jobs = [job if job.snapshot else replace(job, snapshot=warm, snapshot_quarter=0) for job in jobs]
                answers = await self.pool.run(jobs)
            finally:
                live.computing = 0
            live.last_seconds = time.perf_counter() - t0
            live.last_work = sum(a.seconds for a in answers)
            results = {a.table: a.result for a in answers}
            done = self.store.close_quarter(code, quarter, results, carried)
            if done:
                live.snapshots = {a.table: (quarter, a.snapshot) for a in answers}
            return done

    def prepare(self, code: str) -> None:
        """Start warming the room's unit up in a worker now, so the first quarter only runs its 13 weeks."""
        live = self.live(code)

        async def warm() -> None:
            async with live.lock:
                await self._warm(self.room(code), live)

        task = asyncio.get_running_loop().create_task(warm())
        live.tasks.add(task)
        task.add_done_callback(live.tasks.discard)

    async def _warm(self, room: Room, live: _Live) -> bytes:
        if live.warm is None:
            live.warm = await self.pool.warm_up(room.params, room.seed, room.warmup_weeks)
        return live.warm

    def close_room(self, code: str) -> None:
        """End the room: no more quarters, and the server forgets its models (the store keeps the results)."""
        self.store.close_room(self.room(code).code)
        self._live.pop(code, None)

    # --- reading -----------------------------------------------------------------------------------
    def leaderboard(self, room: Room, upto: int | None = None) -> list[dict[str, Any]]:
        """One row per table: quarters played, totals, close rates reported and true; ranked by profit.

        ``upto``: the board as it stood after that quarter (default: now)."""
        results = self.store.results(room.code)
        last = room.quarter if upto is None else min(upto, room.quarter)
        rows = []
        for t in self.store.tables(room.code):
            mine = [results[(t.id, q)] for q in range(1, last + 1) if (t.id, q) in results]
            tot = total(mine) if mine else None
            rows.append(
                {
                    "table": t.id,
                    "name": t.name,
                    "quarters": len(mine),
                    **_outcomes(tot),
                    "last_profit": _fmt("profit", mine[-1].profit) if mine else fm.DASH,
                }
            )
        rows.sort(key=lambda r: (-(r["raw"]["profit"] if r["raw"]["profit"] is not None else -math.inf), r["table"]))
        best_reported = max((r["raw"]["reported_close_rate"] or -1.0 for r in rows), default=-1.0)
        for rank, r in enumerate(rows, 1):
            r["rank"] = rank
            r["best_profit"] = rank == 1 and r["quarters"] > 0
            r["best_reported"] = best_reported >= 0 and r["raw"]["reported_close_rate"] == best_reported
        return rows

    def lesson(self, room: Room, board: list[dict[str, Any]]) -> str:
        """One sentence for the projector: where the best-looking close rate finished on profit."""
        best = [r for r in board if r["best_reported"]]
        if not best or not any(r["quarters"] for r in board):
            return ""
        r = best[0]
        if r["rank"] == 1:
            return (
                f"{r['name']} has the best reported close rate ({r['reported_close_rate']}) and the most profit; "
                f"its true close rate is {r['true_close_rate']}."
            )
        return (
            f"{r['name']} reports the best close rate ({r['reported_close_rate']}, true "
            f"{r['true_close_rate']}) but ranks {r['rank']} of {len(board)} on profit."
        )

    def table_state(self, room: Room, table: int, name: str) -> dict[str, Any]:
        """Everything the table's page shows."""
        draft = self.draft(room, table)
        choices, results = self.store.choices(room.code), self.store.results(room.code)
        history = [
            self._played(room, choices.get((table, q)), results.get((table, q)), q) for q in range(1, room.quarter + 1)
        ]
        return {
            **self.board_view(room),
            "table": table,
            "name": name,
            "locked": draft.locked,
            "levers": [lever_spec(lever(n), draft.levers.get(n, getattr(room.params, n))) for n in room.levers],
            "prediction": _shown_prediction(room, draft.prediction),
            "history": history,
        }

    def room_summary(self, room: Room) -> dict[str, Any]:
        live = self.live(room.code)
        label, kind = OUTCOMES[room.predict]
        return {
            "code": room.code,
            "title": room.title,
            "preset": room.preset,
            "seed": room.seed,
            "quarter": room.quarter,
            "deciding": None if room.finished else room.quarter + 1,
            "quarters_max": room.quarters_max,
            "finished": room.finished,
            "closed": room.closed,
            "computing": live.computing,
            "weeks_per_quarter": WEEKS_PER_QUARTER.default,
            "predict": {"name": room.predict, "label": label, "unit": _PREDICT_UNITS[kind]},
            "accounts": room.params.n_accounts,
            "reps": room.params.n_reps,
            "last_seconds": fm.finite(live.last_seconds),
            "last_work_seconds": fm.finite(live.last_work),
        }

    def board_view(self, room: Room) -> dict[str, Any]:
        """The room's summary, its leaderboard and the sentence for the projector."""
        board = self.leaderboard(room)
        return {**self.room_summary(room), "leaderboard": board, "lesson": self.lesson(room, board)}

    def host_state(self, room: Room) -> dict[str, Any]:
        """The facilitator's view: every table's status for the quarter being decided, and the leaderboard."""
        quarter = room.quarter + 1
        now = self.store.choices(room.code, quarter)
        tables = [
            {
                "table": t.id,
                "name": t.name,
                "status": ("locked" if now[(t.id, quarter)].locked else "deciding")
                if (t.id, quarter) in now
                else "not started",
            }
            for t in self.store.tables(room.code)
        ]
        return {
            **self.board_view(room),
            "tables": tables,
            "levers": [lever(n).label for n in room.levers],
            "locked": sum(1 for t in tables if t["status"] == "locked"),
        }

    def debrief(self, room: Room) -> dict[str, Any]:
        """Each table's choices, predictions and outcomes quarter by quarter, and the room's ranking."""
        choices, results = self.store.choices(room.code), self.store.results(room.code)
        tables = [
            {
                "table": t.id,
                "name": t.name,
                "quarters": [
                    self._played(room, choices.get((t.id, q)), results.get((t.id, q)), q)
                    for q in range(1, room.quarter + 1)
                ],
            }
            for t in self.store.tables(room.code)
        ]
        rounds = []
        for q in range(1, room.quarter + 1):  # the board as it stood after each quarter, to replay the race
            board = self.leaderboard(room, q)
            rounds.append({"quarter": q, "leaderboard": board, "lesson": self.lesson(room, board)})
        return {
            **self.board_view(room),
            "tables": tables,
            "rounds": rounds,
            "levers": [{"name": n, "label": lever(n).label} for n in room.levers],
            "outcomes": [{"name": k, "label": v[0]} for k, v in OUTCOMES.items()],
        }

    def _played(self, room: Room, choice: Choice | None, result: QuarterResult | None, quarter: int) -> dict[str, Any]:
        policy = {n: lever(n).format(choice.levers[n]) for n in room.levers} if choice else {}
        predicted = choice.prediction if choice else None
        actual = result.outcome(room.predict) if result else math.nan
        miss = actual - predicted if predicted is not None and math.isfinite(actual) else math.nan
        return {
            "quarter": quarter,
            "policy": policy,
            "carried": bool(choice and choice.carried),
            "prediction": _fmt(room.predict, predicted) if predicted is not None else fm.DASH,
            "actual": _fmt(room.predict, actual),
            "miss": _fmt(room.predict, miss, signed=True),
            **_outcomes(result),
        }


# --- checking what a browser sent ---------------------------------------------------------------------

_PREDICT_UNITS = {"money": "", "count": "", "percent": "%"}
MONEY_DIGITS = 4  # tables' profits differ in the third digit; four tell them apart on the leaderboard


def parse_policy(room: Room, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The room's levers from what was typed or picked (model units), and a message per refused field."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    unknown = sorted(str(n) for n in values if n not in room.levers)
    if unknown:
        known = levers_by_name()
        named = ", ".join(known[n].label if n in known else repr(n) for n in unknown[:5])
        errors["levers"] = (
            f"This room does not let tables set {named}; its levers are "
            f"{', '.join(lever(n).label for n in room.levers)}."
        )
    for name in room.levers:
        lv = lever(name)
        if name not in values:
            errors[name] = f"{lv.label}: no value was sent; pick or type one."
            continue
        try:
            out[name] = parse_typed(lv, values[name])
        except LeverRefused as exc:
            errors[name] = str(exc)
    if not errors:
        try:
            room.params.replace(**out)
        except ValidationError as exc:
            errors["policy"] = explain(exc)
    return out, errors


def parse_prediction(room: Room, text: Any) -> float | None:
    """A table's prediction in model units (a percentage typed for a rate); blank is None."""
    if text is None or str(text).strip() == "":
        return None
    label, kind = OUTCOMES[room.predict]
    label = f"Prediction ({label.lower()})"
    number = read_number(label, text, whole=kind == "count")
    if kind == "percent":
        if not 0 <= number <= 100:
            raise LeverRefused(f"{label}: {fm.plain(number)} % is outside 0 % to 100 %.")
        return number / 100
    if kind == "count" and not 0 <= number <= room.params.n_accounts:
        raise LeverRefused(
            f"{label}: {fm.plain(number)} is outside 0 to {room.params.n_accounts:,} "
            f"(the unit has {room.params.n_accounts:,} accounts)."
        )
    if kind == "money" and abs(number) > 1e12:
        raise LeverRefused(f"{label}: {fm.plain(number)} is beyond a trillion; type the quarter's profit.")
    return float(number)


def lever_spec(lv: Lever, value: Any) -> dict[str, Any]:
    """A lever as the table's page draws it: kind of control, label, unit, range and the value shown."""
    lo, hi = lv.bounds()
    spec: dict[str, Any] = {
        "name": lv.name,
        "label": lv.label,
        "widget": lv.widget,
        "unit": lv.unit,
        "help": lv.help,
        "text": lv.format(value),
    }
    if lv.widget == "select":
        spec |= {"choices": [[v, label] for v, label in lv.choices], "value": value}
    elif lv.widget == "toggle":
        spec |= {"value": bool(value)}
    else:
        spec |= {"min": fm.finite(lo), "max": fm.finite(hi), "step": lv.step, "value": fm.plain(lv.shown(value))}
    return spec


def _fmt(name: str, value: Any, signed: bool = False) -> str:
    """An outcome as the pages write it; money with four digits, so close profits can still be told apart."""
    kind = OUTCOMES[name][1]
    if kind == "money":
        return fm.money(value, signed=signed, digits=MONEY_DIGITS)
    return fm.value(value, kind, signed=signed)


def _shown_prediction(room: Room, value: float | None) -> str:
    if value is None:
        return ""
    return fm.plain(value * 100) if OUTCOMES[room.predict][1] == "percent" else fm.plain(value)


def _outcomes(result: QuarterResult | None) -> dict[str, Any]:
    """Each outcome formatted, and the raw numbers under ``raw`` (None for none)."""
    raw = {k: (fm.finite(result.outcome(k)) if result else None) for k in OUTCOMES}
    return {**{k: _fmt(k, v) if v is not None else fm.DASH for k, v in raw.items()}, "raw": raw}
