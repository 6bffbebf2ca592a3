"""What happens on the accounts the reps opened (:meth:`sim.model.SalesModel.reps_work`), as one compiled pass:
deals closed, banner pitches (wanted or not), concessions extracted, and the contact itself.

Same arithmetic in the same order as the NumPy formulation it replaced.
"""

from __future__ import annotations

import numpy as np

from sim.kernels import kernel
from sim.kernels.accounts import lower_flag
from sim.kernels.draws import uniform
from sim.kernels.reductions import total
from sim.population import NO_ISSUE, NO_NEED, PURCHASE


@kernel
def outcomes(opened, weight, rep, skill, persuasion, flag, need, need_buy, need_value, play_intent, play_u,
             play_value, sat, since, pitched, unwanted_pitch, disc_depth, disc_left, follow_up, key, f):
    """Work each opened account in place; return per opened account (deal value, need closed, play closed,
    banner, willing buyer of the play, purchase need) and the number of unwanted pitches. ``f`` holds the
    parameters in the order of :func:`sim.model.outcome_scalars`."""
    detractor_sat, pitch_hit, discount_demand, concession_discount, concession_weeks, contact_gain = (
        f[0], f[1], f[2], f[3], f[4], f[5])
    m = opened.size
    deal = np.empty(m)
    need_closed = np.empty(m, np.bool_)
    play_closed = np.empty(m, np.bool_)
    flagged = np.empty(m, np.bool_)
    willing = np.empty(m, np.bool_)
    purchase = np.empty(m, np.bool_)
    n_unwanted = 0
    for k in range(m):
        i = opened[k]
        sk = skill[rep[i]]
        fl = flag[i]
        pu = need[i] == PURCHASE
        nc = pu and need_buy[i] and uniform(key, i, 0) < sk
        intent = play_intent[i]
        wi = fl and play_u[i] < intent + (1.0 - intent) * persuasion[rep[i]]
        pc = wi and uniform(key, i, 1) < sk
        deal[k] = (need_value[i] if nc else 0.0) + (play_value[i] if pc else 0.0)
        need_closed[k] = nc
        play_closed[k] = pc
        flagged[k] = fl
        willing[k] = wi
        purchase[k] = pu
        # Pitches to dissatisfied customers are unwanted (M10, FACTS 3).
        unwanted = fl and sat[i] < detractor_sat
        if fl:
            pitched[i] = True
        if unwanted:
            n_unwanted += 1
            unwanted_pitch[i] = True
            sat[i] = max(0.0, sat[i] - pitch_hit)
            if uniform(key, i, 2) < discount_demand:
                disc_depth[i] = max(disc_depth[i], concession_discount)
                disc_left[i] = max(disc_left[i], concession_weeks)
        # An unwanted pitch on an outbound call adds no value to the relationship; a served need still does.
        w = 0.0 if (unwanted and need[i] == NO_NEED) else weight[k]
        sat[i] += contact_gain * w * (1.0 - sat[i])
        since[i] *= 1.0 - w
        follow_up[i] = False
    return deal, need_closed, play_closed, flagged, willing, purchase, n_unwanted


@kernel
def close_work(opened, rep, deal, need_closed, play_closed, flagged, willing, purchase, hours, selling, need,
               need_buy, need_value, play_value, play_buy, share, flag, flag_left, flag_cool, flag_declined,
               sale_share_gain, flag_cooldown, n_slots):
    """After the opened accounts are booked: sales fill part of the customer's wallet, needs are served and
    banners come down (in place); return the week's tallies of the work.

    Returns (deal value by slot, banners opened by slot, banner closes by slot, banners opened, banner
    closes, banners opened with a willing buyer as drawn, purchase needs opened, of them closed, value of
    willing buyers' needs, value of willing buyers' plays, hours of selling work)."""
    m = opened.size
    slot_deals = np.zeros(n_slots)
    slot_open = np.zeros(n_slots)
    slot_close = np.zeros(n_slots)
    need_potential = np.empty(m)
    play_potential = np.empty(m)
    selling_hours = np.empty(m)
    n_sell = 0
    n_flagged = n_close = n_willing_drawn = n_purchase = n_need_closed = 0
    for k in range(m):
        i = opened[k]
        s = rep[i]
        close = flagged[k] and (need_closed[k] or play_closed[k])
        slot_deals[s] += deal[k]
        slot_open[s] += 1.0 if flagged[k] else 0.0
        slot_close[s] += 1.0 if close else 0.0
        need_potential[k] = need_value[i] if (purchase[k] and need_buy[i]) else 0.0
        play_potential[k] = play_value[i] if willing[k] else 0.0
        if selling[k]:
            selling_hours[n_sell] = hours[k]
            n_sell += 1
        if flagged[k]:
            n_flagged += 1
            n_willing_drawn += 1 if play_buy[i] else 0
        n_close += 1 if close else 0
        n_purchase += 1 if purchase[k] else 0
        n_need_closed += 1 if need_closed[k] else 0
        if need_closed[k] or play_closed[k]:
            share[i] += sale_share_gain * (1.0 - share[i])
        need[i] = NO_NEED
        if flagged[k]:
            lower_flag(i, flag_cooldown, flag, flag_left, flag_cool, flag_declined)
    return (slot_deals, slot_open, slot_close, n_flagged, n_close, n_willing_drawn, n_purchase, n_need_closed,
            total(need_potential), total(play_potential), total(selling_hours[:n_sell]))


@kernel
def surface(uids, issue, issue_reported):
    """A live conversation surfaces the open problems of ``uids``: they are reported (in place); returns them."""
    out = np.empty(uids.size, np.int64)
    k = 0
    for i in uids:
        if issue[i] != NO_ISSUE:
            issue_reported[i] = True
            out[k] = i
            k += 1
    return out[:k].copy()


@kernel
def improvise(uids, issue_age, conc_left, wallet, share, sat, key, patience, valued_spend, propensity, weeks,
              recovery):
    """Reps improvise a hidden concession (M8) for valued customers whose problem has waited ``patience``
    weeks, when its seat's draw on ``key`` is below ``propensity``; the customer is calmed by ``recovery``.
    In place."""
    for i in uids:
        stuck = issue_age[i] >= patience and conc_left[i] == 0
        if stuck and wallet[i] * share[i] >= valued_spend and uniform(key, i, 0) < propensity:
            conc_left[i] = weeks
            sat[i] = min(1.0, sat[i] + recovery)
