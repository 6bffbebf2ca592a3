"""The seed articles' qualitative claims hold in the model (sim/validation.py PATTERNS).

Each test id names the pattern and its source (seed article and, where there
is one, the published study). Runs are at sim.validation.QUICK (800 accounts,
8 reps, 2 managers, 39 + 78 weeks, 10 paired replications sharing seeds);
arms shared between patterns (baseline, banner_mandate) run once per test
process. ``salesim validation-report`` runs the same patterns at full size.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from sim.validation import PATTERNS, PATTERNS_BY_NAME, QUICK, Arm, Check, arm, evaluate_pattern


def _id(p) -> str:
    return f"{p.name}--{re.sub(r'[^A-Za-z0-9]+', '_', p.source).strip('_')}"


@pytest.mark.parametrize("pattern", PATTERNS, ids=[_id(p) for p in PATTERNS])
def test_pattern_holds(pattern, quick_runs):
    """Every required check of the pattern has its expected direction supported by the 95 % interval."""
    result = evaluate_pattern(pattern, QUICK, quick_runs)
    failed = [f"{c.text}: {c.estimate:.4g} [{c.low:.4g}, {c.high:.4g}] (n = {c.n})"
              for c in result.checks if c.check.required and not c.passed]
    assert result.passed, f"{pattern.name} ({pattern.source}): " + "; ".join(failed)
    for c in result.checks:
        assert c.n == QUICK.replications or pattern.name == "naive_triggers_fire_on_seasonal_dips"
        assert np.isfinite([c.estimate, c.low, c.high]).all()
        assert c.low <= c.estimate <= c.high


def test_the_brief_patterns_are_all_there():
    """Patterns (a)-(j) exist, each naming a seed article, with a claim, arms and checks."""
    assert len(PATTERNS) >= 10
    assert len(PATTERNS_BY_NAME) == len(PATTERNS)
    for p in PATTERNS:
        assert re.search(r"seed 00[0-4]", p.source), p.name
        assert p.claim and p.arms and p.checks
        for c in p.checks:
            assert 0 <= c.arm < len(p.arms) and (c.ref is None or 0 <= c.ref < len(p.arms))


def test_arms_resolving_to_the_same_parameters_run_once(quick_runs):
    """banner_mandate and banner_mandate with enforcement=1.0 are the same runs (shared cache)."""
    a, b = quick_runs.get([Arm("banner_mandate"), arm("banner_mandate", enforcement=1.0)])
    assert a is b


def test_derived_statistics_are_consistent(quick_runs):
    """Cause-specific churn rates are annual churn x the cause's share; the banner season is a factor."""
    (base,) = quick_runs.get([Arm("baseline")])
    np.testing.assert_allclose(base["service_churn_rate"], base["annual_churn_rate"] * base["churn_share_service"])
    np.testing.assert_allclose(base["pitch_churn_rate"], base["annual_churn_rate"] * base["churn_share_pitch"])
    assert np.all((base["season_at_banner"] > 1 - 0.25) & (base["season_at_banner"] < 1 + 0.25))
    assert np.all(base["banner_rate"] > 0)
    assert np.all(base["service_churn_rate_year1"] > 0) and np.all(base["service_churn_rate_year2"] > 0)


def test_checks_reject_unknown_statistics_and_expectations():
    with pytest.raises(ValueError, match="unknown statistic"):
        Check("revenu", "higher", arm=1, ref=0)
    with pytest.raises(ValueError, match="unknown expectation"):
        Check("revenue", "up", arm=1, ref=0)


def test_exploratory_checks_do_not_decide_the_pattern(quick_runs):
    """A failing exploratory check is reported as 'not shown' but leaves the pattern passing."""
    p = PATTERNS_BY_NAME["email_only_raises_neglect_churn"]
    wrong = Check("neglect_churn_rate", "lower", arm=1, ref=0, required=False)
    result = evaluate_pattern(type(p)(p.name, p.claim, p.source, p.arms, (*p.checks, wrong)), QUICK, quick_runs)
    assert result.passed
    assert result.checks[-1].verdict == "not shown (exploratory)"
