"""The published field results beside the model's trials: the verdict says in range, or the miss and its size."""

from __future__ import annotations

import pytest

from sim.field_validation import FIELD_RESULTS, TRIALS_DIR, FieldOutcome, field_table
from sim.trials import load_trial


def _outcome(index: int, estimate: float, low: float, high: float) -> FieldOutcome:
    return FieldOutcome(FIELD_RESULTS[index], estimate, low, high, 0.05, 0.06, 20)


@pytest.mark.parametrize("estimate, low, high, in_range, miss", [
    (0.030, 0.020, 0.040, True, 0.0),      # interval covers the published +3.6 pp
    (0.010, 0.005, 0.015, False, -0.026),  # wholly below: the miss is the estimate less the published value
    (0.050, 0.045, 0.055, False, 0.014),   # wholly above
])
def test_a_verdict_is_in_range_only_when_the_interval_meets_the_published_value(estimate, low, high, in_range, miss):
    o = _outcome(0, estimate, low, high)  # Ascarza: +3.6 pp
    assert o.in_range is in_range
    assert o.miss == pytest.approx(miss)
    assert o.verdict() == "in range" if in_range else o.verdict().startswith("miss by ")


def test_a_published_range_counts_any_overlap_and_reports_the_gap_to_its_nearest_end():
    larkin = next(i for i, r in enumerate(FIELD_RESULTS) if r.trial == "larkin_accelerator.toml")
    assert _outcome(larkin, 0.05, 0.04, 0.061).in_range  # reaches into 6-8 %
    low = _outcome(larkin, 0.0005, 0.0004, 0.0006)
    assert not low.in_range and low.miss == pytest.approx(0.0005 - 0.06)
    assert "miss by −5.9 pp" in field_table([low])


def test_every_field_result_names_a_shipped_trial_outcome_and_contrast():
    contrasts = {"accounts": {"treated - control"}, "reps": {"treated - control"},
                 "firm": {"changed - unchanged", "after - before (what the firm sees)"}}
    for r in FIELD_RESULTS:
        spec = load_trial(TRIALS_DIR / r.trial)
        assert r.outcome in spec.outcomes and r.contrast in contrasts[spec.unit]
