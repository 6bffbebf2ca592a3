"""The week's opening over every seat (:meth:`sim.model.SalesModel.start_week`): seasons, delivered spend,
and the clocks that count weeks (since last contact, concessions, discounts, remedies).

Same arithmetic in the same order as the NumPy formulation it replaced; totals are NumPy's pairwise sums.
"""

from __future__ import annotations

import numpy as np

from sim.kernels import kernel
from sim.kernels.reductions import total


@kernel
def spend(phase, angle, amplitude, wallet, share, disrupted, disruption_cut):
    """(season, observed): each seat's seasonal factor at ``angle`` (2 pi x week / 52) and the spend it
    delivers this week, disruptions in."""
    n = phase.size
    season = np.empty(n)
    observed = np.empty(n)
    for i in range(n):
        season[i] = 1.0 + amplitude * np.sin(angle + phase[i])
        observed[i] = wallet[i] * share[i] * season[i] * (1.0 - disruption_cut * (1.0 if disrupted[i] else 0.0))
    return season, observed


@kernel
def tick(active, ever_customer, observed, since, conc_left, remedy_left, disc_left, disc_depth, pitched,
         unwanted_pitch):
    """Advance the weekly clocks in place; return (spend of customers and lost customers, spend of lost
    customers): what the book could have earned and what churn took."""
    n = active.size
    ever = np.empty(n)
    lost = np.empty(n)
    ke = 0
    kl = 0
    for i in range(n):
        if ever_customer[i]:
            ever[ke] = observed[i]
            ke += 1
            if not active[i]:
                lost[kl] = observed[i]
                kl += 1
        if active[i]:
            if disc_left[i] > 0:
                disc_left[i] -= 1
                if disc_left[i] == 0:
                    disc_depth[i] = 0.0  # a discount that ends leaves no depth behind
            since[i] += 1.0
            if conc_left[i] > 0:
                conc_left[i] -= 1
        if remedy_left[i] > 0:
            remedy_left[i] -= 1
        pitched[i] = False
        unwanted_pitch[i] = False
    return total(ever[:ke]), total(lost[:kl])
