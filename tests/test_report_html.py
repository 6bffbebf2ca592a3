"""The HTML comparison report: one self-contained file, every scenario and headline KPI, safe text."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import SalesModel, load_scenario
from sim import formatting as fm
from sim.experiment.tidy import tidy_series
from sim.kpis import HEADLINE, KPIS
from sim.report import compare_plots as cp
from sim.report.html import excludes_zero, write_report
from sim.stats import mean_ci, paired_diff_ci, unpaired_diff_ci

SMALL = {"n_accounts": 300, "n_reps": 4, "n_managers": 1, "burn_in_weeks": 13}
NAMES = ("baseline", "banner_mandate")
REPS, WEEKS = 3, 30
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IMG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def scenario_dict(name: str) -> dict:
    """The scenario as the compare command passes it to the report."""
    s = load_scenario(name, SMALL)
    overrides = {k: v for k, v in s.overrides.items() if k not in SMALL}
    return {"name": s.name, "title": s.title, "question": s.question, "mechanisms": list(s.mechanisms),
            "notice": s.notice, "overrides": overrides}


def compare_table(runs: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Mean, paired and unpaired difference intervals per (scenario, KPI), as ``salesim compare`` computes them."""
    ref = runs[runs["scenario"] == names[0]].sort_values("replication")
    rows = []
    for name in names:
        cur = runs[runs["scenario"] == name].sort_values("replication")
        for kpi in KPIS:
            a, b = ref[kpi].to_numpy(float), cur[kpi].to_numpy(float)
            m, lo, hi = mean_ci(b)
            d, dlo, dhi = paired_diff_ci(a, b) if name != names[0] else (0.0, 0.0, 0.0)
            _, ulo, uhi = unpaired_diff_ci(a, b) if name != names[0] else (0.0, 0.0, 0.0)
            rows.append({"scenario": name, "kpi": kpi, "mean": m, "ci_low": lo, "ci_high": hi, "diff_vs_first": d,
                         "diff_ci_low": dlo, "diff_ci_high": dhi, "unpaired_diff_ci_low": ulo,
                         "unpaired_diff_ci_high": uhi})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def inputs() -> dict:
    """Real model runs, small: two scenarios, three paired replications of 30 weeks."""
    runs, series = [], []
    for name in NAMES:
        scenario = load_scenario(name, SMALL)
        for rep in range(REPS):
            model = SalesModel.from_scenario(scenario, rng=rep).run(WEEKS)
            runs.append({"scenario": name, "replication": rep, "seed": rep, **model.kpis()})
            ts = tidy_series(model.timeseries()).reset_index()  # as series.parquet names the columns
            series.append(ts.assign(scenario=name, replication=rep))
    runs_df = pd.DataFrame(runs)
    meta = {"replications": REPS, "weeks": WEEKS, "root_seed": 0, "created": "2025-01-01T12:00:00",
            "command": "salesim compare baseline banner_mandate --replications 3", "salesim_version": "0.1.0",
            "elapsed_s": 1.5}
    return {"scenarios": [scenario_dict(n) for n in NAMES], "comparison": compare_table(runs_df, list(NAMES)),
            "runs": runs_df, "series": pd.concat(series, ignore_index=True), "meta": meta}


@pytest.fixture(scope="module")
def report(inputs: dict, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = write_report(tmp_path_factory.mktemp("report"), **inputs)
    assert path.name == "report.html" and path.is_file()
    return path.read_text(encoding="utf-8")


@pytest.mark.slow
def test_report_is_one_self_contained_file(report: str) -> None:
    assert report.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", report, re.IGNORECASE)
    assert "<link" not in report and "<script" not in report.lower()
    assert len(IMG.findall(report)) == 8
    assert "could not be drawn" not in report


@pytest.mark.slow
def test_embedded_images_are_valid_pngs(report: str) -> None:
    for data in IMG.findall(report):
        assert base64.b64decode(data).startswith(PNG_SIGNATURE)


@pytest.mark.slow
def test_report_names_scenarios_questions_and_headline_kpis(report: str, inputs: dict) -> None:
    import html

    for s in inputs["scenarios"]:
        assert html.escape(s["question"], quote=True) in report
        assert html.escape(s["title"], quote=True) in report
    for kpi in HEADLINE:
        assert html.escape(KPIS[kpi].label, quote=True) in report
    assert "salesim compare baseline banner_mandate" in report
    assert "enforcement" in report  # a lever the mandate changes
    assert "Why pairing matters" in report and "unpaired 95 % interval" in report
    assert "<details>" in report


@pytest.mark.slow
def test_full_table_lists_every_kpi_with_its_definition(report: str) -> None:
    import html

    for kpi in KPIS.values():
        assert f"<code>{kpi.name}</code>" in report
        assert html.escape(kpi.doc, quote=True) in report


@pytest.mark.slow
def test_single_scenario_report(inputs: dict, tmp_path: Path) -> None:
    one = inputs["comparison"][inputs["comparison"]["scenario"] == "baseline"]
    runs = inputs["runs"][inputs["runs"]["scenario"] == "baseline"]
    series = inputs["series"][inputs["series"]["scenario"] == "baseline"]
    text = write_report(tmp_path, inputs["scenarios"][:1], one, runs, series, inputs["meta"]).read_text()
    assert "Why pairing matters" not in text and "At a glance" not in text and "paired" not in text
    assert "Δ" not in text.split("Headline KPIs", 1)[1].split("</table>", 1)[0]
    assert len(IMG.findall(text)) == 7 and "could not be drawn" not in text


@pytest.mark.slow
def test_text_from_inputs_is_escaped(inputs: dict, tmp_path: Path) -> None:
    scenarios = [dict(s) for s in inputs["scenarios"]]
    scenarios[1]["title"] = "<script>alert('x')</script> & co"
    scenarios[1]["notice"] = "<b>bold</b>"
    meta = {**inputs["meta"], "command": "salesim compare <a> --out 'x'"}
    text = write_report(tmp_path, scenarios, inputs["comparison"], inputs["runs"], inputs["series"], meta).read_text()
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text and "salesim compare &lt;a&gt;" in text


@pytest.mark.slow
def test_missing_series_columns_do_not_break_the_report(inputs: dict, tmp_path: Path) -> None:
    keep = ["scenario", "replication", "week", "revenue_week"]
    text = write_report(tmp_path, inputs["scenarios"], inputs["comparison"], inputs["runs"],
                        inputs["series"][keep], inputs["meta"]).read_text()
    assert len(IMG.findall(text)) == 8 and "could not be drawn" not in text


@pytest.mark.slow
def test_significant_differences_are_highlighted(inputs: dict, tmp_path: Path) -> None:
    comparison = inputs["comparison"].copy()
    row = (comparison["scenario"] == "banner_mandate") & (comparison["kpi"] == "revenue")
    comparison.loc[row, ["diff_vs_first", "diff_ci_low", "diff_ci_high"]] = [-1e5, -2e5, -5e4]
    text = write_report(tmp_path, inputs["scenarios"], comparison, inputs["runs"], inputs["series"],
                        inputs["meta"]).read_text()
    assert "diff sig worse" in text and "−100k" in text


def test_formatting() -> None:
    assert fm.value(0.1234, "percent") == "12.3 %"
    assert fm.value(6_824_203.0, "money") == "6.82M"
    assert fm.value(float("nan"), "percent") == "–"
    assert fm.value(-0.052, "percent", signed=True) == "−5.2 pp"
    assert fm.value(55_500.0, "money", signed=True) == "+55.5k"
    assert fm.value(3.25, "score", signed=True) == "+3.2"
    assert excludes_zero(0.1, 0.5) and excludes_zero(-2, -1)
    assert not excludes_zero(-1, 1) and not excludes_zero(np.nan, 1) and not excludes_zero(0.0, 0.0)


def test_scenario_colours_are_stable_and_distinct() -> None:
    colors = cp.scenario_colors([f"s{i}" for i in range(10)])
    assert len(set(colors.values())) == 10
    assert cp.scenario_colors(["a", "b"]) == {"a": colors["s0"], "b": colors["s1"]}
