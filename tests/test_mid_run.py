"""Levers changed between weeks (``SalesModel.change_levers``): history stays, the draws stay paired.

- For a random week and lever, every weekly series before the change is identical to the unchanged run,
  and the exogenous random streams stay in step after it.
- A change at week 0 gives the run a model built with the new levers gives (the derived state is rebuilt).
- A refused change says what ``--set`` says and leaves the model as it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, reject
from hypothesis import strategies as st
from param_helpers import budget, value_of
from test_properties import EXOGENOUS

from sim import SalesModel
from sim.errors import ScenarioError
from sim.params import param_info
from sim.scenario import load_scenario, mid_run_levers

SMALL = dict(n_accounts=300, n_reps=4, n_managers=2, burn_in_weeks=4)


def _run(week: int, weeks: int, changes: dict | None = None, seed: int = 5, **levers) -> SalesModel:
    model = SalesModel(rng=seed, **SMALL, **levers).run(week)
    if changes:
        model.change_levers(changes)
    return model.run(weeks - week)


@st.composite
def _change(draw) -> tuple[str, object]:
    name = draw(st.sampled_from(mid_run_levers()))
    return name, draw(value_of(param_info()[name]))


@pytest.mark.slow
@budget(12)
@given(week=st.integers(1, 20), change=_change(), seed=st.integers(0, 2**31))
def test_weeks_before_a_change_are_those_of_the_unchanged_run(week, change, seed):
    name, value = change
    plain = _run(week, week + 4, seed=seed)
    try:
        changed = _run(week, week + 4, {name: value}, seed=seed)
    except ScenarioError:  # a value that contradicts another lever (e.g. no feedback under advocacy banners)
        reject()
    assert getattr(changed.p, name) == value
    pd.testing.assert_frame_equal(changed.weekly().iloc[:week], plain.weekly().iloc[:week])
    for stream in EXOGENOUS:  # the same customers and the same luck after the change too
        state = getattr(changed.streams, stream).bit_generator.state
        assert state == getattr(plain.streams, stream).bit_generator.state, stream


@pytest.mark.parametrize("changes", [
    {"enforcement": 1.0, "banner_target": 0.9},
    {"coaching_style": "customer_focused", "one_on_one": True, "listens": 0.9},
    {"failure_rate": 0.03, "feedback_loop": "closed_loop"},
    {"quota_level": 1.3, "pay_period": "year", "quota_bonus": 5000.0, "accelerator": 2.0},
    {"empowerment": True, "remedy_budget": 2000.0},
])
def test_a_change_at_week_zero_is_a_model_built_with_it(changes):
    changed = _run(0, 30, changes)
    built = SalesModel(rng=5, **SMALL, **changes).run(30)
    np.testing.assert_allclose(changed.weekly().to_numpy(float), built.weekly().to_numpy(float), rtol=1e-9)


def test_a_paired_change_at_week_26_keeps_the_past_and_changes_what_follows():
    mandate = dict(enforcement=1.0, banner_target=0.9)
    plain = _run(26, 40, **mandate).weekly()
    dropped = _run(26, 40, {"enforcement": 0.0}, **mandate).weekly()
    pd.testing.assert_frame_equal(dropped.iloc[:26], plain.iloc[:26])
    after = (dropped.iloc[26:] != plain.iloc[26:]).any(axis=1)
    assert after.iloc[:3].any() and after.mean() > 0.8
    assert dropped["banner_avoided"].iloc[30:].sum() < plain["banner_avoided"].iloc[30:].sum()


def test_quotas_follow_the_new_plan():
    model = SalesModel(rng=2, **SMALL).run(10)
    before = {r.slot: r.quota for r in model.reps}
    model.change_levers({"quota_level": 2.0})
    assert all(r.quota == pytest.approx(2.0 * before[r.slot]) for r in model.reps)
    model.change_levers({"quota_setting": "none"})
    assert all(r.quota == 0.0 for r in model.reps) and not model.plan.plan.has_quota


@pytest.mark.parametrize(("changes", "words"), [
    ({"enforcement": 2}, "--set enforcement = 2 is out of range"),
    ({"skill_mean": 0.5}, "skill_mean = 0.5 is a behaviour parameter, not a lever"),
    ({"n_reps": 2}, "is a size parameter, not a lever"),
    ({"feedback_loop": "none"}, "needs customer feedback"),
    ({"enforcment": 1.0}, "Did you mean 'enforcement'?"),
])
def test_a_refused_change_says_what_set_says_and_changes_nothing(changes, words):
    model = SalesModel(rng=2, **SMALL).run(3)
    p, plan = model.p, model.plan
    with pytest.raises(ScenarioError, match=words) as err:
        model.change_levers(changes)
    assert model.p is p and model.plan is plan
    if "enforcement" in changes:  # the very message `--set` gives
        with pytest.raises(ScenarioError) as cli:
            load_scenario("baseline", changes)
        assert str(err.value) == str(cli.value)
