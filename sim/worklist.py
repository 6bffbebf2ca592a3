"""The reps' weekly choice of which accounts to open, vectorised over every book at once (M1, M2, M4).

Each candidate account (a pending need, a banner, or a relationship contact
that is due) gets a utility from its rep's point of view:

    u = expected pay + care for the customer - felt pressure x shortfall + audit cost

where shortfall = target - chance of a close applies to banner accounts only,
because each opening moves the rep's measured banner close rate toward its
chance of closing: one unlikely to close counts against the rep, one likely
to close above the target counts for it. Chances are the rep's own estimates (its read of
each buyer, ``need_read``/``play_read``), and felt pressure is weighed by the
rep's worry of being below target at its next review. Each rep then works its candidates in order of
utility per hour until its weekly hours are spent, serving customers who came
with a need before outbound work (check-ins, banner plays and prospecting);
candidates with u <= 0 are left alone on purpose (avoidance), the rest that do
not fit wait.

Prospecting competes for the same hours (M11): each rep has up to
``prospect_hours`` of it, in one-hour blocks, each worth ``prospect_drive`` per
hour times the share of its territory still open to winning. A rep whose book
keeps it busy with needs and overdue check-ins prospects less.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sim.params import Params
from sim.population import NO_NEED, PURCHASE, SERVICE, Accounts


@dataclass
class RepWeights:
    """Per-slot quantities the reps' decisions depend on (index = slot)."""

    covered: np.ndarray  # slot has a rep this week
    hours: np.ndarray  # customer hours available after admin and big-deal chasing
    skill: np.ndarray  # chance of converting a willing buyer
    persuasion: np.ndarray  # share of a hesitant buyer's reluctance the rep's banner preparation overcomes
    prep_hours: np.ndarray  # extra hours the rep spends preparing each banner play it opens
    care: np.ndarray  # currency-equivalent weight of serving a need
    pressure: np.ndarray  # currency-equivalent cost per unit of banner close-rate shortfall
    audit: np.ndarray  # expected cost of leaving a banner unopened


@dataclass
class Plan:
    """What the reps chose this week."""

    opened: np.ndarray  # uids opened
    weight: np.ndarray  # value weight of each opened contact (1 call/visit/need, less for e-mail)
    hours: np.ndarray  # hours spent on each opened uid
    selling: np.ndarray  # True where the opening worked a sale (purchase need or banner pitch)
    declined: np.ndarray  # banner uids whose utility was not positive
    prospecting: np.ndarray  # hours each slot spent prospecting


def _channel_hours(p: Params, n: int, cand: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw the channel of a proactive contact for each of ``n`` seats (a fixed-size draw, so the stream
    stays aligned) and return hours and value weights of the candidates ``cand``."""
    u = rng.random((2, n))[:, cand]
    email = u[0] < p.email_share
    visit = ~email & (u[1] < p.visit_share)
    hours = np.where(email, p.hours_email, np.where(visit, p.hours_visit, p.hours_call))
    weight = np.where(email, p.email_weight, 1.0)
    return hours, weight


def running_total_within(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at each group; ``groups`` must be sorted non-negative integers
    (e.g. rep slots)."""
    total = np.cumsum(values)
    if groups.size == 0:
        return total
    counts = np.bincount(groups)
    start = (np.cumsum(counts) - counts)[groups]  # index of each group's first element (a table, not a search)
    return total - (total[start] - values[start])


def work_order(slot: np.ndarray, tier: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """Order in which reps work their candidates: by slot, then tier (0 needs, 1 outbound, 2 not worth it),
    then utility per hour, best first; equal keys keep their input order (candidates come in account-id
    order), so ties are broken by account id on every CPU.

    One float key (slot, tier, ratio squashed into (0, 1)) and one stable sort: NumPy's default sort is not
    stable, and which of two tied accounts it puts first can depend on the CPU's vector instructions.
    """
    return np.argsort(slot * 3.0 + tier + 0.5 - 0.5 * ratio / (1.0 + np.abs(ratio)), kind="stable")


@lru_cache(maxsize=8)
def _prospect_blocks(prospect_hours: float, n_slots: int) -> tuple[np.ndarray, np.ndarray]:
    """Each slot's prospecting time as one-hour blocks: (slot of each block, hours of each block)."""
    blocks = int(np.ceil(prospect_hours))
    b_slot = np.repeat(np.arange(n_slots), blocks)
    b_hours = np.tile(np.minimum(1.0, prospect_hours - np.arange(blocks)), n_slots)
    b_slot.flags.writeable = b_hours.flags.writeable = False  # shared between calls
    return b_slot, b_hours


def plan_week(acc: Accounts, p: Params, w: RepWeights, rng: np.random.Generator) -> Plan:
    """Choose, for every rep at once, which accounts to open this week."""
    due = acc.since >= 1.0
    cand = np.flatnonzero(acc.active & w.covered[acc.rep] & ((acc.need != NO_NEED) | acc.flag | due | acc.follow_up))
    slot = acc.rep[cand]
    need = acc.need[cand]
    flag = acc.flag[cand]
    has_need = need != NO_NEED
    call_back = acc.follow_up[cand] & ~has_need & ~flag  # fix first: a call to find and fix a detractor's problem

    hours, weight = _channel_hours(p, acc.n, cand, rng)
    # A pitch adds to the time of serving a need; on an outbound contact the pitch is the conversation.
    need_hours = np.where(need == PURCHASE, p.hours_purchase, p.hours_service) + np.where(flag, p.hours_pitch, 0.0)
    hours = np.where(has_need, need_hours, np.where(flag, np.maximum(hours, p.hours_pitch), hours))
    hours = hours + np.where(flag, w.prep_hours[slot], 0.0)
    hours = np.where(call_back, p.hours_call, hours)
    weight = np.where(has_need | flag | call_back, 1.0, weight)

    # What the rep expects, from its own read of each buyer (never the intent outcomes are drawn from).
    skill = w.skill[slot]
    close_need = skill * np.where(need == PURCHASE, acc.need_read[cand], 0.0)
    read_play = acc.play_read[cand]
    close_play = skill * np.where(flag, read_play + (1.0 - read_play) * w.persuasion[slot], 0.0)
    p_close = 1.0 - (1.0 - close_need) * (1.0 - close_play)
    value = close_need * acc.need_value[cand] + close_play * acc.play_value[cand]
    pay_exp = p.commission_rate * value + np.where(flag, p_close * p.banner_bonus, 0.0)

    size = np.clip(np.sqrt(acc.spend_of(cand) / p.mean_spend), p.size_weight_min, p.size_weight_max)
    neglect = np.minimum(1.0, acc.since[cand] / p.neglect_horizon)
    # How much serving each kind of work matters to a service-minded rep (urgency_service, ...).
    urgency = np.where(need == SERVICE, p.urgency_service,
                       np.where(need == PURCHASE, p.urgency_purchase,
                                np.where(call_back, p.urgency_service, p.urgency_contact * weight * neglect)))
    care = w.care[slot] * size * urgency

    # An opening moves the measured rate toward its chance of closing: below the target it counts against the
    # rep, above it for (pressure is already weighed by the rep's worry of missing the target).
    margin = p_close - p.banner_target
    u = pay_exp + care + np.where(flag, w.audit[slot] + w.pressure[slot] * margin, 0.0)

    # Prospecting blocks, one-hour outbound work appended after the accounts.
    n_slots = w.hours.size
    b_slot, b_hours = _prospect_blocks(float(p.prospect_hours), n_slots)
    open_seats = np.flatnonzero(~acc.active & (acc.winback_left <= 0))
    open_share = np.bincount(acc.rep[open_seats], minlength=n_slots) / np.maximum(acc.seats_by_slot, 1.0)
    b_u = np.where(w.covered[b_slot], p.prospect_drive * b_hours * open_share[b_slot], 0.0)
    n_cand = cand.size
    slot = np.concatenate([slot, b_slot])
    hours = np.concatenate([hours, b_hours])
    u = np.concatenate([u, b_u])
    has_need = np.concatenate([has_need, np.zeros(b_slot.size, bool)])

    positive = u > 0
    # Customers who came with a need are served before outbound work; within each tier the best
    # utility per hour goes first; ties go to the lower account id (prospecting blocks after accounts).
    ratio = np.where(positive, u / hours, 0.0)
    tier = np.where(positive, np.where(has_need, 0.0, 1.0), 2.0)
    order = work_order(slot, tier, ratio)
    h_sorted = np.where(positive[order], hours[order], 0.0)
    s_sorted = slot[order]
    take_sorted = positive[order] & (running_total_within(s_sorted, h_sorted) <= w.hours[s_sorted])
    take_all = np.zeros(slot.size, bool)
    take_all[order] = take_sorted
    take = take_all[:n_cand]
    prospecting = np.bincount(b_slot[take_all[n_cand:]], weights=b_hours[take_all[n_cand:]], minlength=n_slots)

    opened = cand[take]
    selling = (need[take] == PURCHASE) | flag[take]
    return Plan(opened=opened, weight=weight[take], hours=hours[:n_cand][take], selling=selling,
                declined=cand[flag & ~positive[:n_cand]], prospecting=prospecting)
