"""Where an order decides behaviour, equal keys are broken by account id, so a seed gives the same numbers on
every CPU (NumPy's default sort is not stable, and its choice among ties depends on the vector unit)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import SalesModel
from sim.kernels.worklist import work_order
from sim.operations import Operations
from sim.population import NO_ISSUE, NO_NEED, SERVICE, SERVICE_ISSUE
from sim.worklist import plan_week


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=50, max_value=2000), st.integers(min_value=1, max_value=5),
       st.integers(min_value=0, max_value=2**32 - 1))
def test_the_work_order_breaks_ties_by_position(n, slots, seed):
    """Keys drawn from a handful of values (so most tie): the order is slot, tier, best ratio, then input
    position, exactly as a lexicographic sort with the position as last key."""
    rng = np.random.default_rng(seed)
    slot = np.sort(rng.integers(0, slots, n))
    tier = rng.integers(0, 3, n).astype(float)
    ratio = rng.choice([0.0, 0.5, 2.0, 40.0], n)
    expected = np.lexsort((np.arange(n), -ratio, tier, slot))
    np.testing.assert_array_equal(work_order(slot, tier, ratio), expected)


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
    w, _ = m._rep_weights()
    light = np.setdiff1d(book, small)
    w.hours[0] = light.size * m.p.hours_service + 50 * m.p.hours_service
    plan = plan_week(a, m.p, w, np.random.default_rng(0))
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
