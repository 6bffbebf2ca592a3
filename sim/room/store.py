"""Room state in one SQLite file: rooms, tables, each quarter's locked choices and each quarter's results.

Written as things happen (a join, a lock) and, for results, once per quarter in one transaction
that also moves the room's quarter on, so a closed browser or a restarted server loses nothing:
the pages read everything back from here. Closing a quarter is idempotent: a second request for
a quarter already closed changes nothing. WAL mode lets pages read while a quarter is written.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import UserError
from sim.params import Params
from sim.room.engine import QuarterResult

SCHEMA_VERSION = 1
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0 or 1: nothing to misread from a board
CODE_LENGTH = 5  # 32^5 = 33 million codes: a guessed code finds no room

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rooms (
    code TEXT PRIMARY KEY, created REAL NOT NULL, title TEXT NOT NULL, preset TEXT NOT NULL,
    seed INTEGER NOT NULL, params TEXT NOT NULL, levers TEXT NOT NULL, predict TEXT NOT NULL,
    warmup_weeks INTEGER NOT NULL, quarters_max INTEGER NOT NULL, tables_max INTEGER NOT NULL,
    quarter INTEGER NOT NULL DEFAULT 0, closed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tables (
    room TEXT NOT NULL REFERENCES rooms(code), id INTEGER NOT NULL, name TEXT NOT NULL, name_key TEXT NOT NULL,
    token_hash TEXT NOT NULL, joined REAL NOT NULL,
    PRIMARY KEY (room, id), UNIQUE (room, name_key));
CREATE TABLE IF NOT EXISTS choices (
    room TEXT NOT NULL, tbl INTEGER NOT NULL, quarter INTEGER NOT NULL, levers TEXT NOT NULL,
    prediction REAL, locked INTEGER NOT NULL DEFAULT 0, carried INTEGER NOT NULL DEFAULT 0, updated REAL NOT NULL,
    PRIMARY KEY (room, tbl, quarter));
CREATE TABLE IF NOT EXISTS results (
    room TEXT NOT NULL, tbl INTEGER NOT NULL, quarter INTEGER NOT NULL, profit REAL NOT NULL,
    customers_lost INTEGER NOT NULL, rep_quits INTEGER NOT NULL, banner_opened INTEGER NOT NULL,
    banner_closed INTEGER NOT NULL, banner_expired INTEGER NOT NULL,
    PRIMARY KEY (room, tbl, quarter));
"""


@dataclass(frozen=True)
class Room:
    """One room as stored: its unit, the levers its tables may move, and how far it has played."""

    code: str
    title: str
    preset: str
    seed: int
    params: Params
    levers: tuple[str, ...]
    predict: str
    warmup_weeks: int
    quarters_max: int
    tables_max: int
    quarter: int  # quarters played so far; the tables are choosing for quarter + 1
    closed: bool

    @property
    def finished(self) -> bool:
        return self.closed or self.quarter >= self.quarters_max


@dataclass(frozen=True)
class Table:
    room: str
    id: int
    name: str


@dataclass(frozen=True)
class Choice:
    """A table's levers (model units) and prediction for one quarter; ``carried``: set by the advance."""

    levers: dict[str, Any]
    prediction: float | None
    locked: bool
    carried: bool = False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def name_key(name: str) -> str:
    """Two names that differ only in case or spacing are the same table."""
    return " ".join(name.split()).casefold()


class Store:
    """The room database. One connection, used under a lock (the server's threads share it)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_file():
            raise UserError(f"--db {self.path} is a folder, not a file; name a file such as room.sqlite.")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")  # a quarter written is a quarter kept, even on power loss
            self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise UserError(
                f"--db {self.path} cannot be used as a room database: {exc}. Name a new file, or "
                "one written by 'salesim room'."
            ) from None
        except OSError as exc:
            raise UserError(f"--db {self.path} cannot be created: {exc.strerror or exc}.") from None
        self.lock = threading.RLock()
        version = self.meta("schema_version")
        if version is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif version != str(SCHEMA_VERSION):
            raise UserError(
                f"--db {self.path} was written by another version of the room (schema {version}, this "
                f"one reads {SCHEMA_VERSION}); name a new file."
            )

    def close(self) -> None:
        with self.lock:
            self.db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self.lock:
            cur = self.db.execute(sql, args)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    # --- meta (the facilitator key) -------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0]["value"] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # --- rooms ---------------------------------------------------------------------------------
    def create_room(
        self,
        *,
        title: str,
        preset: str,
        seed: int,
        params: Params,
        levers: tuple[str, ...],
        predict: str,
        warmup_weeks: int,
        quarters_max: int,
        tables_max: int,
    ) -> Room:
        """A new room with a fresh code no other room in this file has."""
        with self._tx() as db:
            taken = {r[0] for r in db.execute("SELECT code FROM rooms")}
            code = new_code(taken)
            db.execute(
                "INSERT INTO rooms (code, created, title, preset, seed, params, levers, predict, warmup_weeks,"
                " quarters_max, tables_max) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    time.time(),
                    title,
                    preset,
                    seed,
                    json.dumps(params.model_dump()),
                    json.dumps(levers),
                    predict,
                    warmup_weeks,
                    quarters_max,
                    tables_max,
                ),
            )
        room = self.room(code)
        assert room is not None
        return room

    def room(self, code: str) -> Room | None:
        rows = self._rows("SELECT * FROM rooms WHERE code = ?", (code,))
        return _room(rows[0]) if rows else None

    def rooms(self) -> list[Room]:
        """Every room in the file, newest first."""
        return [_room(r) for r in self._rows("SELECT * FROM rooms ORDER BY created DESC")]

    def close_room(self, code: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE rooms SET closed = 1 WHERE code = ?", (code,))

    # --- tables --------------------------------------------------------------------------------
    def join(self, code: str, name: str) -> tuple[Table, str, bool]:
        """Add a table named ``name`` (or find it again by name); return it, a fresh token and whether it is new.

        A table that joins again under its name gets a new token, so the browser it uses now is the table's;
        the room is a room of people who can see each other, and a name is how they find their table again.
        """
        token = secrets.token_urlsafe(18)
        key = name_key(name)
        with self._tx() as db:
            row = db.execute("SELECT id, name FROM tables WHERE room = ? AND name_key = ?", (code, key)).fetchone()
            if row is not None:
                db.execute(
                    "UPDATE tables SET token_hash = ? WHERE room = ? AND id = ?", (token_hash(token), code, row[0])
                )
                return Table(code, int(row[0]), str(row[1])), token, False
            count, top = db.execute(
                "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM tables WHERE room = ?", (code,)
            ).fetchone()
            limit = db.execute("SELECT tables_max FROM rooms WHERE code = ?", (code,)).fetchone()[0]
            if count >= limit:
                raise UserError(
                    f"The room is full: it has its {limit} tables. Join an existing table by typing "
                    "its name, or ask the facilitator."
                )
            tid = int(top) + 1
            db.execute(
                "INSERT INTO tables (room, id, name, name_key, token_hash, joined) VALUES (?, ?, ?, ?, ?, ?)",
                (code, tid, " ".join(name.split()), key, token_hash(token), time.time()),
            )
        return Table(code, tid, " ".join(name.split())), token, True

    def table_by_token(self, code: str, token: str) -> Table | None:
        rows = self._rows(
            "SELECT room, id, name FROM tables WHERE room = ? AND token_hash = ?", (code, token_hash(token))
        )
        return Table(rows[0]["room"], int(rows[0]["id"]), rows[0]["name"]) if rows else None

    def tables(self, code: str) -> list[Table]:
        return [
            Table(r["room"], int(r["id"]), r["name"])
            for r in self._rows("SELECT room, id, name FROM tables WHERE room = ? ORDER BY id", (code,))
        ]

    # --- choices -------------------------------------------------------------------------------
    def save_choice(self, code: str, table: int, quarter: int, choice: Choice) -> bool:
        """Store a table's choice for ``quarter``, unless the quarter is played or the choice is already locked.

        Returns whether it was stored (a locked choice stays as locked)."""
        with self._tx() as db:
            played = db.execute("SELECT quarter FROM rooms WHERE code = ?", (code,)).fetchone()[0]
            if quarter != played + 1:
                return False
            row = db.execute(
                "SELECT locked FROM choices WHERE room = ? AND tbl = ? AND quarter = ?", (code, table, quarter)
            ).fetchone()
            if row is not None and row[0]:
                return False
            db.execute(
                "INSERT OR REPLACE INTO choices (room, tbl, quarter, levers, prediction, locked, carried, "
                "updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    table,
                    quarter,
                    json.dumps(choice.levers),
                    choice.prediction,
                    int(choice.locked),
                    int(choice.carried),
                    time.time(),
                ),
            )
        return True

    def choices(self, code: str, quarter: int | None = None) -> dict[tuple[int, int], Choice]:
        """(table, quarter) -> choice, for one quarter or all."""
        sql, args = "SELECT * FROM choices WHERE room = ?", (code,)
        if quarter is not None:
            sql, args = sql + " AND quarter = ?", (code, quarter)  # type: ignore[assignment]
        return {
            (int(r["tbl"]), int(r["quarter"])): Choice(
                json.loads(r["levers"]), r["prediction"], bool(r["locked"]), bool(r["carried"])
            )
            for r in self._rows(sql, args)
        }

    # --- results ---------------------------------------------------------------------------------
    def close_quarter(
        self, code: str, quarter: int, results: Mapping[int, QuarterResult], carried: Mapping[int, Choice]
    ) -> bool:
        """Write a quarter's results (and the choices the advance locked for tables that had not) and move the
        room on, in one transaction. A quarter already closed is left as it is: returns False."""
        with self._tx() as db:
            played = db.execute("SELECT quarter FROM rooms WHERE code = ?", (code,)).fetchone()[0]
            if played != quarter - 1:
                return False
            now = time.time()
            for table, choice in carried.items():
                db.execute(
                    "INSERT OR REPLACE INTO choices (room, tbl, quarter, levers, prediction, locked, carried, "
                    "updated) VALUES (?, ?, ?, ?, ?, 1, 1, ?)",
                    (code, table, quarter, json.dumps(choice.levers), choice.prediction, now),
                )
            db.executemany(
                "INSERT INTO results (room, tbl, quarter, profit, customers_lost, rep_quits, banner_opened,"
                " banner_closed, banner_expired) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        code,
                        t,
                        quarter,
                        r.profit,
                        r.customers_lost,
                        r.rep_quits,
                        r.banner_opened,
                        r.banner_closed,
                        r.banner_expired,
                    )
                    for t, r in sorted(results.items())
                ],
            )
            db.execute("UPDATE rooms SET quarter = ? WHERE code = ?", (quarter, code))
        return True

    def results(self, code: str) -> dict[tuple[int, int], QuarterResult]:
        """(table, quarter) -> result, every quarter played."""
        return {
            (int(r["tbl"]), int(r["quarter"])): QuarterResult(
                float(r["profit"]),
                int(r["customers_lost"]),
                int(r["rep_quits"]),
                int(r["banner_opened"]),
                int(r["banner_closed"]),
                int(r["banner_expired"]),
            )
            for r in self._rows("SELECT * FROM results WHERE room = ?", (code,))
        }


def new_code(taken: set[str]) -> str:
    """A random room code not in ``taken``."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            return code


def normal_code(text: str) -> str:
    """A typed room code as stored: spaces and dashes dropped, upper case."""
    return "".join(ch for ch in str(text) if ch.isalnum()).upper()


def _room(r: Mapping[str, Any]) -> Room:
    return Room(
        r["code"],
        r["title"],
        r["preset"],
        int(r["seed"]),
        Params(**json.loads(r["params"])),
        tuple(json.loads(r["levers"])),
        r["predict"],
        int(r["warmup_weeks"]),
        int(r["quarters_max"]),
        int(r["tables_max"]),
        int(r["quarter"]),
        bool(r["closed"]),
    )
