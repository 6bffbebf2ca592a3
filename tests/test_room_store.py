"""The room's SQLite store and its engine: what a restart keeps, rejoining, idempotent quarters, fair races.

- Everything written (rooms, tables, choices, results) is read back the same by a new Store on the file.
- A table rejoins by name (case and spacing ignored) and keeps its id; the old browser's token stops working.
- Closing a quarter twice, or out of order, changes nothing (a property over random sequences of requests).
- Same seed and same choices give the same numbers; a snapshot-resumed run equals a replay from week 0.
"""

from __future__ import annotations

import math
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from room_helpers import SMALL

from sim.errors import UserError
from sim.params import Params
from sim.room import engine
from sim.room.engine import QuarterResult, TableJob, run_table
from sim.room.store import Choice, Store, name_key, normal_code

PARAMS = Params(**SMALL, enforcement=1.0, banner_target=0.9)
WARMUP = 8


def _room(store: Store, tables_max: int = 20):
    return store.create_room(
        title="Test",
        preset="banner_mandate",
        seed=7,
        params=PARAMS,
        levers=("enforcement", "coaching_style"),
        predict="profit",
        warmup_weeks=WARMUP,
        quarters_max=4,
        tables_max=tables_max,
    )


def _result(x: float) -> QuarterResult:
    return QuarterResult(x, 3, 1, 40, 30, 10)


def test_a_new_store_on_the_same_file_reads_back_everything(tmp_path):
    db = tmp_path / "room.sqlite"
    store = Store(db)
    room = _room(store)
    t1, token1, new1 = store.join(room.code, "Table One")
    t2, _, _ = store.join(room.code, "Table Two")
    assert new1 and (t1.id, t2.id) == (1, 2)
    store.save_choice(room.code, 1, 1, Choice({"enforcement": 0.5, "coaching_style": "neutral"}, 1234.5, True))
    assert store.close_quarter(
        room.code,
        1,
        {1: _result(10.0), 2: _result(20.0)},
        {2: Choice({"enforcement": 1.0, "coaching_style": "close_focused"}, None, True, True)},
    )
    store.close()

    again = Store(db)
    back = again.room(room.code)
    assert back == room.__class__(**{**room.__dict__, "quarter": 1})
    assert back.params == PARAMS
    assert [t.name for t in again.tables(room.code)] == ["Table One", "Table Two"]
    assert again.table_by_token(room.code, token1) == t1
    choices = again.choices(room.code)
    assert choices[(1, 1)] == Choice({"enforcement": 0.5, "coaching_style": "neutral"}, 1234.5, True, False)
    assert choices[(2, 1)].carried and choices[(2, 1)].locked and choices[(2, 1)].prediction is None
    assert again.results(room.code) == {(1, 1): _result(10.0), (2, 1): _result(20.0)}
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_table_rejoins_by_name_and_keeps_its_id(tmp_path):
    store = Store(tmp_path / "room.sqlite")
    room = _room(store)
    first, old_token, _ = store.join(room.code, "The  Closers")
    again, new_token, new = store.join(room.code, " the closers ")
    assert not new and again.id == first.id and again.name == "The Closers"
    assert store.table_by_token(room.code, new_token) == first
    assert store.table_by_token(room.code, old_token) is None  # the browser used now is the table's
    assert name_key("THE closers") == name_key("the   Closers")


def test_a_full_room_refuses_a_new_table_but_not_a_returning_one(tmp_path):
    store = Store(tmp_path / "room.sqlite")
    room = _room(store, tables_max=2)
    store.join(room.code, "A")
    store.join(room.code, "B")
    with pytest.raises(UserError, match="full: it has its 2 tables"):
        store.join(room.code, "C")
    assert store.join(room.code, "a")[0].id == 1


def test_a_locked_choice_stays_and_a_played_quarter_takes_no_choice(tmp_path):
    store = Store(tmp_path / "room.sqlite")
    room = _room(store)
    store.join(room.code, "A")
    locked = Choice({"enforcement": 0.0, "coaching_style": "neutral"}, 5.0, True)
    assert store.save_choice(room.code, 1, 1, locked)
    assert not store.save_choice(room.code, 1, 1, Choice({"enforcement": 1.0, "coaching_style": "neutral"}, 1, False))
    assert store.choices(room.code)[(1, 1)] == locked
    assert not store.save_choice(room.code, 1, 2, locked)  # quarter 2 is not being decided yet
    store.close_quarter(room.code, 1, {1: _result(1.0)}, {})
    assert not store.save_choice(room.code, 1, 1, locked)  # quarter 1 is played


@settings(max_examples=40, deadline=None)
@given(requests=st.lists(st.integers(1, 5), max_size=12))
def test_closing_quarters_in_any_order_keeps_exactly_the_quarters_played(tmp_path_factory, requests):
    store = Store(tmp_path_factory.mktemp("prop") / "room.sqlite")
    room = _room(store)
    store.join(room.code, "A")
    expected = 0
    for q in requests:
        done = store.close_quarter(room.code, q, {1: _result(float(q) + 0.5 * len(requests))}, {})
        assert done == (q == expected + 1)
        expected += done
    results = store.results(room.code)
    assert store.room(room.code).quarter == expected
    assert sorted(q for _, q in results) == list(range(1, expected + 1))
    first_written = {}
    for q in requests:  # a repeated request never overwrote what the first wrote
        first_written.setdefault(q, float(q) + 0.5 * len(requests))
    assert all(results[(1, q)].profit == first_written[q] for q in range(1, expected + 1))
    store.close()


def test_room_codes_are_short_unambiguous_and_read_as_typed(tmp_path):
    store = Store(tmp_path / "room.sqlite")
    codes = {_room(store).code for _ in range(30)}
    assert len(codes) == 30 and all(len(c) == 5 and not set(c) & set("IO01") for c in codes)
    assert normal_code(" k7q-rm ") == "K7QRM"


def test_a_file_that_is_no_room_database_is_refused_clearly(tmp_path):
    bad = tmp_path / "notes.sqlite"
    bad.write_text("this is not a database" * 100)
    with pytest.raises(UserError, match="cannot be used as a room database"):
        Store(bad)
    with pytest.raises(UserError, match="is a folder"):
        Store(tmp_path)


# --- engine -----------------------------------------------------------------------------------------

POLICY_A = ({"enforcement": 1.0, "coaching_style": "close_focused"}, {"enforcement": 0.0, "coaching_style": "neutral"})
POLICY_B = ({"enforcement": 0.0, "coaching_style": "customer_focused"},) * 2


@pytest.mark.slow
def test_equal_choices_give_equal_numbers_and_other_choices_other_numbers():
    a = engine.run_all(PARAMS, 7, WARMUP, POLICY_A)
    again = engine.run_all(PARAMS, 7, WARMUP, POLICY_A)
    b = engine.run_all(PARAMS, 7, WARMUP, POLICY_B)
    assert a == again
    assert a[0] != b[0] and a[1] != b[1]
    assert all(math.isfinite(r.profit) and r.banner_opened >= r.banner_closed >= 0 for r in a + b)


@pytest.mark.slow
def test_a_quarter_resumed_from_its_snapshot_equals_a_replay_from_week_zero():
    first = run_table(TableJob(1, PARAMS, 7, WARMUP, POLICY_A[:1]))
    resumed = run_table(TableJob(1, PARAMS, 7, WARMUP, POLICY_A, first.snapshot, 1))
    replayed = run_table(TableJob(1, PARAMS, 7, WARMUP, POLICY_A))
    from_warm = run_table(TableJob(1, PARAMS, 7, WARMUP, POLICY_A, engine.warmed_up(PARAMS, 7, WARMUP), 0))
    assert resumed.replayed_weeks == 0 and replayed.replayed_weeks == WARMUP + 13 and from_warm.replayed_weeks == 13
    assert resumed.result == replayed.result == from_warm.result
    assert engine.run_all(PARAMS, 7, WARMUP, POLICY_A) == [first.result, resumed.result]


# --- what a browser sends (sim.room.service) -----------------------------------------------------------


def _service_room(tmp_path):
    store = Store(tmp_path / "room.sqlite")
    return store.create_room(
        title="T",
        preset="banner_mandate",
        seed=1,
        params=PARAMS,
        levers=("enforcement", "banner_bonus", "one_on_one"),
        predict="true_close_rate",
        warmup_weeks=WARMUP,
        quarters_max=4,
        tables_max=20,
    )


@settings(max_examples=60, deadline=None)
@given(pct=st.integers(0, 100), hundredths=st.integers(0, 99), bonus=st.integers(0, 5000))
def test_a_decimal_comma_reads_as_the_decimal_point(tmp_path_factory, pct, hundredths, bonus):
    from sim.room.service import parse_policy, parse_prediction

    room = _service_room(tmp_path_factory.mktemp("parse"))
    text = f"{min(pct, 99)}.{hundredths:02d}"
    point, errors_point = parse_policy(room, {"enforcement": text, "banner_bonus": str(bonus), "one_on_one": "on"})
    comma, errors_comma = parse_policy(
        room, {"enforcement": text.replace(".", ","), "banner_bonus": f"{bonus:,}", "one_on_one": True}
    )
    assert errors_point == errors_comma == {}
    assert point == comma and point["one_on_one"] is True and point["banner_bonus"] == bonus
    assert point["enforcement"] == pytest.approx(float(text) / 100, abs=1e-12)
    assert (
        parse_prediction(room, text.replace(".", ","))
        == parse_prediction(room, text)
        == pytest.approx(float(text) / 100)
    )


def test_a_refused_value_names_the_lever_and_its_range(tmp_path):
    from sim.dashboard.levers import LeverRefused
    from sim.room.service import parse_policy, parse_prediction

    room = _service_room(tmp_path)
    _, errors = parse_policy(room, {"enforcement": "101", "banner_bonus": "-5", "one_on_one": "maybe"})
    assert (
        "How hard managers enforce the target: 101 % is outside the allowed range 0 to 100 %" in errors["enforcement"]
    )
    assert "Bonus per banner sale" in errors["banner_bonus"] and "outside the allowed range" in errors["banner_bonus"]
    assert "'maybe' is not On or Off" in errors["one_on_one"]
    with pytest.raises(LeverRefused, match="outside 0 % to 100 %"):
        parse_prediction(room, "120")
    assert parse_prediction(room, "  ") is None
