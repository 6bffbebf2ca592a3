"""The executive layer of report.html and ``salesim report``: any reference, the same numbers, no rerun."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiment.compare import PAIRS_CSV, RANKING_CSV, compare
from sim.experiment.executors import SerialExecutor
from sim.experiment.summary import calibration_facts, pairwise, ranking, with_reference
from sim.report.executive import WORD_HIGHER, WORD_LOWER, WORD_NONE, WORD_UNCLEAR, word
from sim.scenario import load_scenario

SMALL = {"n_accounts": 200, "n_reps": 2, "n_managers": 1, "burn_in_weeks": 4}
SMALL_SET = [a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")]
NAMES = ["baseline", "banner_mandate", "banner_bonus"]
REPS, WEEKS = 2, 12
TABLES = ("comparison.csv", RANKING_CSV, PAIRS_CSV)


ORDER = ["banner_bonus", "baseline", "banner_mandate"]  # the same scenarios, another reference


def _compare(names: list[str], out: Path) -> Path:
    """A finished comparison's folder (tables only: the report is drawn by the command under test)."""
    compare([load_scenario(n, SMALL) for n in names], REPS, WEEKS, 1, SerialExecutor(), out, progress=False)
    return out


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished three-scenario comparison with baseline as its reference."""
    return _compare(NAMES, tmp_path_factory.mktemp("cmp") / "a")


def test_report_with_a_new_reference_equals_a_fresh_compare_and_opens_with_the_answer(stored: Path,
                                                                                      tmp_path: Path) -> None:
    rereported = tmp_path / "again"
    assert main(["report", str(stored), "--reference", ORDER[0], "--out", str(rereported)]) == 0
    fresh = _compare(ORDER, tmp_path / "fresh")
    for table in TABLES:
        assert (rereported / table).read_bytes() == (fresh / table).read_bytes(), table
    comp = pd.read_csv(rereported / "comparison.csv")
    assert list(pd.unique(comp["scenario"])) == ORDER
    assert (comp.loc[comp["scenario"] == ORDER[0], "diff_vs_first"] == 0).all()
    _check_the_answer_comes_first(rereported)  # one test draws the one report (under xdist a fixture runs per worker)


def _check_the_answer_comes_first(rereported: Path) -> None:
    text = (rereported / "report.html").read_text(encoding="utf-8")
    assert "At a glance" not in text
    assert text.index("<h2>The answer</h2>") < text.index("<h2>The scenarios</h2>")
    section = text[text.index("<h2>The answer</h2>"):text.index("<h2>The scenarios</h2>")]
    for needle in ("Standing caveats", "Calibration:", "Seed spread", "Horizon:", "seed noise only",
                   "Every pair: profit difference"):
        assert needle in section, needle
    assert f"simulates {WEEKS} weeks; the first {SMALL['burn_in_weeks']} are a burn-in" in section
    assert "Δ = paired difference against <b>banner_bonus</b>" in section
    rank = pd.read_csv(rereported / RANKING_CSV)
    shown = re.findall(r"<tr><td>\d+</td><td class='text'><b>([^<]+)</b>", section)
    assert shown == list(rank["scenario"])  # the table shows the ranking's order
    assert (np.diff(rank["profit"].to_numpy()) <= 0).all()


def test_pairs_matrix_is_antisymmetric_and_matches_the_reference_column(stored: Path) -> None:
    pairs = pd.read_csv(stored / PAIRS_CSV).set_index(["scenario", "versus"])
    comp = pd.read_csv(stored / "comparison.csv")
    for a in NAMES:
        for b in NAMES:
            assert pairs.loc[(a, b), "diff"] == pytest.approx(-pairs.loc[(b, a), "diff"], abs=1e-6)
        ref = comp[(comp["scenario"] == a) & (comp["kpi"] == "profit")].iloc[0]
        assert pairs.loc[(a, NAMES[0]), "diff"] == pytest.approx(ref["diff_vs_first"], rel=1e-12, abs=1e-9)
        assert pairs.loc[(a, NAMES[0]), "ci_low"] == pytest.approx(ref["diff_ci_low"], rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("args, needle", [
    (["--reference", "banner_bonnus"], "did you mean 'banner_bonus'"),
    (["--reference", "no_banners"], "not a scenario of this comparison"),
])
def test_bad_reference_is_refused(tmp_path: Path, args: list[str], needle: str, capsys) -> None:
    (tmp_path / "meta.json").write_text(json.dumps({"scenarios": [{"name": n} for n in NAMES], "meta": {}}))
    pd.DataFrame({"scenario": NAMES, "replication": 0, "profit": 1.0}).to_parquet(tmp_path / "runs.parquet")
    assert main(["report", str(tmp_path), *args]) == 2  # refused before anything is computed or written
    assert needle in capsys.readouterr().err and not (tmp_path / "comparison.csv").exists()


def test_a_folder_without_a_comparison_is_refused(tmp_path: Path, capsys) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "holds no finished comparison" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "nowhere")]) == 2


def test_ranking_sorts_on_profit_then_revenue_and_words_follow_the_interval() -> None:
    rows = []
    for name, profit, revenue, lo, hi in (("a", 1.0, 5.0, 0.0, 0.0), ("b", 2.0, 1.0, 0.5, 1.5),
                                          ("c", 2.0, 3.0, -0.2, 2.2)):
        for kpi, mean in (("profit", profit), ("revenue", revenue)):
            d = mean - {"profit": 1.0, "revenue": 5.0}[kpi]
            rows.append({"scenario": name, "kpi": kpi, "mean": mean, "diff_vs_first": d,
                         "diff_ci_low": lo if kpi == "profit" else d, "diff_ci_high": hi if kpi == "profit" else d})
    r = ranking(pd.DataFrame(rows), ["a", "b", "c"], replications=3)
    assert list(r["scenario"]) == ["c", "b", "a"]  # profit ties between b and c; c has the higher revenue
    assert list(r["profit_distinct"]) == [False, True, False]
    assert not ranking(pd.DataFrame(rows), ["a", "b", "c"], replications=1)["profit_distinct"].any()
    assert word(1.0, True) == WORD_HIGHER and word(-1.0, True) == WORD_LOWER and word(1.0, False) == WORD_UNCLEAR
    assert word(0.0, False, 0.0, 0.0) == WORD_NONE and word(0.0, False, -1.0, 1.0) == WORD_UNCLEAR


def test_pairwise_is_the_paired_interval_of_per_replication_differences() -> None:
    runs = pd.DataFrame({"scenario": ["a"] * 3 + ["b"] * 3, "replication": [0, 1, 2] * 2,
                         "profit": [1.0, 2.0, 3.0, 2.0, 2.5, 4.5]})
    p = pairwise(runs, ["a", "b"]).set_index(["scenario", "versus"]).loc[("b", "a")]
    d = np.array([1.0, 0.5, 1.5])
    half = 4.302652729911275 * d.std(ddof=1) / math.sqrt(3)  # t(0.975, 2)
    assert p["diff"] == pytest.approx(1.0) and p["ci_low"] == pytest.approx(1.0 - half)


def test_reference_order_and_calibration_facts() -> None:
    assert with_reference(["a", "b", "c"], "c") == ["c", "a", "b"]
    assert with_reference(["a", "b"], None) == ["a", "b"]
    facts = calibration_facts([load_scenario("baseline"), load_scenario("calibrated", SMALL)], None)
    assert facts["calibrated"] == ["calibrated"]
    assert facts["parameters"] and set(facts["identified"]) <= set(facts["parameters"])
    assert calibration_facts([load_scenario("baseline")], Path("nowhere"))["calibrated"] == ["baseline"]
