"""Calibration targets on a scenario, the Markdown report and ``salesim validation-report``.

The targets are evaluated on the default baseline at sim.validation.QUICK
(800 accounts, 8 reps, 2 managers, 39 + 78 weeks, 10 replications), a size
too small to hold every target to its range. The tests check that every
output is well formed, and that the robust targets are within their
published range at this size: ``win_rate`` (win rate on purchase needs,
range 15-35 %, about 25 % here) and ``nps`` (range 9-43, about 28 here).
The others (churn, selling time, quota attainment, turnover, churn shares)
are checked at full size in docs/validation.md.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from sim import cli, validation
from sim.calibrate import load_targets
from sim.validation import (
    PATTERNS_BY_NAME,
    QUICK,
    Settings,
    evaluate_patterns,
    evaluate_targets,
    report_markdown,
)
from sim.validation_cli import add_validation_report

ROBUST = ("win_rate", "nps")


@pytest.fixture(scope="module")
def baseline_targets(quick_runs):
    return evaluate_targets("baseline", QUICK, quick_runs)


@pytest.mark.slow
def test_every_target_is_evaluated_and_well_formed(baseline_targets):
    cal = load_targets()
    assert [r.target.name for r in baseline_targets] == [t.name for t in cal.targets]
    for r in baseline_targets:
        assert len(r.values) == QUICK.replications
        assert all(math.isfinite(x) for x in (r.mean, r.low, r.high))
        assert r.low <= r.mean <= r.high
        assert r.within == (r.target.low <= r.mean <= r.target.high)
        assert not r.interval_within or r.within


@pytest.mark.slow
@pytest.mark.parametrize("name", ROBUST)
def test_robust_targets_are_within_range(baseline_targets, name):
    r = next(r for r in baseline_targets if r.target.name == name)
    assert r.within, f"{name}: simulated {r.mean:.3g} outside {r.target.low}-{r.target.high}"


@pytest.mark.slow
def test_any_scenario_can_be_evaluated(quick_runs):
    """A scenario other than the baseline is accepted (a calibrated one will be)."""
    results = evaluate_targets("banner_mandate", QUICK, quick_runs)
    assert len(results) == len(load_targets().targets)


@pytest.mark.slow
def test_report_has_both_tables_and_an_honest_summary(baseline_targets, quick_runs):
    patterns = evaluate_patterns([PATTERNS_BY_NAME["promoters_worth_more"],
                                  PATTERNS_BY_NAME["closed_loop_lowers_service_churn"]], QUICK, quick_runs)
    text = report_markdown(baseline_targets, patterns, QUICK, "baseline", "salesim validation-report --quick",
                           "2025-01-01 00:00 UTC", 12.0)
    assert text.startswith("# Validation")
    assert "salesim validation-report --quick" in text and "800 accounts" in text
    assert "## Calibration targets" in text and "## Patterns" in text
    target_rows = [ln for ln in text.splitlines() if ln.startswith("| ") and "`annual_churn_rate`" in ln]
    assert len(target_rows) == 1
    for t in load_targets().targets:
        assert f"| {t.name} |" in text
    assert "**promoters_worth_more**" in text and "Reichheld 2006" in text
    n_in = sum(r.within for r in baseline_targets)
    assert f"{n_in} of {len(baseline_targets)} calibration targets" in text


@pytest.fixture
def with_command(monkeypatch):
    """``salesim`` with validation-report registered (whether or not sim.cli lists it yet)."""
    if add_validation_report not in cli.COMMANDS:
        monkeypatch.setattr(cli, "COMMANDS", [*cli.COMMANDS, add_validation_report])
    tiny = Settings(n_accounts=200, n_reps=4, n_managers=1, weeks=45, replications=2)
    monkeypatch.setattr(validation, "QUICK", tiny)


@pytest.mark.slow
def test_command_writes_the_report(with_command, tmp_path: Path, capsys):
    out = tmp_path / "validation.md"
    code = cli.main(["validation-report", "--quick", "--workers", "1", "--quiet", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    text = out.read_text()
    assert "salesim validation-report --quick" in text and "200 accounts" in text
    assert "targets within range" in capsys.readouterr().out


@pytest.mark.parametrize("argv, needle", [
    (["--scenario", "no_such_scenario"], "no_such_scenario"),
    (["--replications", "1"], "at least 2"),
    (["--replications", "zero"], "whole number"),
    (["--out", "."], "is a folder"),
    (["--out", "no/such/folder/v.md"], "does not exist"),
])
def test_bad_input_is_a_user_error(with_command, capsys, argv, needle):
    code = cli.main(["validation-report", "--quick", "--workers", "1", "--quiet", *argv])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("salesim: error: ") and needle in err


def test_settings_describe_the_size():
    s = replace(QUICK, replications=3)
    assert "800 accounts" in s.describe() and "3 paired replications" in s.describe()
