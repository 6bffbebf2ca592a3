"""Properties that hold for every setting in the documented ranges, checked with Hypothesis.

- Paired runs stay paired: whatever two lever settings are compared, both runs
  compute per-seat numbers under the same key (so the same number at every
  address) and every exogenous NumPy stream is at the same position after every
  week, so both runs face the same customers, needs, failures, shocks and luck.
- Accounting: net revenue never exceeds potential, profit is revenue less
  every cost, costs are never negative, every KPI lies in its declared range,
  and a KPI is NaN only where its definition says when.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from param_helpers import budget, repair_combinations, value_of

from sim import SalesModel
from sim.kpis import COST_KEYS, KPIS, declared_range
from sim.params import Params, param_info

SMALL = dict(n_accounts=120, n_reps=3, n_managers=1, burn_in_weeks=4)
EXOGENOUS = ("population", "environment", "failures", "people", "deals")


def _consistent(values: dict) -> dict:
    """Repair the few combinations Params refuses (feedback-dependent rules, thresholds, issue mix)."""
    if values.get("feedback_loop") == "none":
        values["crm_rule"] = "spend_drop" if values.get("crm_rule") == "advocacy_aware" else values["crm_rule"]
        values["detractor_policy"] = "sell_to_all"
    return repair_combinations(values)


def params_of(group: set[str]) -> st.SearchStrategy:
    """Dictionaries of random values for every parameter in the given groups."""
    infos = [i for i in param_info().values() if i.group in group]
    return st.fixed_dictionaries({i.name: value_of(i) for i in infos}).map(_consistent)


LEVERS = params_of({"lever"})


@budget(50)
@given(values=params_of({"lever", "behaviour", "economics"}))
def test_every_drawn_parameter_set_is_a_valid_model_configuration(values):
    """The strategies the properties below draw from stay inside what Params accepts (no model run: quick)."""
    p = Params(**SMALL, **values)
    for name, v in values.items():
        assert getattr(p, name) == v


@pytest.mark.slow
@budget(200)
@given(a=LEVERS, b=LEVERS, seed=st.integers(0, 2**31))
def test_exogenous_streams_stay_aligned_whatever_the_levers(a, b, seed):
    ma = SalesModel(Params(**SMALL, **a), rng=seed)
    mb = SalesModel(Params(**SMALL, **b), rng=seed)
    assert np.array_equal(ma.seed_key, mb.seed_key)
    for week in range(10):
        ma.step()
        mb.step()
        for name in EXOGENOUS:
            sa = getattr(ma.streams, name).bit_generator.state
            sb = getattr(mb.streams, name).bit_generator.state
            assert sa == sb, f"stream {name!r} drifted apart in week {week}"


@pytest.mark.slow
@budget(200)
@given(values=params_of({"lever", "behaviour", "economics"}), seed=st.integers(0, 2**31))
def test_accounting_and_kpi_ranges_hold_everywhere(values, seed):
    m = SalesModel(Params(**SMALL, **values), rng=seed).run(30)
    k = m.kpis()
    total = m.ledger.total
    for name, v in k.items():
        if math.isnan(v):
            assert KPIS[name].nan_when, f"{name} is NaN but is documented as never NaN"
            continue
        lo, hi = declared_range(KPIS[name])
        assert lo - 1e-9 <= v <= hi + 1e-9, f"{name} = {v} outside its declared range [{lo}, {hi}]"
    assert total["revenue"] <= total["revenue_gross"] + 1e-6 * max(1.0, total["revenue_gross"])
    assert total["revenue_gross"] <= total["revenue_potential"] * (1 + 1e-9) + 1e-6
    assert all(total[key] >= 0 for key in COST_KEYS)
    costs = sum(total[key] for key in COST_KEYS)
    profit = k["profit"] * m.ledger.weeks / 52.0
    assert math.isclose(profit, total["revenue"] - costs, rel_tol=1e-9, abs_tol=1e-6)
    for arr in (m.acc.sat, m.acc.share):
        assert np.isfinite(arr).all() and (arr >= 0).all() and (arr <= 1).all()
