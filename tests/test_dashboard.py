"""The workshop dashboard: its pieces without a browser, then the real page in headless Chromium.

Browser tests start ``salesim dashboard`` (via ``python -m sim.dashboard.cli``) on a free loopback
port with no internet and drive it with Playwright's Python client and Debian's Chromium. They
are skipped when /usr/bin/chromium or Playwright is missing, unless SALESIM_REQUIRE_BROWSER=1.
Screenshots go to test-artifacts/dashboard/.
"""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path
from types import SimpleNamespace

import dashboard_helpers as dh
import numpy as np
import pandas as pd
import pytest

from sim.dashboard import assets, book, charts, levers, state, timing
from sim.dashboard.cli import main as dashboard_main
from sim.dashboard.levers import LeverRefused, apply_change, lever, parse_typed
from sim.model import SalesModel
from sim.params import Params, param_info

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- book of business ---------------------------------------------------------------------------


def _accounts(rows: list[dict]) -> SimpleNamespace:
    """A tiny book: one account per row, every field defaulted to a fine, active account."""
    base = {"active": True, "ever_customer": True, "cause": 0,
            "flag": False, "flag_declined": False, "since": 0.0, "sat": 0.75, "rep": 0}
    cols = {k: np.array([{**base, **r}[k] for r in rows]) for k in base}
    return SimpleNamespace(n=len(rows), **cols)


def test_book_colours_each_account_by_the_first_state_that_applies():
    hi, lo = Params().promoter_sat + 0.05, Params().detractor_sat - 0.1
    rows = [
        {"active": False, "cause": 1, "flag": True, "flag_declined": True, "since": 99, "sat": lo},  # lost: neglect
        {"active": False, "cause": 2},                                   # lost: service
        {"active": False, "cause": 3},                                   # lost: pitch
        {"active": False, "cause": 4},                                   # lost: price
        {"flag": True, "flag_declined": True, "since": 99, "sat": lo},  # avoided beats neglected and detractor
        {"flag": True, "since": 99, "sat": lo},                          # banner beats neglected
        {"since": 12.0, "sat": lo},                                      # neglected beats detractor
        {"sat": lo},                                                     # detractor
        {"sat": hi},                                                     # promoter
        {},                                                              # fine
        {"active": False, "ever_customer": False},                       # open prospect
    ]
    states = book.classify(_accounts(rows), neglect_horizon=12.0)
    assert [book.STATES[s].key for s in states] == [s.key for s in book.STATES]
    assert book.counts(states) == dict.fromkeys((s.key for s in book.STATES), 1)


def test_book_image_has_one_block_per_rep_and_frames_vacant_books():
    acc = _accounts([{"rep": r, "sat": 0.9} for r in range(6) for _ in range(9)])
    img = book.render(acc, neglect_horizon=12.0, n_slots=6, vacant=np.array([0, 0, 1, 0, 0, 0], bool), width=300)
    assert (img.rows, img.cols) == book.grid_shape(6)
    assert img.rgb.dtype == np.uint8 and img.rgb.shape[2] == 3
    green = np.array(book.PALETTE[book.STATE_INDEX["promoter"]])
    assert np.all(img.rgb == green, axis=2).sum() > 0
    assert np.all(img.rgb == 0, axis=2).sum() > 0  # the black frame of the vacant book
    assert img.png().startswith(PNG_MAGIC)


def test_book_of_a_real_model_shows_avoidance_under_the_mandate():
    s = state.Session(preset="banner_mandate")
    s.step(30)
    counts = book.counts(book.render_model(s.run.model).state)
    acc = s.run.model.acc
    assert sum(counts.values()) == acc.n
    assert counts["prospect"] == int((~acc.ever_customer).sum()) > 0
    assert counts["avoided"] > 0 and counts["churned_service"] > 0


def test_grid_shape_is_close_to_landscape():
    assert book.grid_shape(20) == (4, 5)
    rows, cols = book.grid_shape(7)
    assert rows * cols >= 7 and cols >= rows


# --- charts -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def series() -> pd.DataFrame:
    s = state.Session(preset="banner_mandate")
    s.step(20)
    return s.run.timeseries()


@pytest.mark.parametrize("key", [c.key for c in charts.CHARTS])
def test_every_chart_draws_a_png_with_and_without_data(key, series):
    live = charts.LiveChart(key)
    empty = live.render(pd.DataFrame(), 104)
    full = live.render(series, 104)
    again = live.render(series.iloc[:10], 104)  # blitting over the cached frame
    for png in (empty, full, again):
        assert png.startswith(PNG_MAGIC)
    assert full != empty and full != again


@pytest.mark.slow
def test_slides_are_figures(series):
    rgb = book.render_model(state.LiveRun(Params(), 1).model).rgb
    fig = charts.slide_figure(series, 104, "title", rgb, legend=book.legend_handles(), marks=[26],
                              headline="net promoter score: +35")
    assert len(fig.axes) >= 6
    assert any("changed, week 26" in t.get_text() for t in fig.axes[0].texts)  # the mid-run change is marked
    assert "net promoter score: +35" in [t.get_text() for t in fig.texts]  # the headline numbers are on it
    pair = charts.pair_slide_figure([series, series], ["a", "b"], 104, "t", [rgb, rgb], book.legend_handles())
    assert charts.png(pair).startswith(PNG_MAGIC)


def test_shared_limits_fit_both_runs(series):
    small = series.iloc[:5]
    for key in charts.PAIR_CHARTS:
        both = charts.shared_limits(key, [series, small])
        assert both == charts.shared_limits(key, [small, series])
    assert charts.nice_ceiling(101) == 150 and charts.nice_ceiling(3, 10) == 10


# --- levers -------------------------------------------------------------------------------------


def test_levers_name_real_parameters_with_their_declared_ranges():
    info = param_info()
    names = [lv.name for lv in levers.LEVERS]
    assert len(names) == len(set(names)) and set(names) <= set(info)
    assert len({lv.label for lv in levers.LEVERS}) == len(names)
    for lv in levers.LEVERS:
        if lv.kind in ("int", "float"):
            lo, hi = lv.bounds()
            assert lo == lv.shown(info[lv.name].ge)
            assert hi == min(lv.shown(info[lv.name].le), levers.MAX_ACCOUNTS if lv.name == "n_accounts" else np.inf)
        if lv.kind == "choice":
            assert {v for v, _ in lv.choices} == set(info[lv.name].choices)


def test_typed_values_are_parsed_in_shown_units():
    assert parse_typed(lever("banner_target"), "90") == 0.9
    assert parse_typed(lever("banner_target"), " 45 % ") == 0.45
    assert parse_typed(lever("quota_bonus"), "20,000") == 20000.0
    assert parse_typed(lever("n_reps"), "12") == 12
    assert parse_typed(lever("failure_rate"), "12") == pytest.approx(0.012)
    assert parse_typed(lever("coaching_style"), "Neutral") == "neutral"
    assert parse_typed(lever("empowerment"), True) is True


@pytest.mark.parametrize(("name", "text", "words"), [
    ("n_reps", "abc", "not a number"),
    ("n_reps", "", "empty"),
    ("n_reps", "2.5", "whole number"),
    ("n_reps", "5000", "outside the allowed range 1 to 2,000"),
    ("n_accounts", "50000", "at most 20,000"),
    ("banner_target", "150", "outside the allowed range 0 to 100 %"),
    ("banner_bonus", "nan", "not a finite number"),
    ("coaching_style", "shouting", "not one of the options"),
])
def test_bad_typed_values_are_refused_with_a_plain_message(name, text, words):
    with pytest.raises(LeverRefused, match=words):
        parse_typed(lever(name), text)


def test_cross_field_rules_are_refused_in_plain_words():
    with pytest.raises(LeverRefused) as err:
        apply_change(Params(), "feedback_loop", "none")
    assert "CRM rule that raises banners" in str(err.value) and "crm_rule" not in str(err.value)
    p = Params(feedback_loop="none", crm_rule="spend_drop")
    with pytest.raises(LeverRefused) as err:
        apply_change(p, "detractor_policy", "fix_first")
    assert "Customer feedback loop" in str(err.value) and "detractor_policy" not in str(err.value)
    with pytest.raises(LeverRefused, match="Sales managers"):
        apply_change(Params(), "n_reps", 2)


def test_a_refused_lever_keeps_the_previous_value_and_the_run():
    s = state.Session(preset="baseline")
    s.step(5)
    before = (s.params, s.run)
    with pytest.raises(LeverRefused):
        s.set_lever("n_accounts", 5)
    with pytest.raises(LeverRefused):
        s.set_seed("-1")
    assert (s.params, s.run) == before and s.run.week == 5


# --- session -------------------------------------------------------------------------------------


def test_a_lever_change_applies_from_the_week_on_screen_and_keeps_the_weeks_before():
    s = state.Session(preset="baseline", seed=3)
    s.step(12)
    plain = state.LiveRun(s.params, 3)
    plain.advance(20)
    s.set_lever("enforcement", 1.0)
    assert s.run.week == 12 and s.changed() == ["enforcement"] and s.changed_since() == {"enforcement": 12}
    s.step(8)
    assert s.run.change_weeks == [12] and s.run.digests()[:12] == plain.digests()[:12]
    assert s.run.digests()[12:] != plain.digests()[12:]
    direct = SalesModel(Params(), rng=3).run(12)
    direct.change_levers({"enforcement": 1.0})
    pd.testing.assert_frame_equal(s.run.model.weekly(), direct.run(8).weekly())
    s.restore_preset()  # back to the preset's values from week 20 on: a second change
    assert s.changed() == [] and s.run.week == 20 and s.run.change_weeks == [12, 20]


def test_jumps_and_a_new_seed_replay_the_changes_at_their_weeks():
    s = state.Session(preset="baseline", seed=3)
    s.step(10)
    s.set_lever("banner_target", 0.9)
    s.jump("30")
    at30 = s.run.digests()
    s.jump("20")
    assert s.run.week == 20 and s.run.change_weeks == [10] and s.run.digests() == at30[:20]
    s.set_seed("4")
    assert s.run.week == 20 and s.run.change_weeks == [10] and s.run.digests() != at30[:20]
    s.jump("5")  # back before the change: it is undone, and the levers show what runs at week 5
    assert s.run.change_weeks == [] and s.params.banner_target == s.preset.params.banner_target
    with pytest.raises(LeverRefused, match="outside the weeks shown, 0 to 104"):
        s.jump("500")
    with pytest.raises(LeverRefused, match="whole number"):
        s.jump("2,5")


def test_pause_stops_the_play_loop_before_its_next_week_but_not_step():
    s = state.Session(preset="baseline")
    s.pause(0)
    assert s.step(4, playing=True) == 0 and s.paused_at == 0
    assert s.step(2) == 2  # Step and jumps still work while paused
    s.play()
    assert s.step(4, playing=True) == 4


def test_a_side_that_changes_re_runs_to_the_week_on_screen():
    s = state.Session(preset="baseline", seed=2)
    s.choose_pair("baseline", "banner_mandate")
    s.pair_step(20)
    left = s.pair[0]
    s.choose_pair("baseline", "customer_centric_coaching")
    a, b = s.pair
    fresh = state.LiveRun(s.pair_params("customer_centric_coaching"), 2)
    fresh.advance(20)
    assert a is left and b.week == 20 and b.digests() == fresh.digests()
    s.jump("8", "pair")
    assert [r.week for r in s.pair] == [8, 8] and s.pair[1].digests() == fresh.digests()[:8]


def test_presets_restart_and_keep_team_size_and_seed():
    s = state.Session(preset="baseline", seed=4)
    s.set_lever("n_accounts", 500)
    s.step(3)
    s.choose_preset("banner_mandate")
    assert s.run.week == 0 and s.seed == 4 and s.params.n_accounts == 500 and s.params.enforcement == 1.0
    assert s.preset.question and s.preset.notice and s.preset.things_to_try


def test_side_by_side_runs_share_the_seed_and_stop_at_the_horizon():
    s = state.Session(preset="baseline", seed=2)
    s.set_horizon(52)
    s.choose_pair("baseline", state.MY_LEVERS)
    assert s.pair_step(60) == 52 and s.pair_finished
    a, b = s.pair
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries())  # same policy, same seed: identical
    with pytest.raises(LeverRefused):
        s.choose_pair("baseline", "no_such_preset")
    s.set_lever("enforcement", 1.0)  # "my levers" follow the lever panel, at the same week
    a2, b2 = s.pair
    assert a2 is a and b2 is not b and b2.week == 52 and b2.params.enforcement == 1.0


def test_a_shorter_horizon_keeps_the_run_at_its_last_week():
    s = state.Session(preset="baseline")
    s.step(60)
    s.set_horizon(52)
    assert s.run.week == 52 and s.finished and s.step(1) == 0
    with pytest.raises(LeverRefused):
        s.set_horizon(7)


def test_play_steps_more_weeks_per_frame_when_drawing_is_slow_within_a_cap():
    assert state.frame_weeks(4, 0.05) == 1
    assert state.frame_weeks(32, 0.01) == 32 // state.MAX_FPS  # the frame rate is capped
    assert state.frame_weeks(32, 0.25) == 8
    assert state.frame_weeks(32, 5.0) == 8  # a slow frame slows the run instead of jumping weeks
    assert state.idle_after(8, 32, 0.4) >= 0.2  # the loop always leaves time for clicks


@pytest.mark.parametrize(("text", "value"), [("0,5", 0.005), ("2,5", 0.025), ("12,75", 0.1275), ("0.5", 0.005)])
def test_a_decimal_comma_is_read_as_a_decimal(text, value):
    assert parse_typed(lever("banner_target"), text) == pytest.approx(value)
    assert parse_typed(lever("quota_bonus"), "20,000") == 20000.0


@pytest.mark.parametrize("text", ["1,2,3", "2,5.1", "1,,5"])
def test_an_unreadable_comma_is_refused_clearly(text):
    with pytest.raises(LeverRefused, match="write decimals with a point or one comma"):
        parse_typed(lever("banner_bonus"), text)


@pytest.mark.slow
def test_the_time_breakdown_covers_the_step_and_the_drawing():
    # speed itself lives in benchmarks/dashboard.py (against timing.BUDGET_MS), not in a test
    result = timing.step_breakdown(weeks=4, start_week=10)
    assert result["model_step_ms"] > 0 and result["draw_ms"] > 0
    assert result["week_ms"] >= max(result["model_step_ms"], result["draw_ms"])


# --- assets and command line ---------------------------------------------------------------------


@pytest.mark.slow
def test_offline_assets_cover_what_the_installed_solara_asks_for():
    assert assets.missing() == []
    assert assets.unshipped_packages() == []


def test_port_out_of_range_and_port_in_use_exit_2(capsys):
    assert dashboard_main(["--port", "70000"]) == 2
    assert "65535" in capsys.readouterr().err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        assert dashboard_main(["--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert "already in use" in err and "Traceback" not in err
    assert dashboard_main(["--preset", "no_such_scenario", "--port", str(dh.free_port())]) == 2


# --- the real page in a browser ------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A running dashboard, a browser and a context (its cache keeps later page loads fast)."""
    sync_playwright = dh.browser_or_skip()
    exports = tmp_path_factory.mktemp("exports")
    dh.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with dh.dashboard_server(exports) as url, sync_playwright() as p:
        browser = dh.launch(p)
        context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
        yield SimpleNamespace(url=url, context=context, exports=exports)
        context.close()
        browser.close()


def _hash(png: bytes) -> str:
    return hashlib.sha256(png).hexdigest()


def _no_traceback(page) -> None:
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and "most recent call last" not in text


def _finish(page, shot: str) -> None:
    """Keep a screenshot for the artifacts, check the page shows no traceback, close it."""
    page.screenshot(path=dh.ARTIFACTS / shot)
    _no_traceback(page)
    page.close()


@pytest.mark.slow
def test_page_loads_offline_with_the_preset_story(site):
    failed: list[str] = []
    page = site.context.new_page()
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}") if "127.0.0.1" in r.url else None)
    page.goto(site.url)
    page.wait_for_selector("img.img-book", timeout=60_000)
    header = page.locator(".preset-header").inner_text()
    assert "Banner close-rate mandate" in header and "90 %" in header
    page.get_by_text("What to notice and things to try").click()  # the notes start collapsed
    assert "What to notice" in page.locator(".notes").inner_text()
    assert page.locator("img.img-close_rate").count() == 1
    assert not [f for f in failed if "/_solara/cdn/" in f], failed  # every front-end file came from the package
    _finish(page, "01-loaded.png")


@pytest.mark.slow
def test_preset_lever_play_and_step_change_the_charts_and_the_book(site):
    page = dh.open_dashboard(site.context, site.url)
    dh.choose(page, ".preset-picker", "Baseline")
    page.wait_for_function("document.querySelector('.preset-header').innerText.includes('Baseline')")
    assert "typical B2B sales unit" in page.locator(".question").inner_text()

    dh.type_into(page, "enforcement", "100")
    page.wait_for_function("document.querySelector('.lever-row-enforcement').innerText.includes('100 %')")
    # the note on changed levers pushes the levers down: measure the slider once it is there
    page.wait_for_function("document.querySelector('.sidebar').innerText.includes('Changed from the preset')")
    page.wait_for_timeout(300)
    thumb = page.locator(".lever-slider-banner_target .v-slider-thumb").first.bounding_box()
    page.mouse.move(thumb["x"] + thumb["width"] / 2, thumb["y"] + thumb["height"] / 2)
    page.mouse.down()
    page.mouse.move(thumb["x"] + 400, thumb["y"] + thumb["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_function("document.querySelector('.lever-row-banner_target').innerText.includes('100 %')")
    page.wait_for_function("document.querySelector('.sidebar').innerText.includes('Changed from the preset')")

    before = {k: _hash(page.locator(f"img.img-{k}").screenshot()) for k in ("close_rate", "book")}
    dh.step(page, 3)
    assert dh.week(page) == 3
    after = {k: _hash(page.locator(f"img.img-{k}").screenshot()) for k in ("close_rate", "book")}
    assert before["close_rate"] != after["close_rate"] and before["book"] != after["book"]

    # Pause at the fastest speed takes effect within one frame: at most one further week after the click
    page.locator(".speed button").nth(len(state.SPEEDS) - 1).click()
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.querySelector('.week-counter').dataset.week) >= 12", timeout=60_000)
    page.get_by_role("button", name="Pause").click()
    page.wait_for_function("Number(document.querySelector('.week-counter').dataset.pausedAt) >= 12")
    page.wait_for_selector("button.play:has-text('Play')")
    paused_at = int(page.locator(".week-counter").first.get_attribute("data-paused-at"))
    page.wait_for_timeout(1000)  # time for frames the loop might still draw (there must be none)
    assert paused_at < state.DEFAULT_HORIZON  # the click was served while the run played, not at its end
    assert dh.week(page) <= paused_at + 1  # at most the week being computed when Pause arrived
    assert "banners avoided" in page.locator(".kpi-tiles").inner_text()
    _finish(page, "02-played.png")


@pytest.mark.slow
def test_a_lever_change_at_week_26_keeps_weeks_0_to_25_and_changes_what_follows(site):
    page = dh.open_dashboard(site.context, site.url)  # the mandate preset, enforced hard
    dh.jump(page, 40)
    plain = dh.digests(page)
    dh.jump(page, 26)
    dh.type_into(page, "enforcement", "0")
    page.wait_for_function("document.querySelector('.changed-levers')?.innerText.includes('from week 26')")
    assert "leadership demands a 90 %" not in page.locator(".preset-header").inner_text()  # no stale question
    dh.jump(page, 40)
    page.wait_for_function("document.querySelector('.series-digest').dataset.digest.split(',').length === 40")
    changed = dh.digests(page)
    assert len(plain) == 40 and changed[:26] == plain[:26]  # weeks 0-25: every series as it was
    assert all(a != b for a, b in zip(changed[26:], plain[26:], strict=True))  # week 26 on: another policy
    _finish(page, "05-changed-at-week-26.png")


@pytest.mark.slow
def test_the_projector_layout_fits_tiles_and_three_charts_on_one_screen(site):
    page = dh.open_dashboard(site.context, site.url)
    page.get_by_role("button", name="Hide levers").click()
    page.wait_for_selector(".preset-picker", state="detached")
    dh.step(page, 2)
    for width, height in ((1280, 720), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)  # the layout settles
        for selector in (".kpi-tiles", "img.img-close_rate", "img.img-revenue", "img.img-churn"):
            box = page.locator(selector).first.bounding_box()
            assert box and box["x"] >= 0 and box["y"] >= 0, selector
            assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, (width, selector, box)
        scale = page.evaluate("(() => { const i = document.querySelector('img.img-close_rate');"
                              " return i.getBoundingClientRect().width / i.naturalWidth; })()")
        for key in ("xtick.labelsize", "ytick.labelsize"):  # chart text in pixels as projected
            assert charts.STYLE[key] * charts.DPI / 72 * scale >= charts.MIN_TEXT_PX, (width, key, scale)
        legend_px = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.chart-legend')).fontSize)")
        assert legend_px >= charts.MIN_TEXT_PX
        for key in ("close_rate", "revenue", "churn"):  # a chart's title and its live number never overlap
            title = page.locator(f".chart-{key} .chart-title").first.bounding_box()
            badge = page.locator(f".chart-{key} .chart-badge").first.bounding_box()
            assert title["x"] + title["width"] <= badge["x"] or title["y"] + title["height"] <= badge["y"], key
        page.screenshot(path=dh.ARTIFACTS / f"06-projector-{width}x{height}.png")
    page.close()


@pytest.mark.slow
def test_side_by_side_and_export(site):
    page = dh.open_dashboard(site.context, site.url)
    dh.step(page, 3)
    page.get_by_role("button", name="Export slide (PNG)").click()
    page.wait_for_selector(".export-path", timeout=30_000)
    saved = Path(page.locator(".export-path").inner_text())
    assert saved.parent == site.exports.resolve() and saved.read_bytes().startswith(PNG_MAGIC)
    with page.expect_download() as download:
        page.get_by_text("Download it").click()
    assert Path(download.value.path()).read_bytes().startswith(PNG_MAGIC)

    page.get_by_role("button", name="Side by side").click()
    page.wait_for_selector(".pair-col-1 img.img-pair-1-book")
    dh.choose(page, ".pair-a", "Baseline")
    dh.choose(page, ".pair-b", "Banner close-rate mandate")
    page.wait_for_function("document.querySelector('.pair-col-1').innerText.includes('Banner close-rate mandate')")
    dh.step(page, 6)
    page.wait_for_function("document.querySelector('table.compare').innerText.includes('week 6')")
    assert "customers lost" in page.locator("table.compare").inner_text()
    left = _hash(page.locator("img.img-pair-0-close_rate").screenshot())
    right = _hash(page.locator("img.img-pair-1-close_rate").screenshot())
    assert left != right
    page.get_by_role("button", name="Export slide (PNG)").click()
    page.wait_for_function("document.querySelector('.export-path').innerText.includes('side-by-side')")
    assert Path(page.locator(".export-path").inner_text()).read_bytes().startswith(PNG_MAGIC)
    _finish(page, "03-side-by-side.png")


@pytest.mark.slow
def test_bad_values_are_refused_in_the_page_without_a_traceback(site):
    page = dh.open_dashboard(site.context, site.url)
    dh.open_section(page, "Team size", "n_reps")
    dh.type_into(page, "n_reps", "abc")
    page.wait_for_selector(".page-refusal")
    assert "Sales reps: 'abc' is not a number" in page.locator(".page-refusal").inner_text()
    page.wait_for_function("document.querySelector('.lever-n_reps input').value === '20'")

    dh.type_into(page, "n_accounts", "50000")
    page.wait_for_function("document.querySelector('.page-refusal').innerText.includes('20,000')")
    dh.type_into(page, "banner_target", "150")
    page.wait_for_function("document.querySelector('.page-refusal').innerText.includes('0 to 100 %')")
    assert "90 %" in page.locator(".lever-row-banner_target").inner_text()

    dh.open_section(page, "Management", "feedback_loop")
    dh.choose(page, ".lever-feedback_loop", "None: only complaints")  # the CRM rule needs feedback
    page.wait_for_function("document.querySelector('.page-refusal')?.innerText.includes('needs customer feedback')")
    page.wait_for_function("document.querySelector('.lever-row-feedback_loop').innerText.includes('Quarterly survey')")

    dh.type_into(page, "n_reps", "10")  # a good value clears the message
    page.wait_for_function("!document.querySelector('.page-refusal')")
    _finish(page, "04-refused.png")
