"""What happens on the accounts the reps opened (:meth:`sim.model.SalesModel.reps_work`), as one compiled pass:
deals closed, banner pitches (wanted or not), concessions extracted, and the contact itself.

Same arithmetic in the same order as the NumPy formulation it replaced.
"""

from __future__ import annotations

import numpy as np

from sim.kernels import kernel
from sim.population import NO_NEED, PURCHASE


@kernel
def outcomes(opened, weight, rep, skill, persuasion, flag, need, need_buy, need_value, play_intent, play_u,
             play_value, sat, since, pitched, unwanted_pitch, disc_depth, disc_left, follow_up, luck, f):
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
        nc = pu and need_buy[i] and luck[0, i] < sk
        intent = play_intent[i]
        wi = fl and play_u[i] < intent + (1.0 - intent) * persuasion[rep[i]]
        pc = wi and luck[1, i] < sk
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
            if luck[2, i] < discount_demand:
                disc_depth[i] = max(disc_depth[i], concession_discount)
                disc_left[i] = max(disc_left[i], concession_weeks)
        # An unwanted pitch on an outbound call adds no value to the relationship; a served need still does.
        w = 0.0 if (unwanted and need[i] == NO_NEED) else weight[k]
        sat[i] += contact_gain * w * (1.0 - sat[i])
        since[i] *= 1.0 - w
        follow_up[i] = False
    return deal, need_closed, play_closed, flagged, willing, purchase, n_unwanted
