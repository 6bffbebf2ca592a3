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

from sim.kernels import per_params
from sim.params import Params
from sim.policies.respond import PlanWeek
from sim.population import Accounts


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


def running_total_within(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at each group; ``groups`` must be sorted non-negative integers
    (e.g. rep slots)."""
    total = np.cumsum(values)
    if groups.size == 0:
        return total
    counts = np.bincount(groups)
    start = (np.cumsum(counts) - counts)[groups]  # index of each group's first element (a table, not a search)
    return total - (total[start] - values[start])


@lru_cache(maxsize=8)
def _prospect_blocks(prospect_hours: float, n_slots: int) -> tuple[np.ndarray, np.ndarray]:
    """Each slot's prospecting time as one-hour blocks: (slot of each block, hours of each block)."""
    blocks = int(np.ceil(prospect_hours))
    b_slot = np.repeat(np.arange(n_slots), blocks)
    b_hours = np.tile(np.minimum(1.0, prospect_hours - np.arange(blocks)), n_slots)
    b_slot.flags.writeable = b_hours.flags.writeable = False  # shared between calls
    return b_slot, b_hours


@per_params
def plan_scalars(p: Params) -> np.ndarray:
    """The parameters the plan kernel reads, in its order (one array, so the kernel takes one argument)."""
    return np.array([p.email_share, p.visit_share, p.hours_email, p.hours_visit, p.hours_call, p.email_weight,
                     p.hours_purchase, p.hours_service, p.hours_pitch, p.need_patience, p.banner_bonus,
                     p.mean_spend, p.size_weight_min, p.size_weight_max, p.neglect_horizon, p.urgency_service,
                     p.urgency_purchase, p.urgency_contact, p.banner_target, p.prospect_drive], dtype=np.float64)


def plan_week(acc: Accounts, p: Params, w: RepWeights, key: np.ndarray, pay: PlanWeek) -> Plan:
    """Choose, for every rep at once, which accounts to open this week (one compiled pass, see
    :mod:`sim.kernels.worklist`); ``pay`` holds what a sale is worth to each rep now and next period."""
    from sim.kernels.worklist import plan

    b_slot, b_hours = _prospect_blocks(float(p.prospect_hours), w.hours.size)
    opened, weight, hours, selling, declined, prospecting = plan(
        acc.active, acc.rep, acc.need, acc.need_age, acc.flag, acc.since, acc.follow_up, acc.need_read,
        acc.play_read, acc.need_value, acc.play_value, acc.wallet, acc.share, acc.winback_left, acc.seats_by_slot,
        w.covered, w.hours, w.skill, w.persuasion, w.prep_hours, w.care, w.pressure, w.audit, pay.rate,
        pay.hold_rate, pay.weeks_left, key, b_slot, b_hours, plan_scalars(p))
    return Plan(opened=opened, weight=weight, hours=hours, selling=selling, declined=declined,
                prospecting=prospecting)
