"""The room's server over real HTTP (uvicorn in a thread, the real worker pool, a real SQLite file).

- A table joins with the code as typed, names itself, sets levers within their declared ranges (a
  decimal comma reads as a decimal), predicts and locks; a bad code, a bad value or a late change is
  refused with a message that says what is wrong and what is allowed.
- Only the facilitator's browser may open rooms and advance; an advance runs every table on the same
  seed, puts every table on the leaderboard, and a repeated advance changes nothing.
- A new server on the same file has every room, table and quarter, and its next quarter (replayed
  from week 0) gives what one uninterrupted run gives.
- ``salesim room`` refuses bad options with exit status 2 and no traceback.
"""

from __future__ import annotations

import re

import pytest
from dashboard_helpers import free_port
from room_helpers import LEVERS, SMALL, Client, host_client, thread_server

from sim.cli import main as salesim
from sim.params import Params
from sim.room import engine
from sim.scenario import load_scenario

pytestmark = pytest.mark.slow

SAME = {"banner_target": "90", "enforcement": "100", "coaching_style": "close_focused", "one_on_one": False}
OTHER = {"banner_target": "50", "enforcement": "0,5", "coaching_style": "customer_focused", "one_on_one": True}


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    with thread_server(tmp_path_factory.mktemp("room") / "room.sqlite", free_port(), workers=2) as (base, service):
        host = host_client(base, service.facilitator_key)
        status, made = host.call("/api/host/rooms", {"preset": "banner_mandate", "levers": LEVERS, "seed": 11})
        assert status == 200, made
        yield base, service, host, made["code"]


def _join(base: str, code: str, name: str) -> Client:
    c = Client(base)
    status, answer = c.call("/api/join", {"code": code, "name": name})
    assert status == 200, answer
    return c


def test_pages_and_files_are_served_and_ask_nothing_of_the_internet(room):
    base, _, host, code = room
    plain = Client(base)
    for path in ("/", "/?code=ABCDE", f"/board/{code}"):
        status, text = plain.request("GET", path)
        assert status == 200 and 'src="/static/room.js"' in text
    for path in ("/static/room.js", "/static/room.css"):
        status, text = plain.request("GET", path)
        assert status == 200 and not re.search(r"(src|href)=[\"']?https?://|@import|url\(http", text)
    assert plain.request("GET", "/host")[0] == 403
    assert plain.request("GET", "/host?key=wrong")[0] == 403
    assert host.request("GET", f"/host/room/{code}")[0] == 200
    assert plain.request("GET", "/table")[0] == 303  # not joined: back to the join page


def test_bad_codes_names_and_values_are_refused_with_what_is_allowed(room):
    base, _, _, code = room
    c = Client(base)
    status, answer = c.call("/api/join", {"code": "ZZZZ9", "name": "X"})
    assert status == 404 and "No room has the code 'ZZZZ9'" in answer["error"]
    status, answer = c.call("/api/join", {"code": code, "name": "   "})
    assert status == 400 and "Give your table a name" in answer["error"]
    status, answer = c.call("/api/join", {"code": code, "name": "x" * 31})
    assert status == 400 and "at most 30 characters" in answer["error"]
    assert c.call("/api/table")[0] == 403

    t = _join(base, f" {code.lower()[:2]}-{code.lower()[2:]} ", "Refusals")  # typed loosely: still the room
    bad = {**SAME, "enforcement": "150", "banner_target": "1,2,5", "coaching_style": "shout"}
    status, answer = t.call("/api/table", {"levers": bad, "prediction": "lots", "lock": True})
    assert status == 400
    errors = answer["errors"]
    assert "outside the allowed range 0 to 100 %" in errors["enforcement"]
    assert "write decimals with a point or one comma" in errors["banner_target"]
    assert "'shout' is not one of the options" in errors["coaching_style"]
    assert "'lots' is not a number" in errors["prediction"]
    status, answer = t.call("/api/table", {"levers": {**SAME, "quota_level": "2"}, "prediction": "1"})
    assert status == 400 and "does not let tables set" in answer["errors"]["levers"]
    status, answer = t.call("/api/table", {"levers": SAME, "lock": True})
    assert status == 400 and "Predict your profit" in answer["errors"]["prediction"]
    status, answer = t.request("POST", "/api/table", "not json", {"Content-Type": "text/plain"})
    assert status == 415
    sneaky = {"Content-Type": "text/plain; x=application/json"}  # a type other sites' pages may send unasked
    assert t.request("POST", "/api/table", "{}", sneaky)[0] == 415
    status, state = t.call("/api/table")
    assert status == 200 and not state["locked"]  # nothing refused was stored


def test_a_room_with_bad_levers_outcome_or_seed_is_refused_field_by_field(room):
    base, _, host, _ = room
    status, answer = host.call(
        "/api/host/rooms",
        {"preset": "banner_mandate", "levers": ["n_reps", "skill_mean"], "predict": "fun", "seed": "-3"},
    )
    assert status == 400
    assert "n_reps, skill_mean: not levers a table may move" in answer["errors"]["levers"]
    assert "'fun' is not an outcome" in answer["errors"]["predict"]
    assert "Seed: -3 is outside the allowed range" in answer["errors"]["seed"]
    status, answer = host.call("/api/host/rooms", {"preset": "nowhere", "levers": LEVERS})
    assert status == 400 and "nowhere" in answer["errors"]["preset"]
    status, answer = host.call(
        "/api/host/rooms",
        {"preset": "banner_mandate", "levers": LEVERS * 2 + ["audits", "banner_bonus", "feedback_loop"]},
    )
    assert status == 400 and "Choose 1 to 6 levers" in answer["errors"]["levers"]
    assert Client(base).call("/api/host/rooms", {"preset": "banner_mandate", "levers": LEVERS})[0] == 403


def test_tables_lock_the_facilitator_advances_and_every_table_is_on_the_board(room):
    base, service, host, code = room
    tables = {name: _join(base, code, name) for name in ("Alpha", "Beta", "Gamma")}
    for name, levers in (("Alpha", SAME), ("Beta", SAME), ("Gamma", OTHER)):
        status, state = tables[name].call("/api/table", {"levers": levers, "prediction": "250 000", "lock": True})
        assert status == 200 and state["locked"], state
    status, state = tables["Gamma"].call("/api/table")
    enforcement = next(lv for lv in state["levers"] if lv["name"] == "enforcement")
    assert enforcement["text"] == "0.5 %"  # "0,5" was read as 0.5 (percent shown, 0.005 in the model)
    status, answer = tables["Alpha"].call("/api/table", {"levers": OTHER, "prediction": "1", "lock": True})
    assert status == 409 and "locked" in answer["error"]
    assert tables["Alpha"].call(f"/api/host/rooms/{code}/advance", {"quarter": 1})[0] == 403
    status, before = host.call(f"/api/host/rooms/{code}")
    assert before["locked"] == 3 and len(before["tables"]) == 4  # "Refusals" joined but never locked

    status, after = host.call(f"/api/host/rooms/{code}/advance", {"quarter": 1})
    assert status == 200 and after["played"] and after["quarter"] == 1, after
    board = {row["name"]: row for row in after["leaderboard"]}
    assert set(board) == {"Alpha", "Beta", "Gamma", "Refusals"} and all(r["quarters"] == 1 for r in board.values())
    assert board["Alpha"]["raw"] == board["Beta"]["raw"]  # the same choices on the same seed: the same quarter
    assert board["Gamma"]["raw"] != board["Alpha"]["raw"]
    assert [r["rank"] for r in after["leaderboard"]] == [1, 2, 3, 4]

    status, again = host.call(f"/api/host/rooms/{code}/advance", {"quarter": 1})
    assert status == 200 and not again["played"] and again["leaderboard"] == after["leaderboard"]
    status, answer = host.call(f"/api/host/rooms/{code}/advance", {"quarter": 3})
    assert status == 409 and "has played 1" in answer["error"]

    expected = engine.run_all(
        Params(**{**load_scenario("banner_mandate").params.model_dump(), **SMALL}),
        11,
        39,
        [{"banner_target": 0.5, "enforcement": 0.005, "coaching_style": "customer_focused", "one_on_one": True}],
    )
    assert board["Gamma"]["raw"]["profit"] == pytest.approx(expected[0].profit, rel=1e-12)

    status, mine = tables["Gamma"].call("/api/table")
    assert mine["history"][0]["prediction"] == "250k" and mine["deciding"] == 2
    assert mine["levers"][0]["text"] == "50 %"  # the next quarter starts from the last one's levers
    status, debrief = host.call(f"/api/host/rooms/{code}/debrief")
    assert [r["quarter"] for r in debrief["rounds"]] == [1]
    assert debrief["rounds"][0]["leaderboard"] == after["leaderboard"]
    refusals = next(t for t in debrief["tables"] if t["name"] == "Refusals")
    assert refusals["quarters"][0]["carried"]  # it never locked: the advance kept the preset's levers
    assert tables["Beta"].call(f"/api/host/rooms/{code}/debrief")[0] == 403
    status, late = Client(base).call("/api/join", {"code": code, "name": "Latecomers"})
    assert status == 409 and "already played quarter 1" in late["error"]


def test_a_new_server_on_the_same_file_has_every_quarter_and_plays_on(tmp_path):
    db = tmp_path / "room.sqlite"
    with thread_server(db, free_port()) as (base, service):
        key = service.facilitator_key
        host = host_client(base, key)
        code = host.call("/api/host/rooms", {"preset": "banner_mandate", "levers": LEVERS, "seed": 3})[1]["code"]
        t = _join(base, code, "Delta")
        t.call("/api/table", {"levers": OTHER, "prediction": "100000", "lock": True})
        host.call(f"/api/host/rooms/{code}/advance", {"quarter": 1})
        board_before = host.call(f"/api/host/rooms/{code}")[1]["leaderboard"]
    with thread_server(db, free_port()) as (base, service):
        assert service.facilitator_key == key  # the facilitator's link keeps working
        t.base = host.base = base  # the same browsers: their cookies still name the table and the facilitator
        status, state = t.call("/api/table")
        assert status == 200 and state["name"] == "Delta" and state["quarter"] == 1
        assert host.call(f"/api/host/rooms/{code}")[1]["leaderboard"] == board_before
        t.call("/api/table", {"levers": SAME, "prediction": "100000", "lock": True})
        status, after = host.call(f"/api/host/rooms/{code}/advance", {"quarter": 2})
        assert status == 200 and after["played"]
        profit = after["leaderboard"][0]["raw"]["profit"]
    base_params = Params(**{**load_scenario("banner_mandate").params.model_dump(), **SMALL})
    levers = [
        {"banner_target": 0.5, "enforcement": 0.005, "coaching_style": "customer_focused", "one_on_one": True},
        {"banner_target": 0.9, "enforcement": 1.0, "coaching_style": "close_focused", "one_on_one": False},
    ]
    uninterrupted = engine.run_all(base_params, 3, 39, levers)
    assert profit == pytest.approx(uninterrupted[0].profit + uninterrupted[1].profit, rel=1e-12)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--tables-max", "500"], "outside the allowed range for tables max: 1 to 60"),
        (["--accounts", "3"], "--accounts must be greater than or equal to 10"),
        (["--accounts", "30", "--reps", "50"], "--reps (50) must not exceed --accounts (30)"),
        (["--preset", "no_such_preset"], "no_such_preset"),
        (["--port", "0"], "must be from 1 to 65535"),
        (["--quarters", "40"], "outside the allowed range for quarters max"),
    ],
)
def test_bad_options_exit_2_with_a_clear_message(args, words, capsys, tmp_path):
    assert salesim(["room", "--db", str(tmp_path / "r.sqlite"), *args]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_a_db_that_is_a_folder_or_no_database_exits_2(tmp_path, capsys):
    assert salesim(["room", "--db", str(tmp_path), "--port", str(free_port())]) == 2
    assert "is a folder" in capsys.readouterr().err
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"\x00junk" * 200)
    assert salesim(["room", "--db", str(junk), "--port", str(free_port())]) == 2
    assert "cannot be used as a room database" in capsys.readouterr().err
