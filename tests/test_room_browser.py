"""A whole workshop room in real Chromium: 20 tables in 20 browser contexts play four quarters.

``salesim room`` runs as a subprocess on a loopback port (small unit, see room_helpers). The
facilitator opens the room from its page; every table joins with the code, sets a lever, predicts
and locks from its own page; the facilitator runs each quarter. After quarter 2 the server is
stopped and started again on the same file: no quarter is lost, the open pages carry on, and a
table in a fresh browser rejoins by its name. At the end every table is on the leaderboard with
four quarters and the debrief shows every table. Skipped without Chromium or Playwright, unless
SALESIM_REQUIRE_BROWSER=1. Screenshots go to test-artifacts/room/.
"""

from __future__ import annotations

import dashboard_helpers as dh
import pytest
from room_helpers import spawn_room

pytestmark = pytest.mark.slow

TABLES = 20
QUARTERS = 4
RESTART_AFTER = 2
ARTIFACTS = dh.ROOT / "test-artifacts" / "room"
WAIT_MS = 120_000  # a quarter under load on a shared 2-core machine; never a timing claim


def _open_table(context, base: str, code: str, name: str, wait: bool = True):
    """A tab that joins the room as ``name``; ``wait=False`` returns before the table's page is drawn."""
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{base}/?code={code}")
    page.fill("input.join-name", name)
    page.click("button.join-go")
    if wait:
        page.wait_for_selector(f'.table-name:has-text("{name}")')
    return page


def _lock(page, i: int, quarter: int) -> None:
    """Set this table's enforcement, predict and press Lock (the caller waits for every table's lock)."""
    page.wait_for_selector(f'.room-header[data-quarter="{quarter - 1}"]')
    page.wait_for_selector("button.lock")
    page.fill(".lever-enforcement input", str((5 * i + 20 * quarter) % 101))
    page.fill("input.prediction", "120000")
    page.click("button.lock")


def test_twenty_tables_play_four_quarters_through_a_server_restart(tmp_path):
    sync_playwright = dh.browser_or_skip()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    db, port = tmp_path / "room.sqlite", dh.free_port()
    proc, base, key = spawn_room(db, port)
    try:
        with sync_playwright() as p:
            browser = dh.launch(p)
            host = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            host.set_default_timeout(WAIT_MS)
            host.goto(f"{base}/host?key={key}")
            host.fill("input[name=seed]", "5")
            host.click("button.create")
            host.wait_for_url("**/host/room/*")
            code = host.locator(".room-code").get_attribute("data-code")
            contexts = [browser.new_context(viewport={"width": 1100, "height": 800}) for _ in range(TABLES)]
            tables = [_open_table(c, base, code.lower(), f"Table {i + 1}", wait=False) for i, c in enumerate(contexts)]
            for i, page in enumerate(tables):
                page.wait_for_selector(f'.table-name:has-text("Table {i + 1}")')
            host.wait_for_selector(f'.lock-count[data-tables="{TABLES}"]')

            for quarter in range(1, QUARTERS + 1):
                for i, page in enumerate(tables):
                    _lock(page, i, quarter)
                for page in tables:
                    page.wait_for_selector("p.locked")
                host.wait_for_selector(f'.lock-count[data-locked="{TABLES}"]')
                host.click(f'button.advance[data-quarter="{quarter}"]')
                host.wait_for_selector(f'.room-header[data-quarter="{quarter}"]')
                assert host.locator(".leaderboard tr.row").count() == TABLES
                if quarter == RESTART_AFTER:
                    dh.stop_server(proc)
                    proc, _, key_again = spawn_room(db, port)
                    assert key_again == key
                    host.wait_for_selector(f'.room-header[data-quarter="{quarter}"]')
                    rows = host.locator(f'.leaderboard tr.row[data-quarters="{quarter}"]')
                    rows.first.wait_for()
                    assert rows.count() == TABLES  # every table kept every quarter played before the restart
                    fresh = _open_table(browser.new_context(), base, code, "table 1")  # a new browser, same name
                    assert fresh.locator(".history .quarter-row").count() == RESTART_AFTER
                    fresh.context.close()
                    # the first browser's cookie was replaced by that rejoin: it rejoins too, from the join page
                    tables[0].goto(f"{base}/")
                    tables[0].fill("input.join-code", code)
                    tables[0].fill("input.join-name", "Table 1")
                    tables[0].click("button.join-go")
                    tables[0].wait_for_selector('.table-name:has-text("Table 1")')
                    host.screenshot(path=str(ARTIFACTS / "host-after-restart.png"))

            host.goto(f"{base}/board/{code}")
            done = host.locator(f'.leaderboard tr.row[data-quarters="{QUARTERS}"]')
            done.first.wait_for()
            assert done.count() == TABLES
            names = set(host.locator(".leaderboard td.c-name").all_inner_texts())
            assert {n.split("most profit")[0].split("best-looking")[0].strip() for n in names} == {
                f"Table {i + 1}" for i in range(TABLES)
            }
            host.screenshot(path=str(ARTIFACTS / "board.png"), full_page=True)
            tables[3].wait_for_selector(f".history .quarter-row[data-quarter='{QUARTERS}']")
            assert tables[3].locator(".history .quarter-row").count() == QUARTERS
            assert "finished" in tables[3].locator(".room-header").inner_text()
            tables[3].screenshot(path=str(ARTIFACTS / "table.png"), full_page=True)
            host.goto(f"{base}/debrief/{code}")
            host.wait_for_selector("section.debrief-table")
            assert host.locator("section.debrief-table").count() == TABLES
            assert host.locator("svg.scatter circle").count() == TABLES
            host.click('button.replay-q[data-quarter="1"]')  # replay: the board as it stood after quarter 1
            host.wait_for_selector('.replay-board h2:has-text("After quarter 1")')
            assert host.locator('.replay-board tr.row[data-quarters="1"]').count() == TABLES
            text = host.locator("main").inner_text()
            assert "Traceback" not in text and "Something went wrong" not in text
            host.screenshot(path=str(ARTIFACTS / "debrief.png"), full_page=True)
            browser.close()
    finally:
        dh.stop_server(proc)
