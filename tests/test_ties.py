"""Where an order decides behaviour, equal keys are broken by account id, so a seed gives the same numbers on
every CPU (NumPy's default sort is not stable, and its choice among ties depends on the vector unit)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import SalesModel
from sim.draw_streams import CHANNELS
from sim.kernels.worklist import take_within_hours
from sim.operations import Operations
from sim.population import NO_ISSUE, NO_NEED, SERVICE, SERVICE_ISSUE
from sim.worklist import plan_week


def _reference_take(slot, key, hours, worth, budget):
    """The plain formulation: one stable sort of every candidate, running hours within each rep."""
    take = np.zeros(slot.size, bool)
    used = np.zeros(budget.size)
    for j in np.argsort(key, kind="stable"):
        if worth[j] and used[slot[j]] + hours[j] <= budget[slot[j]]:
            used[slot[j]] += hours[j]
            take[j] = True
        elif worth[j]:
            used[slot[j]] = np.inf  # the week is full: nothing after this one fits
    return take


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=1, max_value=1500), st.integers(min_value=1, max_value=5),
       st.integers(min_value=0, max_value=2**32 - 1))
def test_reps_take_candidates_in_key_order_ties_by_position(n, slots, seed):
    """Keys drawn from a handful of values (so most tie), hours for part of each book: the candidates taken
    are those a stable sort puts first within each rep's hours, ties going to the earlier position."""
    rng = np.random.default_rng(seed)
    slot = rng.integers(0, slots, n)
    key = slot * 3.0 + rng.choice([0.5, 0.75, 1.2, 2.5], n)
    hours = rng.choice([0.25, 0.5, 1.0, 1.5], n)
    worth = rng.random(n) < 0.8
    budget = rng.uniform(0.0, 0.5, slots) * np.bincount(slot, weights=hours, minlength=slots)
    np.testing.assert_array_equal(take_within_hours(slot, key, hours, worth, budget),
                                  _reference_take(slot, key, hours, worth, budget))


def _tied_book(n_tied: int) -> tuple[SalesModel, np.ndarray]:
    """A model whose rep 0 has ``n_tied`` identical customers, each with a service need, and no one else."""
    m = SalesModel(rng=4, n_accounts=2000, n_reps=4, n_managers=1, prospect_hours=0.0)
    a = m.acc
    book = np.flatnonzero(a.rep == 0)[:n_tied]
    a.active[:] = False
    template = book[-1]
    for name, arr in vars(a).items():  # every per-account array takes the template's value
        if isinstance(arr, np.ndarray) and arr.shape == (a.n,) and name not in ("uid", "rep"):
            arr[book] = arr[template]
    a.active[book] = True
    a.need[book] = SERVICE
    a.flag[book] = False
    a.follow_up[book] = False
    return m, book


def test_reps_with_hours_for_some_of_many_identical_customers_serve_the_lowest_ids():
    """600 identical customers with a service need, every third of them smaller: hours for all the larger
    ones and 50 of the smaller. The smaller ones served are the 50 with the lowest account ids, on any CPU."""
    m, book = _tied_book(600)
    a = m.acc
    small = book[::3]
    a.wallet[small] *= 0.25  # a smaller account: less utility per hour, the same for all of them
    pay = m.plan.week(m.reps, m.week)
    w, _ = m._rep_weights(pay)
    light = np.setdiff1d(book, small)
    w.hours[0] = light.size * m.p.hours_service + 50 * m.p.hours_service
    plan = plan_week(a, m.p, w, m.key(CHANNELS), pay)
    assert (a.need[book] != NO_NEED).all()
    np.testing.assert_array_equal(plan.opened, np.sort(np.concatenate([light, small[:50]])))


def test_fixes_of_equal_problems_go_to_the_lowest_ids():
    """Equal reported problems beyond fix capacity: the lower account ids are fixed first."""
    m, book = _tied_book(600)
    a = m.acc
    a.issue[book] = SERVICE_ISSUE
    a.issue_sev[book] = 0.5
    a.issue_age[book] = 3
    a.issue_wait[book] = 2
    a.issue_reported[book] = True
    order = Operations(m.p).fix_order(a, book)
    np.testing.assert_array_equal(order, np.arange(book.size))
    assert (a.issue[book] != NO_ISSUE).all()
