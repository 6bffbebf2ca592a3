"""What results mean is declared once (sim.kpis), written one way (sim.formatting); imports leave matplotlib be."""

from __future__ import annotations

import inspect
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import formatting as fm
from sim import kpis
from sim.kpis import CHURN_CAUSES, HEADLINE, KPIS, ROLLING_WEEKS, WEEKLY

ROOT = Path(__file__).resolve().parent.parent
# Okabe & Ito (2008), the palette the project draws with; greys (r = g = b) read the same to everyone.
OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
SMALL = {"n_accounts": 300, "n_reps": 4, "n_managers": 1, "burn_in_weeks": 4}

# Imports every sim module in a fresh interpreter whose backend and rcParams were set first,
# and prints the modules after whose import either had changed.
IMPORT_ALL = r"""
import importlib, json, pkgutil, sys
import matplotlib
matplotlib.use("svg")
matplotlib.rcParams["font.size"] = 7.5
import sim
before = {k: repr(v) for k, v in matplotlib.rcParams.items()}
changed = []
for info in pkgutil.walk_packages(sim.__path__, "sim."):
    importlib.import_module(info.name)
    rc = {k: repr(v) for k, v in matplotlib.rcParams.items()}
    diff = sorted(k for k in before if rc.get(k) != before[k])
    if matplotlib.get_backend() != "svg" or diff:
        changed.append([info.name, matplotlib.get_backend(), diff[:5]])
        matplotlib.use("svg")
        matplotlib.rcParams.update({k: v for k, v in matplotlib.rcParamsDefault.items() if k != "backend"})
        matplotlib.rcParams["font.size"] = 7.5
        before = {k: repr(v) for k, v in matplotlib.rcParams.items()}
print(json.dumps(changed))
"""


# --- importing leaves matplotlib as it was ---------------------------------------------------------


def test_importing_any_sim_module_keeps_the_users_matplotlib_backend_and_style() -> None:
    done = subprocess.run([sys.executable, "-c", IMPORT_ALL], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    changed = json.loads(done.stdout.strip().splitlines()[-1])
    assert changed == [], f"modules that change matplotlib's global state on import: {changed}"


# --- the KPI registry ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(KPIS))
def test_every_kpi_declares_label_unit_direction_and_format(name: str) -> None:
    k = KPIS[name]
    assert k.label.strip() and k.unit.strip() and k.doc, name
    assert k.better in (-1, 0, 1) and k.direction in ("higher", "lower", "neither")
    assert k.fmt in fm.FORMATS
    assert isinstance(k.format(1.0), str) and k.format(float("nan")) == fm.DASH


def test_headline_kpis_are_declared_once_in_a_fixed_order() -> None:
    ranks = sorted(k.headline for k in KPIS.values() if k.headline)
    assert ranks == list(range(1, len(ranks) + 1)), "headline ranks must be 1, 2, ... without gaps or repeats"
    assert kpis.headline_kpis() == HEADLINE and HEADLINE[:2] == ("revenue", "profit")
    shares = {c.share_kpi for c in CHURN_CAUSES}
    assert shares <= set(HEADLINE)
    assert set(kpis.headline_kpis(churn_shares=False)) == set(HEADLINE) - shares


def test_declarations_refuse_an_unknown_direction_or_format() -> None:
    with pytest.raises(ValueError, match="better"):
        kpis.kpi("x_test", "x", "fraction", better=2)
    with pytest.raises(ValueError, match="fmt"):
        kpis.kpi("x_test", "x", "fraction", fmt="roman")
    assert "x_test" not in KPIS


def test_no_other_module_keeps_its_own_headline_list_or_direction_table() -> None:
    for path in (ROOT / "sim").rglob("*.py"):
        if path.name in ("kpis.py", "formatting.py") or path.name.startswith("cli"):
            continue  # the command-line modules are being moved to the registry separately
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^(HEADLINE\w*|BAR_KPIS)\s*=", text, re.M), path
        assert not re.search(r"^def (format_value|format_diff|short_number|money)\(", text, re.M), path


# --- the weekly series -----------------------------------------------------------------------------


def test_every_weekly_column_is_declared() -> None:
    from sim.model import SalesModel

    df = SalesModel(rng=1, **SMALL).run(6).timeseries()
    assert set(df.columns) == set(WEEKLY), "declare each weekly column once in sim.kpis.WEEKLY"
    assert set(kpis.SERIES) <= set(WEEKLY)
    for w in WEEKLY.values():
        assert w.label.strip() and w.unit.strip(), w.name
        assert w.better in (-1, 0, 1) and w.fmt in fm.FORMATS and w.kind in kpis.SERIES_KINDS, w.name


def test_the_rolling_window_is_the_one_the_model_uses() -> None:
    from sim.dashboard.state import LiveRun
    from sim.model import SalesModel
    from sim.params import Params

    assert inspect.signature(SalesModel.timeseries).parameters["window"].default == ROLLING_WEEKS
    run = LiveRun(Params(**SMALL), 2)
    run.advance(12)
    expected = run.model.timeseries(window=ROLLING_WEEKS)
    np.testing.assert_array_equal(run.timeseries()["banner_avoidance_rate"], expected["banner_avoidance_rate"])
    assert all(f"{ROLLING_WEEKS}-week" in WEEKLY[c].unit for c in WEEKLY if WEEKLY[c].kind == "rolling")


# --- churn causes ----------------------------------------------------------------------------------


def test_each_churn_cause_has_one_colour_blind_safe_colour() -> None:
    colours = [c.colour.upper() for c in CHURN_CAUSES]
    assert len(set(colours)) == len(colours), "one colour per cause, no two alike"
    for c in CHURN_CAUSES:
        assert re.fullmatch(r"#[0-9A-F]{6}", c.colour.upper()), c
        r, g, b = (c.colour[i:i + 2] for i in (1, 3, 5))
        assert c.colour.upper() in OKABE_ITO or r == g == b, f"{c.key}: {c.colour} is not Okabe-Ito or grey"
        assert c.label.strip()


def test_churn_causes_match_the_model_and_every_reader() -> None:
    from sim.dashboard import book
    from sim.model import CAUSE_KEYS
    from sim.population import CAUSE_NAMES

    assert [c.code for c in CHURN_CAUSES] == list(range(1, len(CHURN_CAUSES) + 1))
    assert all(CAUSE_NAMES[c.code] == c.key for c in CHURN_CAUSES)
    assert tuple(c.count for c in CHURN_CAUSES) == CAUSE_KEYS
    assert all(c.count in kpis.COUNTS and c.share_kpi in KPIS for c in CHURN_CAUSES)
    states = {s.key: s for s in book.STATES}
    for c in CHURN_CAUSES:  # the book of business shows each lost account in its cause's colour
        assert states[c.count].colour == c.colour and c.label in states[c.count].label
    other = {s.colour for s in book.STATES if s.key not in {c.count for c in CHURN_CAUSES}}
    assert not other & {c.colour for c in CHURN_CAUSES}, "a cause colour doubles as another book state"


def test_the_weekly_figure_and_the_comparison_draw_causes_in_their_declared_colours(tmp_path: Path) -> None:
    import pandas as pd
    from matplotlib.colors import to_hex

    from sim.model import SalesModel
    from sim.report import compare_plots as cp

    ts = SalesModel(rng=1, **SMALL).run(10).timeseries().reset_index()
    series = pd.concat([ts.assign(scenario=n, replication=0) for n in ("a", "b")])
    fig = cp.plot_churn_causes(series, cp.scenario_colors(["a", "b"]))
    bars = [p for p in fig.axes[0].patches]
    drawn = {to_hex(p.get_facecolor()).upper() for p in bars}
    assert drawn == {c.colour.upper() for c in CHURN_CAUSES}


# --- one NPS formula ------------------------------------------------------------------------------


def test_the_survey_scores_customers_with_the_one_nps_formula() -> None:
    from sim.draw_streams import FEEDBACK
    from sim.model import SalesModel
    from sim.population import nps_score

    m = SalesModel(rng=3, feedback_loop="survey", survey_response=0.9, **SMALL)
    acc = m.acc
    acc.sat[:] = np.linspace(0.0, 1.0, acc.n)
    dtype = acc.known_score.dtype
    m.ops.survey(acc, week=0, key=m.key(FEEDBACK))
    asked = acc.known_score >= 0
    assert asked.any() and acc.known_score.dtype == dtype == np.int8
    np.testing.assert_array_equal(acc.known_score[asked], nps_score(acc.sat[asked]))
    source = inspect.getsource(type(m.ops).survey)
    assert "nps_score(" in source and "floor" not in source


# --- the formatting module ------------------------------------------------------------------------


@pytest.mark.parametrize(("got", "text"), [
    (fm.money(6_824_203.0), "6.82M"),
    (fm.money(-45_600.0), "\u221245.6k"),
    (fm.money(999_999.0), "1M"),
    (fm.money(120.0), "120"),
    (fm.money(55_500.0, signed=True), "+55.5k"),
    (fm.percent(0.1234), "12.3 %"),
    (fm.percent(0.00047), "0.047 %"),
    (fm.percent(-0.052, signed=True), "\u22125.2 pp"),
    (fm.percent(0.25, decimals=0), "25 %"),
    (fm.count(12345.0), "12,345"),
    (fm.weeks(4.17), "4.2 weeks"),
    (fm.score(3.25, signed=True), "+3.2"),
    (fm.score(-12.0, signed=True, decimals=0), "\u221212"),
    (fm.number(0.4123), "0.412"),
    (fm.plain(1000), "1,000"), (fm.plain(0.5), "0.5"), (fm.plain(math.inf), "no limit"),
    (fm.duration(245), "4 min 05 s"),
    (fm.interval(-0.06, -0.044, "percent", signed=True), "[\u22126.0 pp, \u22124.4 pp]"),
    (fm.estimate(6.82e6, 6.71e6, 6.93e6, "money"), "6.82M [6.71M, 6.93M]"),
    (fm.tick("percent")(0.1), "10 %"), (fm.tick("percent", signed=True)(-0.025), "\u22122.5 pp"),
    (fm.tick("money")(0.0), "0"),
])
def test_formatting(got: str, text: str) -> None:
    assert got == text


@pytest.mark.parametrize("fmt", list(fm.FORMATS))
@pytest.mark.parametrize("missing", [None, float("nan"), math.inf, -math.inf, "n/a"])
def test_a_missing_value_is_a_dash_in_every_format(fmt: str, missing: object) -> None:
    assert fm.value(missing, fmt) == fm.DASH
    assert fm.value(missing, fmt, signed=True) == fm.DASH


def test_a_difference_that_rounds_to_zero_has_no_sign() -> None:
    assert fm.percent(-0.0001, signed=True, decimals=1) == "0.0 pp"
    assert fm.score(-0.01, signed=True) == "0.0" and fm.count(-0.2, signed=True) == "0"
