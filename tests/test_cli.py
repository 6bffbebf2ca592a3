"""The salesim command line: exit codes, messages and the files a run writes."""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim import cli
from sim.cli import kpi_table, main, text_table
from sim.report.weekly import plot_weekly

BASELINE = 'title = "Baseline"\nquestion = "How does today\'s unit perform?"\nmechanisms = ["M1", "M2"]\n'
MANDATE = ('title = "Mandate"\nquestion = "What if managers enforce 90 %?"\nextends = "baseline"\n'
           "[parameters]\nbanner_target = 0.9\nenforcement = 1.0\n")
SMALL = ["--set", "n_accounts=300", "--set", "n_reps=4", "--set", "n_managers=1", "--set", "burn_in_weeks=13"]


@pytest.fixture
def scen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scenarios folder with a baseline and a mandate, selected through SALESIM_SCENARIOS."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "baseline.toml").write_text(BASELINE)
    (folder / "banner_mandate.toml").write_text(MANDATE)
    monkeypatch.setenv("SALESIM_SCENARIOS", str(folder))
    monkeypatch.delenv("SALESIM_DEBUG", raising=False)
    return folder


def assert_user_error(capsys: pytest.CaptureFixture[str], code: int, *needles: str) -> str:
    """Check a bad-input exit: status 2, prefixed message on stderr, no traceback; return stderr."""
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("salesim: error: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err
    return err


# --- validate and scenarios -------------------------------------------------------


def test_validate_ok(scen: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(scen / "banner_mandate.toml")
    assert main(["validate", path]) == 0
    assert capsys.readouterr().out.strip() == f"ok: {path} (Mandate)"


def test_validate_by_name(scen: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "baseline"]) == 0
    assert "ok: baseline (Baseline)" in capsys.readouterr().out


def test_validate_bad_file(scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "T"\nquestion = "Q?"\n[parameters]\nenforcment = 1.0\n')
    err = assert_user_error(capsys, main(["validate", str(bad)]), "bad.toml", "parameters.enforcment",
                            "'enforcement'")
    assert capsys.readouterr().out == ""
    assert len(err.strip().splitlines()) == 1


def test_validate_missing_file(scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_user_error(capsys, main(["validate", str(tmp_path / "nope.toml")]), "does not exist", "baseline")


def test_validate_malformed_toml(scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text('title = "T\n')
    assert_user_error(capsys, main(["validate", str(bad)]), "not valid TOML", "line 1")


def test_scenarios_lists_name_title_question_mechanisms(scen: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert out.index("baseline: Baseline") < out.index("banner_mandate: Mandate")
    assert "What if managers enforce 90 %?" in out and "mechanisms: M1, M2" in out


# --- usage errors ------------------------------------------------------------------


@pytest.mark.parametrize("argv", [
    [], ["bogus"], ["run"], ["run", "baseline", "--weeks", "0"], ["run", "baseline", "--weeks", "-3"],
    ["run", "baseline", "--weeks", "many"], ["run", "baseline", "--seed", "-1"], ["validate"],
    ["run", "baseline", "--colour", "red"],
])
def test_usage_errors_exit_2(scen: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert_user_error(capsys, main(argv), "--help")


def test_weeks_within_burn_in_is_refused(scen: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_user_error(capsys, main(["run", "baseline", "--weeks", "5"]), "burn_in_weeks = 39", "--weeks 40")


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "run" in capsys.readouterr().out


def test_bad_set_exits_2(scen: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_user_error(capsys, main(["run", "baseline", "--set", "enforcement"]), "lever=value")
    assert_user_error(capsys, main(["run", "baseline", "--set", "audits=2"]), "between 0 and 1")


def test_out_is_an_existing_file(scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "taken"
    target.write_text("x")
    assert_user_error(capsys, main(["run", "baseline", "--out", str(target)]), "existing file")


# --- unexpected errors -------------------------------------------------------------


def _explode() -> None:
    raise RuntimeError("boom\nsecond line")


def test_bug_exits_1_with_one_line(scen: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "list_scenarios", _explode)
    assert main(["scenarios"]) == 1
    err = capsys.readouterr().err
    assert "RuntimeError: boom second line" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bug_reraises_with_debug(scen: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "list_scenarios", _explode)
    monkeypatch.setenv("SALESIM_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        main(["scenarios"])


# --- run, on the real model at a small size -----------------------------------------


def test_run_writes_summary_timeseries_and_figure(scen: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o"
    code = main(["run", "banner_mandate", "--weeks", "20", "--seed", "7", "--set", "audits=0.5", *SMALL,
                 "--out", str(out)])
    assert code == 0
    stdout = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    from sim.kpis import KPIS

    close = KPIS["reported_banner_close_rate"]
    assert close.label in stdout and close.format(summary["reported_banner_close_rate"]) in stdout
    assert "per year: net revenue " + KPIS["revenue"].format(summary["revenue"]) in stdout
    assert summary["scenario"] == "banner_mandate" and summary["seed"] == 7 and summary["weeks"] == 20
    assert {"banner_target": 0.9, "enforcement": 1.0, "audits": 0.5}.items() <= summary["parameters"].items()
    nan_kpis = [k for k in KPIS if summary[k] is None]  # NaN is not valid JSON: written as null
    assert all(KPIS[k].nan_when for k in nan_kpis), nan_kpis
    weekly = pd.read_csv(out / "timeseries.csv", index_col="week")
    assert len(weekly) == 20 and {"revenue_week", "profit_week"} <= set(weekly.columns)
    assert not set(weekly.columns) & set(KPIS)  # weekly and annual quantities have distinct names
    assert not set(weekly.columns) & set(summary["parameters"])
    assert (out / "weekly.png").stat().st_size > 10_000


def test_run_default_out_folder(scen: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", "baseline", "--weeks", "20", "--seed", "3", *SMALL]) == 0
    assert (tmp_path / "runs" / "baseline-seed3" / "summary.json").is_file()


# --- run, end to end ----------------------------------------------------------------


def test_run_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o"
    assert main(["run", "baseline", "--weeks", "20", *SMALL, "--out", str(out)]) == 0
    from sim.kpis import KPIS

    summary = json.loads((out / "summary.json").read_text())
    assert {"scenario", "seed", "weeks", "parameters"} <= summary.keys()
    assert set(KPIS) <= summary.keys()
    assert summary["parameters"]["n_reps"] == 4
    assert len(pd.read_csv(out / "timeseries.csv")) == 20
    assert (out / "weekly.png").is_file()
    assert "salesim: error" not in capsys.readouterr().err


# --- formatting and plotting helpers --------------------------------------------------


def test_kpi_table_shows_each_kpi_in_its_declared_format() -> None:
    """The CLI table reads formats from the KPI registry: percentages, money, weeks, a dash for NaN."""
    from sim.kpis import KPIS

    values = {"annual_churn_rate": 0.1234, "revenue": 1234567.8, "time_to_fix": 4.25, "nps": -12.34,
              "reported_banner_close_rate": float("nan")}
    lines = kpi_table(values, KPIS).splitlines()
    row = {line.split()[0]: line for line in lines[2:]}
    for name, v in values.items():
        assert KPIS[name].format(v) in row[name], (name, row[name])
    assert "12.3 %" in row["annual_churn_rate"] and "1.23M" in row["revenue"] and "4.2 weeks" in row["time_to_fix"]


def test_text_table_aligns_columns() -> None:
    table = text_table(("a", "value"), [("long name", "1"), ("x", "100")], right=(1,))
    lines = table.splitlines()
    assert lines[0] == "a          value"
    assert lines[2] == "long name      1"
    assert lines[3] == "x            100"


def test_plot_weekly_tolerates_missing_columns(tmp_path: Path) -> None:
    df = pd.DataFrame({"something_else": [1.0, 2.0]}, index=pd.RangeIndex(2, name="week"))
    path = plot_weekly(df, tmp_path / "w.png", "Only unknown columns")
    assert path.is_file()


# --- import structure ------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def _imports_sim_cli(path: Path) -> list[str]:
    """The import statements in ``path`` that load :mod:`sim.cli`, absolute or relative, as line:text."""
    package = list(path.relative_to(ROOT).with_suffix("").parts[:-1])  # e.g. ["sim", "dashboard"]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names = [module, *(f"{module}.{a.name}" for a in node.names)]
        else:
            continue
        if any(n == "sim.cli" or n.startswith("sim.cli.") for n in names):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_imports_sim_cli_back() -> None:
    """Subcommand modules take shared pieces from sim.cli_common, so sim.cli has no import cycle."""
    offenders = [hit for path in sorted((ROOT / "sim").rglob("*.py")) for hit in _imports_sim_cli(path)]
    assert offenders == []


def test_python_m_sim_cli_imports_each_module_once() -> None:
    """``python -m sim.cli --help`` loads every sim module once and never sim.cli itself (it runs as __main__)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "sim.cli", "--help"], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    modules = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
               if line.startswith("import time:") and "imported package" not in line]
    sim_modules = [m for m in modules if m == "sim" or m.startswith("sim.")]
    assert "sim.cli_common" in sim_modules
    assert [m for m in set(sim_modules) if sim_modules.count(m) > 1] == []
    assert "sim.cli" not in sim_modules  # imported as well as run as __main__ would execute sim/cli.py twice
    sub = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert {"run", "compare", "sweep", "calibrate", "validation-report", "dashboard"} <= set(sub.choices)
    listed = {line.split()[0] for line in proc.stdout.splitlines() if line.startswith("    ") and line.split()}
    assert set(sub.choices) <= listed, proc.stdout
