"""Money on both sides of every flow (M12), the renewing book (M11) and KPIs that never lie silently."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from claims import assert_higher, assert_lower

from sim import SalesModel
from sim.economics import profit_lines
from sim.errors import UserError
from sim.kpis import COST_KEYS, WEEKS_PER_YEAR

SIZE = dict(n_accounts=600, n_reps=6, n_managers=2, burn_in_weeks=13)
WEEKS = 13 + 53  # four quarter-ends in the measured weeks
REPLICATIONS = 6  # paired seeds for the directional claims (their intervals sit far from 0 at this many)


def _run(seed: int = 0, weeks: int = WEEKS, **levers) -> SalesModel:
    return SalesModel(rng=seed, **SIZE, **levers).run(weeks)


def test_profit_is_revenue_less_every_cost():
    m = _run(1, banner_bonus=200, retention_pay=20, audits=0.5, enforcement=0.5, quota_bonus=5000)
    k, t = m.kpis(), m.ledger.total
    scale = WEEKS_PER_YEAR / m.ledger.weeks
    costs = sum(t[key] for key in COST_KEYS) * scale
    assert math.isclose(k["profit"], k["revenue"] - costs, rel_tol=1e-9)
    parts = (k["cost_of_goods"] + k["pay_cost"] + k["cost_to_serve"] + k["management_cost"]
             + k["acquisition_cost"] + k["audit_effort_cost"])
    assert math.isclose(k["profit"], k["revenue"] - parts, rel_tol=1e-9)
    assert math.isclose(profit_lines(t)["profit"] * scale, k["profit"], rel_tol=1e-9)
    assert math.isclose(k["profit_margin"], k["profit"] / k["revenue"], rel_tol=1e-12)
    assert k["audit_effort_cost"] > 0 and k["pay_cost"] > 0 and k["cost_to_serve"] > 0


def test_retention_pay_costs_the_bonus_for_every_account_kept_each_quarter():
    base, paid = _run(2), _run(2, retention_pay=50)
    weeks = paid.ledger.weeks
    extra = (paid.kpis()["pay_cost"] - base.kpis()["pay_cost"]) * weeks / WEEKS_PER_YEAR
    quarters = len(paid.ledger.quota_hits) / len(paid.reps)  # quarter-ends in the measured weeks
    customers = np.mean(paid.weekly()["active_accounts"].iloc[-weeks:])
    expected = 50 * customers * quarters
    assert quarters == pytest.approx(4, abs=0.5)
    assert extra == pytest.approx(expected, rel=0.1), (extra, expected)


def test_each_bonus_is_paid_exactly_as_the_plan_says():
    m = _run(3, banner_bonus=250)
    t = m.ledger.total
    assert t["pay_bonus"] == pytest.approx(250 * t["banner_closed"])
    assert t["pay_base"] == pytest.approx(m.p.base_salary / WEEKS_PER_YEAR * t["rep_weeks"])
    q = _run(3, quota_bonus=8000)
    assert q.ledger.total["pay_bonus"] == pytest.approx(8000 * sum(q.ledger.quota_hits))


@functools.cache
def _two_years(**levers) -> dict[str, np.ndarray]:
    """KPIs of REPLICATIONS two-year runs (seeds 0..REPLICATIONS-1), one array per KPI."""
    rows = [_run(seed, weeks=104, **levers).kpis() for seed in range(REPLICATIONS)]
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


@pytest.mark.slow
def test_promoters_are_worth_more_than_detractors():
    """Within each run, paired over seeds: promoters bring more profit and more net value than detractors."""
    k = _two_years()
    assert_higher(k["profit_per_detractor"], k["profit_per_promoter"], "profit per promoter - per detractor")
    assert_higher(k["value_per_detractor"], k["value_per_promoter"], "value per promoter - per detractor")
    assert np.all((k["detractors_below_zero"] >= 0) & (k["detractors_below_zero"] < 1))


@pytest.mark.slow
def test_a_detractor_can_be_worth_less_than_nothing_when_word_of_mouth_is_strong():
    """Charging the customers a detractor deters makes more detractors negative (paired over seeds)."""
    quiet, loud = _two_years(), _two_years(deter_rate=0.3, lead_cost=20000)
    assert_higher(quiet["detractors_below_zero"], loud["detractors_below_zero"], "detractors below zero")
    assert_lower(quiet["profit_per_detractor"], loud["profit_per_detractor"], "profit per detractor")


def test_the_book_renews_itself_from_every_source():
    m = _run(5, weeks=104)
    t = m.ledger.total
    assert t["won_marketing"] > 0 and t["won_referral"] > 0 and t["won_prospecting"] > 0
    assert t["customers_won"] == t["won_marketing"] + t["won_referral"] + t["won_prospecting"]
    assert t["hours_prospecting"] > 0
    assert m.acc.active.sum() == pytest.approx(SIZE["n_accounts"], rel=0.15)


def test_empowerment_sees_the_same_outcome_numbers_at_every_seat():
    """Remedies change which problems reps improvise on, not the numbers outcomes are drawn from: those are
    counter-based (sim.kernels.draws), so no stream position exists to shift."""
    from sim.draw_streams import OUTCOMES
    from sim.kernels.draws import uniforms_at

    a = SalesModel(rng=6, **SIZE)
    b = SalesModel(rng=6, **SIZE, empowerment=True)
    seats = np.arange(a.acc.n)
    for _ in range(20):
        a.step()
        b.step()
        assert np.array_equal(uniforms_at(a.key(OUTCOMES), seats, 0), uniforms_at(b.key(OUTCOMES), seats, 0))


def test_kpis_with_no_events_are_nan_not_zero():
    k = _run(7, weeks=30, crm_rule="none", fix_capacity=0.0).kpis()
    for name in ("reported_banner_close_rate", "true_banner_conversion", "banner_avoidance_rate",
                 "reporting_gap", "time_to_fix"):
        assert math.isnan(k[name]), name
    assert math.isfinite(k["revenue"]) and math.isfinite(k["profit"])


def test_a_run_within_the_burn_in_is_refused():
    m = SalesModel(rng=0, **SIZE).run(13)
    with pytest.raises(UserError, match="burn_in_weeks is 13"):
        m.kpis()


def test_turnover_counts_the_leavers_last_week():
    m = _run(8, weeks=60, quit_base=0.1)
    t = m.ledger.total
    assert t["quits"] > 0
    assert m.kpis()["rep_turnover_rate"] == pytest.approx(t["quits"] * WEEKS_PER_YEAR / t["rep_weeks"])
    assert t["rep_weeks"] + t["vacant_slots"] == SIZE["n_reps"] * m.ledger.weeks
