"""Pay plans with shape (M13): the schedule's arithmetic, the [pay] table, and what reps do about a plan.

The schedule and the marginal rate are checked against their definitions (Hypothesis); the decisions by
paired replications with common random numbers against ``linear_commission``.
"""

from __future__ import annotations

import numpy as np
import pytest
from claims import assert_higher, assert_lower
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import SalesModel, load_scenario
from sim.cli import main
from sim.errors import ScenarioError
from sim.params import Params
from sim.policies.plan import PayPlan

SIZE = dict(n_accounts=800, n_reps=8, n_managers=2)
WEEKS = 13 + 78
REPS = 10
_CACHE: dict[str, dict[str, np.ndarray]] = {}

plans = st.builds(
    lambda acc, dec, below, cap, bonus: PayPlan.of(Params(
        accelerator=acc, decelerator=dec, decelerator_below=below,
        commission_cap=cap if cap == 0 or cap > 1 or acc == 1 else 1.5, quota_bonus=bonus)),
    st.sampled_from([1.0, 1.5, 3.0]), st.sampled_from([1.0, 0.5, 0.0]), st.floats(0.0, 1.0),
    st.sampled_from([0.0, 0.8, 1.2, 2.0]), st.sampled_from([0.0, 2000.0]))


@settings(max_examples=60, deadline=None)
@given(plans, st.floats(1.0, 1e5), st.lists(st.floats(0.0, 3e5), min_size=2, max_size=6))
def test_commission_is_continuous_non_decreasing_and_starts_at_zero(plan, quota, sales):
    s = np.sort(np.array(sales))
    q = np.full(s.size, quota)
    c = plan.commission(s, q)
    assert plan.commission(np.zeros(1), np.array([quota]))[0] == 0.0
    assert np.all(np.diff(c) >= -1e-9)
    top = plan.rate * max(plan.accelerator, 1.0)
    assert np.all(np.diff(c) <= top * np.diff(s) + 1e-6)  # no jump: never more than the top rate per unit


@settings(max_examples=25, deadline=None)
@given(plans, st.floats(0.2, 2.0), st.floats(0.05, 0.6))
def test_marginal_rate_is_the_slope_of_expected_pay(plan, where, spread):
    """The closed form equals a numerical derivative of E[commission] (+ the bonus's) under the forecast."""
    quota = 10000.0
    mean, sd = where * quota, spread * quota
    z = np.random.default_rng(0).standard_normal(200_000)
    h = 0.05 * sd  # wide enough that the bonus step is crossed by thousands of draws, not hundreds

    first = plan.rate * plan.decelerator if plan.decelerator_below > 0 else plan.rate

    def expected_pay(shift: float) -> float:
        """E[pay]; a forecast's mass below zero sales pays the first rate, as the closed form assumes."""
        s = mean + shift + sd * z
        pay = plan.commission(np.maximum(s, 0.0), np.full(s.size, quota)) + first * np.minimum(s, 0.0)
        return float(np.mean(pay + plan.bonus * (s >= quota)))

    numeric = (expected_pay(h) - expected_pay(-h)) / (2 * h)
    closed = float(plan.marginal_rate(np.array([mean]), np.array([sd]), np.array([quota]))[0])
    assert closed == pytest.approx(numeric, rel=0.08, abs=2e-3 * plan.rate + 0.02 * plan.bonus / sd)


def test_a_linear_plan_pays_its_rate_exactly_at_every_point():
    plan = PayPlan.of(Params(commission_rate=0.07))
    assert plan.linear
    rate = plan.marginal_rate(np.array([0.0, 5e3, 1e6]), np.array([1.0, 1e3, 1.0]), np.array([1e4, 1e4, 1e4]))
    assert (rate == 0.07).all()


def test_a_draw_makes_sales_below_it_worth_nothing():
    plan = PayPlan.of(Params(draw=100.0, accelerator=2.0))
    quota = np.array([10000.0])
    # Commission at quota is 500; the draw per quarter is 1,300: a rep sure to end at quota gains nothing.
    assert plan.marginal_rate(np.array([10000.0]), np.array([1.0]), quota, draw=1300.0)[0] == pytest.approx(0.0)
    assert plan.marginal_rate(np.array([40000.0]), np.array([1.0]), quota, draw=1300.0)[0] == pytest.approx(0.1)


def test_a_ratchet_costs_the_rep_only_where_pay_depends_on_the_quota():
    bonus = PayPlan.of(Params(quota_bonus=3000.0))
    linear = PayPlan.of(Params())
    args = np.array([9000.0]), np.array([2000.0]), np.array([10000.0])
    assert bonus.quota_slope(*args)[0] < 0
    assert linear.quota_slope(*args)[0] == 0.0


# --- the [pay] table ---------------------------------------------------------------------------------------


def _write(tmp_path, text: str):
    path = tmp_path / "plan.toml"
    path.write_text('title = "t"\nquestion = "q"\nextends = "baseline"\n' + text, encoding="utf-8")
    return path


def test_the_pay_table_sets_the_plan(tmp_path):
    sc = load_scenario(_write(tmp_path, '[pay]\naccelerator = 2.5\nquota_setting = "ratchet"\n'))
    assert sc.params.accelerator == 2.5 and sc.params.quota_setting == "ratchet"


@pytest.mark.parametrize("text, expected", [
    ('[pay]\nenforcement = 1.0\n', "pay.enforcement = 1.0 is not an element of the pay plan"),
    ('[pay]\nratchet = 0.5\n', "Did you mean 'ratchet_rate'?"),
    ('[pay]\naccelerator = 9.0\n', "pay.accelerator = 9.0 is out of range: it must be between 1 and 5"),
    ('[pay]\npay_period = "month"\n', "Choose one of: 'quarter', 'year'"),
    ('[parameters]\naccelerator = 2.0\n[pay]\naccelerator = 3.0\n', "also set under [parameters]"),
    ('[pay]\nquota_setting = "none"\nquota_bonus = 500.0\n', "these pay against one: quota_bonus = 500.0"),
    ('[pay]\nteam_quota = true\ndraw = 100.0\n', "team_quota with a draw"),
    ('[pay]\ncommission_cap = 0.9\naccelerator = 2.0\n', "never pays"),
    ('pay = 3\n', "expected a [pay] table"),
])
def test_bad_pay_tables_are_refused_with_the_field_and_what_is_allowed(tmp_path, text, expected):
    path = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert expected in str(err.value)
    assert main(["validate", str(path)]) == 2


# --- decisions --------------------------------------------------------------------------------------------


def runs(scenario: str, **overrides) -> dict[str, np.ndarray]:
    """KPIs of REPS replications (seeds 0..REPS-1) of a scenario on a small unit."""
    key = scenario + repr(sorted(overrides.items()))
    if key not in _CACHE:
        sc = load_scenario(scenario, {**SIZE, **overrides})
        rows = [SalesModel.from_scenario(sc, rng=seed).run(WEEKS).kpis() for seed in range(REPS)]
        _CACHE[key] = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    return _CACHE[key]


@pytest.mark.slow
def test_an_accelerator_bunches_deals_at_quarter_ends_and_costs_timing_discounts():
    lin, acc = runs("linear_commission"), runs("accelerator_plan")
    assert_higher(lin["quarter_end_share"], acc["quarter_end_share"], "quarter_end_share")
    assert_higher(lin["timing_discount_share"], acc["timing_discount_share"], "timing_discount_share")


@pytest.mark.slow
def test_a_cap_makes_reps_hold_purchases_back_and_lose_revenue():
    lin, cap = runs("linear_commission"), runs("capped_plan")
    assert_higher(lin["held_needs"], cap["held_needs"], "held_needs")
    assert_lower(lin["revenue"], cap["revenue"], "revenue")


@pytest.mark.slow
def test_a_ratchet_makes_reps_who_made_quota_hold_back_more_than_a_fixed_quota():
    fixed = runs("ratcheted_quota", quota_setting="fixed")
    ratchet = runs("ratcheted_quota")
    assert_higher(fixed["held_needs"], ratchet["held_needs"], "held_needs")


def test_a_linear_plan_neither_holds_nor_pulls_and_a_quota_without_money_changes_nothing():
    lin, none = runs("linear_commission"), runs("no_quota")
    assert (lin["held_needs"] == 0).all() and (lin["early_signings"] == 0).all()
    for kpi in ("profit", "revenue", "pay_cost", "quarter_end_share"):
        np.testing.assert_array_equal(lin[kpi], none[kpi])
    assert np.isnan(none["quota_attainment"]).all()


@pytest.mark.parametrize("overrides", [
    dict(draw=400.0, accelerator=2.0),
    dict(clawback_weeks=13),
    dict(team_quota=True, quota_bonus=2000.0),
    dict(pay_period="year", accelerator=2.0, commission_cap=1.5),
])
def test_every_plan_element_runs_and_the_books_balance(overrides):
    m = SalesModel(Params(**SIZE, burn_in_weeks=13, **overrides), rng=4).run(60)
    k, t = m.kpis(), m.ledger.total
    assert t["pay_commission"] >= 0 and t["pay_draw"] >= 0
    costs = sum(t[key] for key in ("cost_goods", "pay_base", "pay_commission", "pay_bonus", "pay_relationship",
                                   "pay_draw", "cost_hours", "cost_needs", "cost_fixes", "cost_management",
                                   "cost_acquisition", "cost_audits"))
    assert k["profit"] * m.ledger.weeks / 52.0 == pytest.approx(t["revenue"] - costs, rel=1e-9)
    assert 0.0 <= k["quarter_end_share"] <= 1.0


def test_a_draw_is_paid_to_reps_whose_commission_falls_short():
    m = SalesModel(Params(**SIZE, burn_in_weeks=13, draw=2000.0), rng=1).run(40)
    assert m.ledger.total["pay_draw"] > 0


def test_clawbacks_take_commission_back_and_teach_reps_to_expect_it():
    m = SalesModel(Params(**SIZE, burn_in_weeks=13, clawback_weeks=26), rng=2).run(80)
    assert any(r.commission_clawed > 0 for r in m.reps)
    assert all(0.0 <= r.clawback_share <= 1.0 for r in m.reps)
