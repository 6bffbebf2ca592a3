"""Levers act through decisions and capacities, never by fiat (model v2, part 2).

Each test sets up a state, lets the model's own stage act on it and checks the mechanism: the fix order a
feedback loop sets, the root-cause team's capacity, escalations that put a category first, call-backs under
fix-first, unwanted pitches that add no value, managers' time, and empowered reps' budgets and hours.
"""

from __future__ import annotations

import numpy as np
from claims import assert_higher

from sim import SalesModel, load_scenario
from sim.population import NO_ISSUE, NO_NEED, PRICE, PRODUCT, SERVICE_ISSUE

SMALL = dict(n_accounts=300, n_reps=3, n_managers=1, burn_in_weeks=4)


def _queue(m: SalesModel, cats, sev, age) -> np.ndarray:
    """Put reported problems of the given category, severity and age on the first accounts."""
    a = m.acc
    uids = np.flatnonzero(a.active)[: len(cats)]
    a.issue[uids], a.issue_sev[uids], a.issue_age[uids] = cats, sev, age
    a.issue_reported[uids] = True
    return uids


def test_the_feedback_loop_sets_the_fix_order():
    cats, sev, age = [PRODUCT, PRICE, PRICE, SERVICE_ISSUE], [0.9, 0.4, 0.5, 0.6], [1, 9, 5, 3]
    order = {}
    for loop in ("none", "survey", "closed_loop"):
        crm = {"crm_rule": "spend_drop"} if loop == "none" else {}
        m = SalesModel(rng=0, feedback_loop=loop, **crm, **SMALL)
        q = _queue(m, cats, sev, age)
        order[loop] = list(m.ops.fix_order(m.acc, q))
    assert order["none"] == [1, 2, 3, 0]  # oldest first
    assert order["survey"] == [0, 3, 2, 1]  # most severe first
    # closed loop: category frequency x mean severity (price 2 x 0.45, product 0.9, service 0.6) x severity:
    # product 0.81, price 0.45 and 0.36, service 0.36 (the older first on the tie)
    assert order["closed_loop"] == [0, 2, 1, 3]


def test_a_heard_escalation_and_an_expedited_remedy_go_first():
    m = SalesModel(rng=0, **SMALL)
    q = _queue(m, [PRODUCT, PRICE, SERVICE_ISSUE], [0.3, 0.9, 0.5], [8, 1, 1])
    m.ops.hear_escalation(SERVICE_ISSUE)
    assert list(m.ops.fix_order(m.acc, q))[0] == 2
    m.acc.issue_expedite[q[1]] = True
    assert list(m.ops.fix_order(m.acc, q))[:2] == [1, 2]


def test_the_root_cause_team_has_a_capacity():
    m = SalesModel(rng=0, root_fix_capacity=2, **SMALL)
    assert m.ops.start_root_fix(PRODUCT) and m.ops.start_root_fix(PRICE)
    assert not m.ops.start_root_fix(SERVICE_ISSUE)  # the team is full
    assert not m.ops.start_root_fix(PRODUCT)  # already running


def _lone_banner(m: SalesModel, sat: float) -> int:
    """Slot 0's book holds one banner account with no need, left alone for 10 weeks; nothing else is due."""
    a = m.acc
    book = np.flatnonzero(a.active & (a.rep == 0))
    a.need[:] = NO_NEED
    a.flag[:] = False
    a.follow_up[:] = False
    a.since[:] = 0.0
    uid = int(book[0])
    a.flag[uid], a.flag_left[uid], a.play_read[uid], a.play_value[uid] = True, 4, 0.5, 1000.0
    a.sat[uid], a.since[uid], a.issue[uid] = sat, 10.0, NO_ISSUE
    return uid


def test_an_unwanted_pitch_is_not_a_value_adding_contact():
    since = {}
    for sat in (0.3, 0.9):  # below and above the detractor threshold
        m = SalesModel(rng=0, **SMALL).run(5)
        uid = _lone_banner(m, sat)
        m.reps_work()
        assert m.acc.pitched[uid]
        since[sat] = m.acc.since[uid]
    assert since[0.9] == 0.0 and since[0.3] == 10.0


CRM = SalesModel.STAGES.index("crm_raises_banners") + 1


def _step_to_crm(m: SalesModel) -> None:
    """Run the first stages of a week, up to and including the CRM's."""
    m.ledger.new_week()
    for stage in SalesModel.STAGES[:CRM]:
        getattr(m, stage)()


def _finish_step(m: SalesModel) -> None:
    for stage in SalesModel.STAGES[CRM:]:
        getattr(m, stage)()
    m.week += 1


def test_fix_first_turns_withheld_pitches_into_call_backs():
    sc = load_scenario("closed_loop_fix_first", {**SMALL, "survey_weeks": 13})
    m = SalesModel.from_scenario(sc, rng=2).run(13)
    _step_to_crm(m)  # week 13: a survey
    asked = np.flatnonzero(m.acc.follow_up)
    assert asked.size > 0 and np.all(m.acc.known_score[asked] <= 6)
    _finish_step(m)
    m.run(2)
    called = asked[~m.acc.follow_up[asked] & m.acc.active[asked]]
    assert called.size > 0 and np.all(m.acc.since[called] < 3.0)  # a call resets the relationship clock
    off = SalesModel.from_scenario(load_scenario("closed_loop_fix_first", {**SMALL, "survey_weeks": 13,
                                                                          "detractor_policy": "sell_to_all"}),
                                   rng=2).run(13)
    _step_to_crm(off)
    assert not off.acc.follow_up.any()


def test_coaching_takes_the_managers_time():
    covered = {}
    for hours in (40.0, 1.0):
        m = SalesModel(rng=0, one_on_one=True, joins_calls=True, manager_hours=hours, **SMALL)
        m.managers_coach()
        covered[hours] = m.managers[0].coverage
    assert covered[40.0] == 1.0
    assert covered[1.0] == 1.0 / (3 * (0.5 + 1.0))


def test_empowered_reps_spend_a_budget_and_hours():
    """Empowered reps grant official remedies within their budget; with no budget they grant none and, paired
    over 8 seeds, improvise more hidden concessions instead."""
    sc = load_scenario("empowered_reps", SMALL)
    m = SalesModel.from_scenario(sc, rng=1).run(30)
    t = m.ledger.total
    assert t["remedies"] > 0
    assert m.acc.disc_depth.max() == m.p.concession_discount * (1.0 + m.p.over_discount)  # deeper than hidden
    assert np.all(m._remedy_left >= 0.0) and np.all(m._remedy_left <= m.p.remedy_budget)
    none = SalesModel.from_scenario(sc, rng=1, remedy_budget=0.0).run(30)
    assert none.ledger.total["remedies"] == 0
    seeds = range(8)
    budget = [SalesModel.from_scenario(sc, rng=s).run(30).kpis()["hidden_concession_share"] for s in seeds]
    no_budget = [SalesModel.from_scenario(sc, rng=s, remedy_budget=0.0).run(30).kpis()["hidden_concession_share"]
                 for s in seeds]
    assert_higher(np.array(budget), np.array(no_budget), "hidden concession share, no budget - budget")
