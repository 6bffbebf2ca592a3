"""Reps decide on what they can know, and a close-rate target weighs on them only when they may miss it.

Paired runs (replication k of each arm shares seed k) at the flagship size; directional claims are
asserted on 95 % intervals.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from sim import SalesModel, load_scenario
from sim.draw_streams import CHANNELS, seed_key, week_key
from sim.stats import mean_ci, paired_diff_ci
from sim.worklist import plan_week

WEEKS = 39 + 65
REPS = 10


@functools.cache
def runs(scenario: str, **overrides) -> dict[str, np.ndarray]:
    """KPIs of REPS flagship replications (seeds 0..REPS-1), one array per KPI."""
    sc = load_scenario(scenario, overrides)
    rows = [SalesModel.from_scenario(sc, rng=seed).run(WEEKS).kpis() for seed in range(REPS)]
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def _plan(m: SalesModel, seed: int):
    pay = m.plan.week(m.reps, m.week)
    w, _ = m._rep_weights(pay)
    return plan_week(m.acc, m.p, w, week_key(seed_key(np.random.default_rng(seed)), m.week, CHANNELS), pay)


@pytest.mark.parametrize("scenario", ["baseline", "banner_mandate", "prepared_target", "ratcheted_quota",
                                      "capped_plan"])
def test_the_plan_never_reads_the_intent_outcomes_are_drawn_from(scenario):
    """Scrambling the hidden buying intents (not the reps' reads of them) leaves every choice unchanged."""
    m = SalesModel.from_scenario(load_scenario(scenario), rng=3).run(45)
    before = _plan(m, 9)
    rng = np.random.default_rng(1)
    m.acc.need_intent[:] = rng.random(m.acc.n)
    m.acc.play_intent[:] = rng.random(m.acc.n)
    after = _plan(m, 9)
    np.testing.assert_array_equal(before.opened, after.opened)
    np.testing.assert_array_equal(before.declined, after.declined)
    np.testing.assert_array_equal(before.hours, after.hours)


def test_the_plan_does_follow_the_reads():
    """The check above can fail: scrambling the reads changes which banner accounts are opened."""
    m = SalesModel.from_scenario(load_scenario("banner_mandate"), rng=3).run(45)
    before = _plan(m, 9)
    m.acc.play_read[:] = np.random.default_rng(1).random(m.acc.n)
    after = _plan(m, 9)
    assert not np.array_equal(before.declined, after.declined)


def _rep(m: SalesModel, opened: float, closed: float):
    rep = m.reps[0]
    rep.banner_opened, rep.banner_closed = opened, closed
    return rep


def test_worry_follows_the_reps_own_standing_and_the_review():
    m = SalesModel(rng=0, banner_target=0.3, review_weeks=4)
    above = _rep(m, 20.0, 10.0)  # measured rate 0.48
    assert above.target_worry(0) < 0.01
    below = _rep(m, 20.0, 2.0)  # about 0.12
    assert below.target_worry(0) > 0.99
    near = _rep(m, 20.0, 6.6)  # just above target: more at risk with four weeks left than with one
    assert near.target_worry(3) < near.target_worry(0) < 0.5
    none = _rep(m, 0.0, 0.0)  # no openings yet: the prior rate, nothing can move before the review
    assert none.target_worry(0) == float(none.measured_rate < 0.3)


@pytest.mark.slow
def test_a_target_below_the_achieved_rate_leaves_banners_alone():
    """Target 0.1 with full enforcement, reps achieving about 0.19: avoidance under 5 %."""
    k = runs("baseline", banner_target=0.1, enforcement=1.0)
    assert np.nanmean(k["reported_banner_close_rate"]) > 0.15
    m, lo, hi = mean_ci(k["banner_avoidance_rate"])
    assert hi < 0.05, f"avoidance {m:.3f} [{lo:.3f}, {hi:.3f}]"


@pytest.mark.slow
def test_reps_avoid_willing_buyers_in_proportion_to_their_uncertainty():
    """Under the mandate, avoided banner accounts hold at least half the willing-buyer share of opened ones;
    reading buyers exactly would spare more of them."""
    noisy = runs("banner_mandate")
    m, lo, hi = mean_ci(noisy["avoided_willing_ratio"])
    assert m >= 0.5, f"ratio {m:.3f} [{lo:.3f}, {hi:.3f}]"
    exact = runs("banner_mandate", read_noise=0.0)
    d, dlo, dhi = paired_diff_ci(exact["avoided_willing_ratio"], noisy["avoided_willing_ratio"])
    assert dlo > 0, f"noisy - exact {d:.3f} [{dlo:.3f}, {dhi:.3f}]"


@pytest.mark.slow
def test_a_target_pays_when_preparation_wins_buyers_and_costs_when_it_cannot():
    base = runs("baseline")
    d, lo, hi = paired_diff_ci(base["profit"], runs("prepared_target")["profit"])
    assert lo > 0, f"prepared_target - baseline profit {d:.4g} [{lo:.4g}, {hi:.4g}]"
    d, lo, hi = paired_diff_ci(base["profit"], runs("unprepared_target")["profit"])
    assert hi < 0, f"unprepared_target - baseline profit {d:.4g} [{lo:.4g}, {hi:.4g}]"
