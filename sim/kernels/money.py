"""The week's recurring revenue and official discounts over every seat (:mod:`sim.economics` books them).

Same arithmetic in the same order as the NumPy formulation they replaced; totals are NumPy's pairwise sums.
"""

from __future__ import annotations

import numpy as np

from sim.kernels import kernel
from sim.kernels.reductions import total


@kernel
def recurring(active, observed, conc_left, cohort, value, profit, concession_discount, cost_share):
    """Every customer's spend this week at list price and the hidden concessions off it; adds net revenue and
    contribution to the starting book's accounts in place. Returns (gross total, concessions total)."""
    n = active.size
    gross = np.empty(n)
    hidden = np.empty(n)
    for i in range(n):
        g = observed[i] if active[i] else 0.0
        h = g * (concession_discount * (1.0 if active[i] and conc_left[i] > 0 else 0.0))
        gross[i] = g
        hidden[i] = h
        if cohort[i]:
            net = g - h
            value[i] += net
            profit[i] += net - cost_share * g
    return total(gross), total(hidden)


@kernel
def discounts(active, disc_left, disc_depth, observed, conc_left, cohort, value, profit, concession_discount):
    """This week's official discounts, off the price after any hidden concession; takes them from the
    starting book's accounts in place. Returns their total."""
    n = active.size
    amounts = np.empty(n)
    k = 0
    for i in range(n):
        if active[i] and disc_left[i] > 0:
            price = observed[i] * (1.0 - concession_discount * (1.0 if conc_left[i] > 0 else 0.0))
            amount = price * disc_depth[i]
            amounts[k] = amount
            k += 1
            if cohort[i]:
                value[i] -= amount
                profit[i] -= amount
    return total(amounts[:k])


@kernel
def deals(uids, values, commission, cohort, value, profit, cost_share):
    """Deals closed on accounts: books the starting book's net revenue and contribution in place; returns
    (revenue total, goods cost total, commission total)."""
    m = uids.size
    goods = np.empty(m)
    for k in range(m):
        goods[k] = cost_share * values[k]
        i = uids[k]
        if cohort[i]:
            value[i] += values[k]
            profit[i] += values[k] - goods[k] - commission[k]
    return total(values), total(goods), total(commission)


@kernel
def serve(uids, hours, needs_served, cohort, profit, hour_cost, cost_per_need):
    """Hours spent on accounts and needs served: charges the starting book's accounts in place; returns
    (cost of the hours, cost of the needs)."""
    m = uids.size
    hours_cost = np.empty(m)
    needs_cost = np.empty(m)
    for k in range(m):
        hours_cost[k] = hours[k] * hour_cost
        needs_cost[k] = cost_per_need if needs_served[k] else 0.0
        i = uids[k]
        if cohort[i]:
            profit[i] += -(hours_cost[k] + needs_cost[k])
    return total(hours_cost), total(needs_cost)


@kernel
def credit(uids, amount, cohort, profit):
    """Add ``amount`` to the contribution of the starting accounts among ``uids``, in place."""
    for i in uids:
        if cohort[i]:
            profit[i] += amount
