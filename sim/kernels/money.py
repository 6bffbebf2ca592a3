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
