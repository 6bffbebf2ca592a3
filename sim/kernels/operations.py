"""Operations over every seat (:class:`sim.operations.Operations`): new problems, problems fixed or faded."""

from __future__ import annotations

import numpy as np

from sim.kernels import kernel
from sim.kernels.accounts import close_problem
from sim.kernels.draws import uniform, uniforms_all
from sim.population import NO_ISSUE


@kernel
def fail(active, issue, issue_sev, issue_age, issue_wait, issue_reported, key, cum_rates, cats, severity_min,
         complaint_rate):
    """Open a problem on each customer without one whose uniform falls under the total failure rate, its
    category where the uniform falls in the cumulative rates; few customers complain unprompted."""
    n_cats = cats.size
    total_rate = cum_rates[n_cats - 1]
    u0 = uniforms_all(key, active.size, 0)  # whether and how each seat fails, in one vectorised pass
    for i in range(active.size):
        if not (active[i] and issue[i] == NO_ISSUE and u0[i] < total_rate):
            continue
        idx = 0
        while idx < n_cats and cum_rates[idx] <= u0[i]:
            idx += 1
        issue[i] = cats[min(idx, n_cats - 1)]
        issue_sev[i] = severity_min + (1.0 - severity_min) * uniform(key, i, 1)
        issue_age[i] = 0
        issue_wait[i] = 0
        issue_reported[i] = uniform(key, i, 2) < complaint_rate


@kernel
def open_problems(active, issue, issue_reported):
    """(reported problems, unreported problems) of customers, as uid arrays in id order."""
    n = active.size
    reported = np.empty(n, np.int64)
    silent = np.empty(n, np.int64)
    kr = ks = 0
    for i in range(n):
        if active[i] and issue[i] != NO_ISSUE:
            if issue_reported[i]:
                reported[kr] = i
                kr += 1
            else:
                silent[ks] = i
                ks += 1
    return reported[:kr].copy(), silent[:ks].copy()


@kernel
def settle(fixed, faded, key, self_resolve, issue, issue_sev, issue_age, issue_wait, issue_reported, issue_expedite,
           sat, fix_recovery):
    """Close the problems operations fixed (the customer's satisfaction recovers) and the unreported ones
    that fade (their seat's draw on ``key`` below ``self_resolve``); return the waits of the fixed ones."""
    waits = np.empty(fixed.size, np.int64)
    for k in range(fixed.size):
        waits[k] = issue_wait[fixed[k]]
    for i in faded:
        if uniform(key, i, 0) < self_resolve:
            close_problem(i, issue, issue_sev, issue_age, issue_wait, issue_reported, issue_expedite)
    for i in fixed:
        close_problem(i, issue, issue_sev, issue_age, issue_wait, issue_reported, issue_expedite)
        sat[i] = min(1.0, sat[i] + fix_recovery)
    return waits


@kernel
def old_problems(active, issue, issue_reported, issue_age, rep, escalation_age, n_slots, n_codes):
    """Reported problems at least ``escalation_age`` weeks old, counted by rep slot and issue code."""
    counts = np.zeros((n_slots, n_codes), np.int64)
    for i in range(active.size):
        if active[i] and issue[i] != NO_ISSUE and issue_reported[i] and issue_age[i] >= escalation_age:
            counts[rep[i], issue[i]] += 1
    return counts
