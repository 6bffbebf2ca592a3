"""The reps' weekly choice of accounts (:func:`sim.worklist.plan_week`) as one compiled pass.

Same arithmetic in the same order as the NumPy formulation it replaced, so the plan is bit for bit the same:
candidates in account-id order, one stable sort on the (slot, tier, utility per hour) key, hours taken in
that order until each rep's week is full.
"""

from __future__ import annotations

import numpy as np

from sim.kernels import kernel
from sim.kernels.draws import uniforms_all
from sim.population import NO_NEED, PURCHASE, SERVICE


@kernel
def _before(key, a, b):
    """Whether candidate ``a`` is worked before ``b``: lower key first, equal keys by position."""
    return key[a] < key[b] or (key[a] == key[b] and a < b)


@kernel
def _sift_down(heap, size, root, key):
    while True:
        child = 2 * root + 1
        if child >= size:
            return
        if child + 1 < size and _before(key, heap[child + 1], heap[child]):
            child += 1
        if not _before(key, heap[child], heap[root]):
            return
        heap[root], heap[child] = heap[child], heap[root]
        root = child


@kernel
def take_within_hours(slot, key, hours, worth, budget):
    """Which candidates each rep works: those worth working (``worth``), in key order (ties by position, so
    by account id), while the rep's running hours stay within its ``budget``.

    Only the candidates a rep reaches are ordered: each rep's candidates go on a binary heap and are taken
    off best first until the week is full, so a week costs O(n + taken x log n), not a full sort.
    """
    m = slot.size
    n_slots = budget.size
    counts = np.zeros(n_slots + 1, np.int64)
    for j in range(m):
        if worth[j]:
            counts[slot[j] + 1] += 1
    for s in range(n_slots):
        counts[s + 1] += counts[s]
    members = np.empty(counts[n_slots], np.int64)
    fill = counts[:n_slots].copy()
    for j in range(m):
        if worth[j]:
            members[fill[slot[j]]] = j
            fill[slot[j]] += 1
    take = np.zeros(m, np.bool_)
    for s in range(n_slots):
        heap = members[counts[s]:counts[s + 1]]
        size = heap.size
        for root in range(size // 2 - 1, -1, -1):
            _sift_down(heap, size, root, key)
        used = 0.0
        while size > 0:
            j = heap[0]
            used += hours[j]
            if used > budget[s]:
                break
            take[j] = True
            size -= 1
            heap[0] = heap[size]
            _sift_down(heap, size, np.int64(0), key)  # not a literal 0: one compiled variant
    return take


@kernel
def plan(active, rep, need, need_age, flag, since, follow_up, need_read, play_read, need_value, play_value, wallet,
         share, winback_left, seats_by_slot, covered, rep_hours, skill, persuasion, prep_hours, care_w, pressure,
         audit, pay_rate, hold_rate, weeks_left, key, b_slot, b_hours, f):
    """Return (opened, weight, hours, selling, declined, prospecting); ``f`` holds the scalar parameters in
    the order of :func:`sim.worklist.plan_scalars`. A purchase need that will still wait when the pay period
    turns is worth, to a rep whose plan pays more next period (``hold_rate`` above ``pay_rate``), only the
    difference now."""
    (email_share, visit_share, hours_email, hours_visit, hours_call, email_weight, hours_purchase, hours_service,
     hours_pitch, need_patience, banner_bonus, mean_spend, size_min, size_max, neglect_horizon,
     urgency_service, urgency_purchase, urgency_contact, banner_target, prospect_drive) = (
        f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], f[14], f[15],
        f[16], f[17], f[18], f[19])
    n = active.size
    n_slots = rep_hours.size
    u0 = uniforms_all(key, n, 0)  # the channel of each seat's proactive contact: e-mail, then visit or call
    u1 = uniforms_all(key, n, 1)
    # Candidates (account-id order) and the territories' open seats.
    n_cand = 0
    open_count = np.zeros(n_slots)
    for i in range(n):
        if active[i]:
            if covered[rep[i]] and (need[i] != NO_NEED or flag[i] or since[i] >= 1.0 or follow_up[i]):
                n_cand += 1
        elif winback_left[i] <= 0:
            open_count[rep[i]] += 1.0
    n_blocks = b_slot.size
    m = n_cand + n_blocks
    cand = np.empty(n_cand, np.int64)
    slot = np.empty(m, np.int64)
    hours = np.empty(m)
    weight = np.empty(n_cand)
    util = np.empty(m)
    has_need = np.zeros(m, np.bool_)
    k = 0
    for i in range(n):
        if not (active[i] and covered[rep[i]] and (need[i] != NO_NEED or flag[i] or since[i] >= 1.0
                                                     or follow_up[i])):
            continue
        s = rep[i]
        nd = need[i]
        fl = flag[i]
        hn = nd != NO_NEED
        call_back = follow_up[i] and not hn and not fl
        # Channel of a proactive contact.
        email = u0[i] < email_share
        visit = (not email) and u1[i] < visit_share
        h = hours_email if email else (hours_visit if visit else hours_call)
        wt = email_weight if email else 1.0
        need_h = (hours_purchase if nd == PURCHASE else hours_service) + (hours_pitch if fl else 0.0)
        if hn:
            h = need_h
        elif fl:
            h = max(h, hours_pitch)
        h = h + (prep_hours[s] if fl else 0.0)
        if call_back:
            h = hours_call
        if hn or fl or call_back:
            wt = 1.0
        # What the rep expects, from its own reads.
        sk = skill[s]
        close_need = sk * (need_read[i] if nd == PURCHASE else 0.0)
        rp = play_read[i]
        close_play = sk * ((rp + (1.0 - rp) * persuasion[s]) if fl else 0.0)
        p_close = 1.0 - (1.0 - close_need) * (1.0 - close_play)
        value = close_need * need_value[i] + close_play * play_value[i]
        pay_exp = pay_rate[s] * value + (p_close * banner_bonus if fl else 0.0)
        if hold_rate[s] > 0.0 and nd == PURCHASE and need_age[i] + weeks_left[s] < need_patience:
            pay_exp -= hold_rate[s] * close_need * need_value[i]
        size = min(max(np.sqrt(wallet[i] * share[i] / mean_spend), size_min), size_max)
        neglect = min(1.0, since[i] / neglect_horizon)
        if nd == SERVICE:
            urgency = urgency_service
        elif nd == PURCHASE:
            urgency = urgency_purchase
        elif call_back:
            urgency = urgency_service
        else:
            urgency = urgency_contact * wt * neglect
        care = care_w[s] * size * urgency
        margin = p_close - banner_target
        cand[k] = i
        slot[k] = s
        hours[k] = h
        weight[k] = wt
        util[k] = pay_exp + care + ((audit[s] + pressure[s] * margin) if fl else 0.0)
        has_need[k] = hn
        k += 1
    # Prospecting blocks after the accounts.
    for b in range(n_blocks):
        s = b_slot[b]
        j = n_cand + b
        slot[j] = s
        hours[j] = b_hours[b]
        share_open = open_count[s] / max(seats_by_slot[s], 1.0)
        util[j] = prospect_drive * b_hours[b] * share_open if covered[s] else 0.0
    # Needs before outbound work, best utility per hour first, ties by position (account id): one float key
    # (slot, tier, utility per hour squashed into (0, 1)); hours taken in that order until each week is full.
    key = np.empty(m)
    worth = np.empty(m, np.bool_)
    for j in range(m):
        pos = util[j] > 0
        ratio = util[j] / hours[j] if pos else 0.0
        tier = (0.0 if has_need[j] else 1.0) if pos else 2.0
        key[j] = slot[j] * 3.0 + tier + 0.5 - 0.5 * ratio / (1.0 + abs(ratio))
        worth[j] = pos
    take = take_within_hours(slot, key, hours, worth, rep_hours)
    prospecting = np.zeros(n_slots)
    for b in range(n_blocks):
        if take[n_cand + b]:
            prospecting[b_slot[b]] += b_hours[b]
    n_take = 0
    n_declined = 0
    for j in range(n_cand):
        if take[j]:
            n_take += 1
        if flag[cand[j]] and not util[j] > 0:
            n_declined += 1
    opened = np.empty(n_take, np.int64)
    w_out = np.empty(n_take)
    h_out = np.empty(n_take)
    selling = np.empty(n_take, np.bool_)
    declined = np.empty(n_declined, np.int64)
    t = 0
    d = 0
    for j in range(n_cand):
        i = cand[j]
        if take[j]:
            opened[t] = i
            w_out[t] = weight[j]
            h_out[t] = hours[j]
            selling[t] = need[i] == PURCHASE or flag[i]
            t += 1
        if flag[i] and not util[j] > 0:
            declined[d] = i
            d += 1
    return opened, w_out, h_out, selling, declined, prospecting
