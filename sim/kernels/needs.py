"""New needs and new banners (:meth:`sim.population.Accounts.arrive_needs`, :func:`sim.policies.crm.update_banners`)
as compiled passes over the seats: who gets one, its kind and value, and the buyer's hidden intent.

Same arithmetic in the same order as the NumPy formulation they replaced. The rep's read of each new intent
is a third pass over the new ones (:func:`read`).
"""

from __future__ import annotations

import numpy as np

from sim.kernels import kernel
from sim.kernels.accounts import lower_flag
from sim.kernels.draws import normal, uniform, uniforms_all
from sim.population import INTENT_MEAN_MAX, INTENT_MEAN_MIN, NO_ISSUE, NO_NEED, PURCHASE, SERVICE

# CRM rules, as codes the banner kernel reads (the order of sim.params' crm_rule choices does not matter).
RULES = ("spend_drop", "seasonality_aware", "advocacy_aware")
READ_DRAW = 4  # the draw index of the rep's read (a normal), past the uniforms a need or a banner uses


@kernel
def intent_at(table, mean0, mean_step, mean, u):
    """Buying intent of one opportunity, hidden from the rep: the Beta quantile at uniform ``u`` around
    ``mean``, by bilinear interpolation in the quantile table (:func:`sim.population.intent_table`)."""
    n_means, n_probs = table.shape
    fm = min(max((mean - mean0) / mean_step, 0.0), n_means - 1.000001)
    fp = min(max(u * (n_probs - 1), 0.0), n_probs - 1.000001)
    i = np.int64(fm)
    j = np.int64(fp)
    dm = fm - i
    dp = fp - j
    lo = table[i, j] * (1 - dp) + table[i, j + 1] * dp
    hi = table[i + 1, j] * (1 - dp) + table[i + 1, j + 1] * dp
    return lo * (1 - dm) + hi * dm


@kernel
def read(out, uids, true, key, prior_mean, weight, noise, eps, need):
    """The rep's read of each intent on ``uids`` (:func:`sim.population.read_intents`): the normal posterior
    mean on the log-odds scale given a read ``logit(intent) + noise * z``. With ``need`` non-empty, only
    purchase needs are read (the others read 0)."""
    for i in uids:
        if need.size and need[i] != PURCHASE:
            out[i] = 0.0
            continue
        t = min(max(true[i], eps), 1.0 - eps)
        if t < 0.3 or t > 0.65:  # logit as SciPy computes it: a log1p form near one half, for precision
            lg = np.log(t / (1 - t))
        else:
            d = 2 * (t - 0.5)
            lg = np.log1p(d) - np.log1p(-d)
        signal = lg + noise * normal(key, i, READ_DRAW)
        out[i] = 1 / (1 + np.exp(-(prior_mean + weight * (signal - prior_mean))))


@kernel
def arrive(need, need_age, need_value, need_intent, need_buy, prebooked, wallet, share, sat, season, key, table,
           mean0, mean_step, f):
    """Open this week's needs in place; return (uids with a new need, their intent means). A purchase need on
    a ``prebooked`` account (signed early) is already bought: it clears the mark and opens nothing. ``f`` holds
    the parameters in the order of :func:`sim.population.needs_scalars`."""
    need_rate, purchase_share, deal_weeks, p_purchase, willingness_base = f[0], f[1], f[2], f[3], f[4]
    n = need.size
    uids = np.empty(n, np.int64)
    means = np.empty(n)
    u0 = uniforms_all(key, n, 0)  # whether a need arrives, every seat in one vectorised pass
    k = 0
    for i in range(n):
        if need[i] != NO_NEED or not u0[i] < need_rate * max(season[i], 0.0):
            continue
        purchase = uniform(key, i, 1) < purchase_share
        if purchase and prebooked[i]:
            prebooked[i] = False
            continue
        need[i] = PURCHASE if purchase else SERVICE
        need_age[i] = 0
        need_value[i] = deal_weeks * wallet[i] * (1.0 - share[i]) if purchase else 0.0
        mean = min(max(p_purchase * (willingness_base + sat[i]), INTENT_MEAN_MIN), INTENT_MEAN_MAX)
        need_intent[i] = intent_at(table, mean0, mean_step, mean, uniform(key, i, 2)) if purchase else 0.0
        need_buy[i] = uniform(key, i, 3) < need_intent[i]
        uids[k] = i
        means[k] = mean
        k += 1
    return uids[:k].copy(), means[:k].copy()


@kernel
def raise_banners(rule, fix_first, active, flag, flag_left, flag_cool, flag_declined, known_score, share, trail,
                  trail_deseason, observed, season, sat, wallet, issue, play_intent, play_u, play_buy, play_value,
                  campaign, key, table, mean0, mean_step, f):
    """Withdraw banners from known detractors under fix-first, raise the CRM rule's new banners (and banners
    on accounts listed for an outreach ``campaign``) with their plays, and move the rule's trailing spend;
    return (uids raised, their intent means). ``f`` holds the parameters in the order of
    :func:`sim.policies.crm.banner_scalars`."""
    (spend_drop_threshold, advocacy_low_share, flag_weeks, p_upsell, willingness_base, upsell_room_gain,
     open_issue_appetite, deal_weeks, trail_weight) = f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]
    n = active.size
    uids = np.empty(n, np.int64)
    means = np.empty(n)
    k = 0
    for i in range(n):
        detractor = known_score[i] >= 0 and known_score[i] <= 6
        if fix_first and flag[i] and detractor:  # withdrawn: no cooldown
            lower_flag(i, 0, flag, flag_left, flag_cool, flag_declined)
        eligible = active[i] and not flag[i] and flag_cool[i] <= 0 and not (fix_first and detractor)
        if rule == 0:
            fires = observed[i] < (1.0 - spend_drop_threshold) * trail[i]
        elif rule == 1:
            fires = observed[i] / season[i] < (1.0 - spend_drop_threshold) * trail_deseason[i]
        elif rule == 2:
            fires = known_score[i] >= 7 and share[i] < advocacy_low_share
        else:
            fires = False
        if eligible and (fires or campaign[i]):
            flag[i] = True
            flag_left[i] = flag_weeks
            flag_declined[i] = False
            room = 1.0 - share[i]
            appetite = open_issue_appetite if issue[i] != NO_ISSUE else 1.0
            p_play = min(max(p_upsell * (willingness_base + sat[i]) * upsell_room_gain * room * season[i]
                             * appetite, 0.0), 1.0)
            mean = min(max(p_play, INTENT_MEAN_MIN), INTENT_MEAN_MAX)
            play_intent[i] = intent_at(table, mean0, mean_step, mean, uniform(key, i, 0))
            play_u[i] = uniform(key, i, 1)
            play_buy[i] = play_u[i] < play_intent[i]
            play_value[i] = deal_weeks * wallet[i] * room
            uids[k] = i
            means[k] = mean
            k += 1
        trail[i] += trail_weight * (observed[i] - trail[i])
        trail_deseason[i] += trail_weight * (observed[i] / season[i] - trail_deseason[i])
        if flag_cool[i] > 0:
            flag_cool[i] -= 1
    return uids[:k].copy(), means[:k].copy()
