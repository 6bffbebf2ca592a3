"""One account's state changes that several stages make: a banner comes down, a problem is closed, a prospect
becomes a customer.

Each has one implementation here, called by the kernels one account at a time and over a set of accounts
by :meth:`sim.population.Accounts.clear_flags`, :meth:`sim.operations.Operations.resolve` and
:meth:`sim.population.Accounts.win`.
"""

from __future__ import annotations

from sim.kernels import kernel
from sim.population import ALIVE, NO_ISSUE, NO_NEED


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


@kernel
def welcome(uids, share_new, disposition_new, season, active, ever_customer, share, disposition, sat, since, unserved,
            cause, known_score, conc_left, disc_left, disc_depth, remedy_left, prebooked, claw_left, claw_commission,
            need, issue, issue_sev, issue_age, issue_wait, issue_reported, issue_expedite, follow_up, flag, flag_left,
            flag_cool, flag_declined, wallet, trail, trail_deseason):
    """Prospects ``uids`` become customers with a fresh relationship: the share of wallet and disposition drawn
    for them (``share_new``, ``disposition_new``, one per uid), no need, problem, banner or discount, and the
    CRM's trailing spend starting at this week's (``season``)."""
    for k in range(uids.size):
        i = uids[k]
        active[i] = True
        ever_customer[i] = True
        share[i] = share_new[k]
        disposition[i] = disposition_new[k]
        sat[i] = disposition[i]
        since[i] = 0.0
        unserved[i] = 0.0
        cause[i] = ALIVE
        known_score[i] = -1
        conc_left[i] = 0
        disc_left[i] = 0
        disc_depth[i] = 0.0
        remedy_left[i] = 0
        prebooked[i] = False
        claw_left[i] = 0
        claw_commission[i] = 0.0
        need[i] = NO_NEED
        close_problem(i, issue, issue_sev, issue_age, issue_wait, issue_reported, issue_expedite)
        follow_up[i] = False
        lower_flag(i, 0, flag, flag_left, flag_cool, flag_declined)
        spend = wallet[i] * share[i]
        trail[i] = spend * season[i]
        trail_deseason[i] = spend
