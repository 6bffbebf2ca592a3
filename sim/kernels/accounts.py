"""One account's state changes that several stages make: a banner comes down, a problem is closed.

Each has one implementation here, called by the kernels one account at a time and over a set of accounts
by :meth:`sim.population.Accounts.clear_flags` and :meth:`sim.operations.Operations.resolve`.
"""

from __future__ import annotations

from sim.kernels import kernel
from sim.population import NO_ISSUE


@kernel
def lower_flag(i, cooldown, flag, flag_left, flag_cool, flag_declined):
    """Take account ``i``'s banner down (worked, expired or withdrawn) and start its cooldown."""
    flag[i] = False
    flag_left[i] = 0
    flag_cool[i] = cooldown
    flag_declined[i] = False


@kernel
def lower_flags(uids, cooldown, flag, flag_left, flag_cool, flag_declined):
    """:func:`lower_flag` for every account in ``uids``."""
    for i in uids:
        lower_flag(i, cooldown, flag, flag_left, flag_cool, flag_declined)


@kernel
def close_problem(i, issue, issue_sev, issue_age, issue_wait, issue_reported, issue_expedite):
    """Close account ``i``'s open problem."""
    issue[i] = NO_ISSUE
    issue_sev[i] = 0.0
    issue_age[i] = 0
    issue_wait[i] = 0
    issue_reported[i] = False
    issue_expedite[i] = False


@kernel
def close_problems(uids, issue, issue_sev, issue_age, issue_wait, issue_reported, issue_expedite):
    """:func:`close_problem` for every account in ``uids``."""
    for i in uids:
        close_problem(i, issue, issue_sev, issue_age, issue_wait, issue_reported, issue_expedite)
