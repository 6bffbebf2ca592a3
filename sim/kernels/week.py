"""Passes over every seat for the week's bookkeeping stages of :class:`sim.model.SalesModel`: the opening
(seasons, delivered spend, the clocks that count weeks), needs and banners that lapse, and prospects won.

Same arithmetic in the same order as the NumPy formulation it replaced (the season's sine by the angle-sum
identity instead); totals are NumPy's pairwise sums.
"""

from __future__ import annotations

import math

import numpy as np

from sim.kernels import kernel
from sim.kernels.accounts import lower_flag
from sim.kernels.draws import uniform, uniforms_at
from sim.kernels.reductions import total
from sim.population import NO_ISSUE, NO_NEED, PURCHASE


@kernel
def phase_terms(phase):
    """(cos, sin) of each seat's seasonal phase, once per run: :func:`spend` needs no ``sin`` per seat."""
    n = phase.size
    cos_phase = np.empty(n)
    sin_phase = np.empty(n)
    for i in range(n):
        cos_phase[i] = math.cos(phase[i])
        sin_phase[i] = math.sin(phase[i])
    return cos_phase, sin_phase


@kernel
def spend(cos_phase, sin_phase, angle, amplitude, wallet, share, disrupted, disruption_cut):
    """(season, observed): each seat's seasonal factor at ``angle`` (2 pi x week / 52) and the spend it
    delivers this week, disruptions in. ``sin(angle + phase)`` by the angle-sum identity on the phase's
    cos and sin (:func:`phase_terms`): two products a seat instead of a ``sin``, 18 ns a seat here."""
    n = cos_phase.size
    sin_angle = math.sin(angle)
    cos_angle = math.cos(angle)
    season = np.empty(n)
    observed = np.empty(n)
    for i in range(n):
        season[i] = 1.0 + amplitude * (sin_angle * cos_phase[i] + cos_angle * sin_phase[i])
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


@kernel
def expire(active, ever_customer, need, need_age, need_buy, need_value, unserved, sat, rep, flag, flag_left,
           flag_cool, flag_declined, play_buy, play_value, need_patience, unserved_hit, flag_cooldown, n_slots):
    """Needs nobody served and banners nobody worked lapse, in place (:meth:`SalesModel.needs_expire`).

    Returns (willing buyers' value that lapsed or churned, the part that churned, needs each slot let lapse,
    needs each slot had open, banners that ended, of them avoided, avoided with a willing buyer, value of
    willing plays that ended, of them avoided, avoided banners by slot)."""
    n = active.size
    lapsed_value = np.empty(n)
    churned_value = np.empty(n)
    ended_value = np.empty(n)
    avoided_value = np.empty(n)
    unserved_by_slot = np.zeros(n_slots, np.int64)
    pending_by_slot = np.zeros(n_slots, np.int64)
    avoided_by_slot = np.zeros(n_slots, np.int64)
    kl = kc = ke = ka = 0
    n_ended = n_avoided = n_willing = 0
    for i in range(n):
        if need[i] != NO_NEED:
            need_age[i] += 1
            gone = not active[i]  # needs of churned accounts lapse at once: shadow demand, lost to churn
            lapsed = need_age[i] >= need_patience
            if gone or lapsed:
                value = need_value[i] if (need[i] == PURCHASE and need_buy[i] and ever_customer[i]) else 0.0
                lapsed_value[kl] = value
                kl += 1
                if gone:
                    churned_value[kc] = value
                    kc += 1
            if active[i]:
                pending_by_slot[rep[i]] += 1
                if lapsed:
                    unserved[i] += 1.0
                    sat[i] = max(0.0, sat[i] - unserved_hit)
                    unserved_by_slot[rep[i]] += 1
            if gone or lapsed:
                need[i] = NO_NEED
        if flag[i]:
            flag_left[i] -= 1
            if flag_left[i] <= 0 or not active[i]:
                value = play_value[i] if play_buy[i] else 0.0
                ended_value[ke] = value
                ke += 1
                n_ended += 1
                if flag_declined[i]:
                    avoided_value[ka] = value
                    ka += 1
                    n_avoided += 1
                    n_willing += 1 if play_buy[i] else 0
                    avoided_by_slot[rep[i]] += 1
                lower_flag(i, flag_cooldown, flag, flag_left, flag_cool, flag_declined)
    return (total(lapsed_value[:kl]), total(churned_value[:kc]), unserved_by_slot, pending_by_slot, n_ended,
            n_avoided, n_willing, total(ended_value[:ke]), total(avoided_value[:ka]), avoided_by_slot)


@kernel
def prospects(active, sat, winback_left, promoter_sat, detractor_sat):
    """Count down win-back waits in place; return (promoters, detractors, open seats) as uid arrays."""
    n = active.size
    promoters = np.empty(n, np.int64)
    detractors = np.empty(n, np.int64)
    open_seats = np.empty(n, np.int64)
    kp = kd = ko = 0
    for i in range(n):
        if winback_left[i] > 0:
            winback_left[i] -= 1
        if active[i]:
            if sat[i] >= promoter_sat:
                promoters[kp] = i
                kp += 1
            if sat[i] < detractor_sat:
                detractors[kd] = i
                kd += 1
        elif winback_left[i] <= 0:
            open_seats[ko] = i
            ko += 1
    return promoters[:kp].copy(), detractors[:kd].copy(), open_seats[:ko].copy()


@kernel
def wins(open_seats, rep, key, h_lead, h_ref, h_prospecting):
    """Which open seats are won this week under the competing hazards of leads, referrals and each
    territory's prospecting; return (seats won, won by marketing, won by referral)."""
    won = np.empty(open_seats.size, np.int64)
    k = 0
    marketing = referral = 0
    base = h_lead + h_ref
    u0 = uniforms_at(key, open_seats, 0)  # each open seat's hazard draw, in one vectorised pass
    for j in range(open_seats.size):
        i = open_seats[j]
        h = base + h_prospecting[rep[i]]
        if u0[j] < -np.expm1(-h):
            won[k] = i
            k += 1
            pick = uniform(key, i, 1) * h
            if pick < h_lead:
                marketing += 1
            elif pick < base:
                referral += 1
    return won[:k].copy(), marketing, referral


@kernel
def census(active, sat, flag, issue, promoter_sat, detractor_sat):
    """End-of-week counts: (NPS of customers, customers, banners up, customers with an open problem); NPS is
    NaN with no customers."""
    customers = promoters = detractors = banners = open_issues = 0
    for i in range(active.size):
        if flag[i]:
            banners += 1
        if active[i]:
            customers += 1
            if sat[i] >= promoter_sat:
                promoters += 1
            if sat[i] < detractor_sat:
                detractors += 1
            if issue[i] != NO_ISSUE:
                open_issues += 1
    nps = 100.0 * (promoters / customers - detractors / customers) if customers else np.nan
    return nps, customers, banners, open_issues
