"""How reps answer their pay plan each week: effort, which sales to hold back, which to pull in (M13).

Every answer runs through what a rep could know: its sales so far this period,
its quota, its own run rate and spread (see :class:`sim.agents.Rep`), and the
plan (:class:`sim.policies.plan.PayPlan`). From these it values the next sale
now and at the start of next period, and decides:

- **effort**: customer hours scale with (marginal rate / ``effort_reference_rate``)
  to the ``effort_elasticity``, within [``effort_min``, ``effort_max``]: a rep
  near a tier or a reachable quota sprints, one past a cap or far below an
  unreachable quota (under a draw, or with a decelerator) eases off;
- **push**: where the same sale pays more next period (past a cap, far below
  a bonus that resets, under a ratchet) a purchase need that will still be
  waiting when the period turns is worth only the difference now, so the rep
  lets it wait (in the plan kernel, :mod:`sim.kernels.worklist`);
- **pull**: in the last ``pull_weeks`` of a period, where a sale now pays more
  even after the early-signing discount than it would next period, the rep
  spends ``pull_hours`` asking customers to sign early.

Teams under ``team_quota`` share one forecast, quota and schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from sim.kernels import libm
from sim.params import Params
from sim.policies.plan import PayPlan

if TYPE_CHECKING:
    from sim.agents import Rep

# A forecast's spread never falls below this share of its quota (or of one currency unit): a numerical guard
# so a rep with a perfectly steady record still has a well-defined forecast.
_MIN_SD_SHARE = 1e-6


@dataclass
class PlanWeek:
    """Each slot's answer to the plan this week (index = slot)."""

    rate: np.ndarray  # pay per unit of sales the rep expects from a sale now
    hold_rate: np.ndarray  # what the same sale would pay at the start of next period, where that is more (else 0)
    weeks_left: np.ndarray  # weeks to the period's end, this one included
    effort: np.ndarray  # x usual customer hours
    pulls: np.ndarray  # asks customers to sign early this week
    unit: np.ndarray  # pay unit of each slot (the slot, or its manager's team)


def weeks_left(period: int, week: int) -> int:
    """Weeks to the end of the pay period, this week included."""
    return period - week % period


def effort_of(p: Params, rate: np.ndarray) -> np.ndarray:
    """Customer hours, as a multiple of the usual, that a marginal pay rate draws out of a rep."""
    ratio = np.maximum(np.asarray(rate, dtype=float), 0.0) / p.effort_reference_rate
    with np.errstate(divide="ignore"):
        return np.clip(libm.power(ratio, p.effort_elasticity), p.effort_min, p.effort_max)


def pay_units(p: Params, n_slots: int, team_of: np.ndarray | None = None) -> np.ndarray:
    """Pay unit of each slot: its own, or under a team quota its manager's (``team_of``; by default slots are
    dealt to managers in turn)."""
    slots = np.arange(n_slots)
    if not p.team_quota:
        return slots
    return np.asarray(team_of) if team_of is not None else slots % p.n_managers


class PlanResponse:
    """The reps' weekly answers to one plan; a linear plan's answer is the same every week and computed once."""

    def __init__(self, p: Params, n_slots: int, team_of: np.ndarray | None = None) -> None:
        self.p = p
        self.plan = PayPlan.of(p)
        self.unit = pay_units(p, n_slots, team_of)
        self.n_units = int(self.unit.max()) + 1
        self.steady = self.plan.linear and p.clawback_weeks == 0
        zeros = np.zeros(n_slots)
        rate = np.full(n_slots, self.plan.rate)
        self._steady_week = PlanWeek(rate, zeros, np.zeros(n_slots, np.int64), effort_of(p, rate),
                                     np.zeros(n_slots, bool), self.unit)

    def unit_sums(self, reps: list[Rep], values: list[float]) -> np.ndarray:
        """Sum per pay unit of one value per rep in post."""
        out = np.zeros(self.n_units)
        np.add.at(out, self.unit[[r.slot for r in reps]], values)
        return out

    def week(self, reps: list[Rep], week: int) -> PlanWeek:
        """What a sale is worth to each rep now and next period, and what the rep does about it."""
        p, plan = self.p, self.plan
        n = self.unit.size
        left = weeks_left(plan.period, week)
        if self.steady:
            self._steady_week.weeks_left[:] = left
            return self._steady_week
        if not reps:
            return PlanWeek(np.zeros(n), np.zeros(n), np.full(n, left), np.ones(n), np.zeros(n, bool), self.unit)
        sales = self.unit_sums(reps, [r.period_deals for r in reps])
        quota = self.unit_sums(reps, [r.quota for r in reps])
        run = self.unit_sums(reps, [r.run_mean for r in reps])
        var = self.unit_sums(reps, [r.run_var for r in reps])
        floor = _MIN_SD_SHARE * np.maximum(quota, 1.0)
        mean = sales + run * left
        sd = np.maximum(np.sqrt(var * left), floor)
        draw = p.draw * plan.period  # per rep; a team quota comes without a draw (sim.params)
        next_mean = run * plan.period
        next_sd = np.maximum(np.sqrt(var * plan.period), floor)
        next_quota = quota
        if plan.ratchet > 0:
            hire = self.unit_sums(reps, [r.quota_at_hire for r in reps])
            next_quota = np.maximum(p.ratchet_floor * hire, quota + plan.ratchet * (mean - quota))
        ratchet = p.pay_foresight * plan.ratchet
        now = plan.marginal_rate(mean, sd, quota, draw)
        later = plan.marginal_rate(next_mean, next_sd, next_quota, draw)
        if ratchet > 0:
            now = now + ratchet * plan.quota_slope(next_mean, next_sd, next_quota)
            later = later + ratchet * plan.quota_slope(next_mean, next_sd, next_quota)
        kept = np.ones(n)
        for r in reps:  # what a rep has learnt to lose to clawbacks
            kept[r.slot] = 1.0 - r.clawback_share
        rate = now[self.unit] * kept
        next_rate = later[self.unit] * kept
        hold = np.where(next_rate > rate, next_rate, 0.0)
        pulls = (left <= p.pull_weeks) & (rate * (1.0 - p.pull_discount) > next_rate) & (p.pull_hours > 0)
        return PlanWeek(rate, hold, np.full(n, left, np.int64), effort_of(p, rate), pulls, self.unit)

    def commission(self, reps: list[Rep], slot_sales: np.ndarray) -> np.ndarray:
        """Commission per unit of this week's sales for each slot: the plan's pay on the pay unit's sales
        after the week less before it, over the week's sales (a linear plan: its rate)."""
        plan = self.plan
        n = self.unit.size
        if plan.linear:
            return np.full(n, plan.rate)
        before = self.unit_sums(reps, [r.period_deals for r in reps])
        quota = self.unit_sums(reps, [r.quota for r in reps])
        added = np.bincount(self.unit, weights=slot_sales, minlength=self.n_units)
        paid = plan.commission(before + added, quota) - plan.commission(before, quota)
        per = np.divide(paid, added, out=np.zeros_like(paid), where=added > 0)
        return per[self.unit]


# Plan fields a field trial may set for some reps and not others: they change what a sale pays a rep and
# its quota, not the pay period, the pay unit, clawbacks or pay tied to banners and relationships (those
# are firm-wide in this model).
REP_PLAN_FIELDS = ("commission_rate", "quota_bonus", "quota_level", "quota_setting", "ratchet_rate",
                   "accelerator", "decelerator", "decelerator_below", "commission_cap", "draw")


class Plans:
    """The pay plans in force: one for the whole sales force, or (in a field trial) a second for some reps.

    Group 0 is the scenario's plan. :meth:`assign` puts slots on another plan from a period's start; the
    reps there answer that plan (:meth:`week`) and are paid on it (:meth:`commission`). With one group every
    answer is the single plan's own, unchanged.
    """

    def __init__(self, p: Params, n_slots: int, team_of: np.ndarray | None = None) -> None:
        self.groups = [PlanResponse(p, n_slots, team_of)]
        self.group = np.zeros(n_slots, np.int64)
        self.unit = self.groups[0].unit
        self.period = self.groups[0].plan.period

    @property
    def plan(self) -> PayPlan:
        """The scenario's plan (group 0)."""
        return self.groups[0].plan

    @property
    def single_linear(self) -> bool:
        """True if every rep is on one linear plan: each sale pays its rate, whoever sells it."""
        return len(self.groups) == 1 and self.plan.linear

    def of_slot(self, slot: int) -> PlanResponse:
        """The plan a slot's rep is on."""
        groups = self.groups
        return groups[0] if len(groups) == 1 else groups[int(self.group[slot])]

    def unit_sums(self, reps: list[Rep], values: list[float]) -> np.ndarray:
        """Sum per pay unit of one value per rep in post."""
        return self.groups[0].unit_sums(reps, values)

    def assign(self, slots: np.ndarray, p: Params, week: int) -> PlanResponse:
        """Put ``slots`` on the plan ``p`` declares from ``week``, which must start a pay period."""
        base = self.groups[0].p
        if week % self.period:
            raise ValueError(f"a plan can change only at a pay period's start (every {self.period} weeks), "
                             f"not at week {week}")
        changed = {f for f in type(p).model_fields if getattr(p, f) != getattr(base, f)}
        if not changed <= set(REP_PLAN_FIELDS):
            raise ValueError(f"only {', '.join(REP_PLAN_FIELDS)} can differ between reps; "
                             f"not {', '.join(sorted(changed - set(REP_PLAN_FIELDS)))}")
        return self._add(np.asarray(slots, np.int64), p)

    def _add(self, slots: np.ndarray, p: Params) -> PlanResponse:
        response = PlanResponse(p, self.group.size, self.unit if p.team_quota else None)
        self.groups.append(response)
        self.group[slots] = len(self.groups) - 1
        return response

    def rebuilt(self, p: Params, team_of: np.ndarray | None = None) -> Plans:
        """The same slots on the same plans under new firm-wide parameters ``p`` (a mid-run lever change):
        a trial's group keeps the plan fields it differs in from the scenario's plan."""
        out = Plans(p, self.group.size, team_of)
        base = self.groups[0].p
        for g, response in enumerate(self.groups[1:], start=1):
            own = {f: getattr(response.p, f) for f in REP_PLAN_FIELDS if getattr(response.p, f) != getattr(base, f)}
            out._add(np.flatnonzero(self.group == g), Params(**{**p.model_dump(), **own}))
        return out

    def week(self, reps: list[Rep], week: int) -> PlanWeek:
        """Each slot's answer to its own plan this week."""
        answers = [g.week(reps, week) for g in self.groups]
        if len(answers) == 1:
            return answers[0]
        out = PlanWeek(*(np.array(getattr(answers[0], f.name)) for f in fields(PlanWeek)))
        for g, answer in enumerate(answers[1:], start=1):
            on = self.group == g
            for f in fields(PlanWeek):
                getattr(out, f.name)[on] = getattr(answer, f.name)[on]
        return out

    def commission(self, reps: list[Rep], slot_sales: np.ndarray) -> np.ndarray:
        """Commission per unit of this week's sales for each slot, on the slot's own plan."""
        rates = [g.commission(reps, slot_sales) for g in self.groups]
        out = rates[0]
        for g, rate in enumerate(rates[1:], start=1):
            out = np.where(self.group == g, rate, out)
        return out
