"""Reps and managers: few, rich deciders, kept as Mesa agents.

A rep decides how hard the close-rate target bites (felt pressure), how much
serving a customer is worth to it (care), whether to gamble on a big deal,
when to escalate, and whether to quit. Which accounts to open each week is
also the rep's decision; it is computed for all reps at once over their books
in :mod:`sim.worklist`, from the per-rep weights these agents set.

A manager coaches in a style, reviews the team on a cadence, may audit
avoided banner accounts, and passes escalations to leadership with a
probability.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np
from scipy.special import ndtr

from sim.kpis import FAR_BEHIND_QUOTAS
from sim.policies import pay
from sim.policies.coaching import style

if TYPE_CHECKING:
    from sim.model import SalesModel
    from sim.params import Params


class Rep(mesa.Agent):
    """A sales rep in charge of one book of accounts (a slot)."""

    def __init__(self, model: SalesModel, slot: int, manager: Manager, skill: float,
                 service_orientation: float, focus: float) -> None:
        super().__init__(model)
        self.slot = slot
        self.manager = manager
        self.skill = skill
        self.service_orientation = service_orientation
        self.focus_trait = focus
        self.stress = 0.0
        self.period_deals = 0.0  # deal revenue booked this pay period
        self.quota = 0.0  # this period's quota (0 = none)
        self.quota_at_hire = 0.0
        self.target = 0.0  # what the firm expects the rep to sell in a period (the quota before any ratchet)
        self.run_mean = 0.0  # the rep's own run rate: weekly deal revenue, exponentially weighted
        self.run_var = 0.0  # and its week-to-week variance
        self.period_commission = 0.0  # commission earned this period (what a draw tops up)
        self.period_weeks = 0  # weeks in post this period
        self.commission_earned = 0.0  # over the rep's tenure, and what clawbacks took back of it
        self.commission_clawed = 0.0
        self.banner_opened = 0.0  # decaying window behind the measured close rate
        self.banner_closed = 0.0
        self.escalated_until: dict[int, int] = {}

    def rescale_quota(self, factor: float, has_quota: bool) -> None:
        """A new plan mid-run: the firm's expectation scales by ``factor``; the quota follows it, or goes (none)."""
        self.target *= factor
        if not has_quota:
            self.quota = self.quota_at_hire = 0.0
        elif self.quota_at_hire > 0:
            self.quota *= factor
            self.quota_at_hire *= factor
        else:  # the plan gains a quota: the rep gets the firm's expectation
            self.quota = self.quota_at_hire = self.target

    # --- what the rep feels and weighs -----------------------------------
    @property
    def measured_rate(self) -> float:
        """Banner close rate as management sees it (recent window, lightly shrunk)."""
        p = self.model.p
        return (self.banner_closed + p.close_rate_prior * p.close_rate_prior_openings) / (
            self.banner_opened + p.close_rate_prior_openings)

    def skill_now(self) -> float:
        """Chance of converting a willing buyer this week; stress erodes it (M3)."""
        return self.skill * (1.0 - self.model.p.stress_skill_penalty * self.stress)

    def target_worry(self, week: int) -> float:
        """The chance, as the rep can judge it, that its measured close rate is below target at the next review.

        The rep knows its own window: the openings the window will hold anew by the review (the rest decays)
        are uncertain, each closing at about its current rate, so the rate at the review is spread around
        today's. A rep comfortably above target has nothing to fear; one far below it expects to miss.
        """
        return target_worries([self], week)[0]

    def _worry_terms(self, week: int) -> tuple[float, float]:
        """The gap of the measured close rate below target, and its spread at the next review."""
        p = self.model.p
        weeks_left = p.review_weeks - week % p.review_weeks  # this week included
        fresh = self.banner_opened * (1.0 - p.close_rate_memory ** weeks_left)
        rate = self.measured_rate
        spread = math.sqrt(rate * (1.0 - rate) * fresh) / (self.banner_opened + p.close_rate_prior_openings)
        return p.banner_target - rate, spread

    def felt_pressure(self, worry: float) -> float:
        """Currency-equivalent cost of one unit of close-rate shortfall per banner opening (M1, M3).

        Weighed by ``worry``: a shortfall only costs the rep if the review may find it below target.
        """
        p = self.model.p
        mandate = p.enforcement * p.pressure_stake * self.manager.coaching.pressure
        return (mandate + pay.close_rate_bonus_stake(p)) * (1.0 + p.stress_sensitivity * self.stress) * worry

    def banner_attention(self, worry: float) -> float:
        """How much a rep held to the target invests in each banner play it opens (0-1): enforcement x worry."""
        return self.model.p.enforcement * worry

    def persuasion(self, attention: float) -> float:
        """Share of a hesitant buyer's reluctance the rep's preparation of a banner play overcomes."""
        return self.model.p.prep_lift * attention

    def care_weight(self) -> float:
        """Weight on serving the customer for its own sake and for relationship-linked pay (M5)."""
        p = self.model.p
        care = self.manager.coaching.care
        return (self.service_orientation * care + pay.relationship_pay_weight(p)) * p.intrinsic_value

    def audit_cost(self) -> float:
        """Expected cost of leaving a banner account unopened when audits look for avoidance."""
        return self.model.p.audits * self.model.p.audit_penalty

    def focus(self, week: int) -> float:
        """Share of selling time spent chasing one big deal (M6)."""
        attained = self.period_deals / self.quota if self.quota > 0 else 1.0
        model = self.model
        chased = self.focus_trait + pay.quota_gamble(model.plan.of_slot(self.slot).p, week, attained)
        cap = model.p.focus_cap
        return float(chased if chased < cap else cap)  # min(cap, chased), as min breaks ties and NaN

    @property
    def clawback_share(self) -> float:
        """Share of its commission the rep has seen clawed back: what it expects to lose of the next one."""
        return self.commission_clawed / self.commission_earned if self.commission_earned > 0 else 0.0

    def start_record(self, weekly_deals: float) -> None:
        """A new rep's run rate before it has one: what the firm expects of its book, spread by the prior."""
        self.run_mean = weekly_deals
        spread = self.model.p.forecast_cv_prior * weekly_deals
        self.run_var = spread * spread

    def record_sales(self, deals: float, commission: float) -> None:
        """This week's deal revenue and commission: the period's totals and the rep's run rate move."""
        memory = self.model.p.pay_forecast_memory
        self.period_deals += deals
        self.period_commission += commission
        self.period_weeks += 1
        self.commission_earned += commission
        miss = deals - self.run_mean
        self.run_mean += (1.0 - memory) * miss
        self.run_var = memory * (self.run_var + (1.0 - memory) * miss * miss)

    def far_behind(self, week_in_period: int, period: int) -> bool | None:
        """True if more than half a quota behind pace, False if on pace, None in between (the KPI's yardstick:
        the quota, or without one what the firm expects)."""
        yard = self.quota if self.quota > 0 else self.target
        pace = (week_in_period + 1) / period * yard
        if self.period_deals < pace - FAR_BEHIND_QUOTAS * yard:
            return True
        return False if self.period_deals >= pace else None

    # --- what happens to the rep ------------------------------------------
    def record_banner(self, opened: int, closed: int) -> None:
        """Update the window behind the measured banner close rate."""
        memory = self.model.p.close_rate_memory
        self.banner_opened = memory * self.banner_opened + opened
        self.banner_closed = memory * self.banner_closed + closed

    def update_stress(self, unserved_share: float) -> None:
        """Stress from the target gap, enforcement, coaching and workload; recovery with support (M3, M5)."""
        p = self.model.p
        manager = self.manager
        style = manager.coaching
        gap = p.banner_target - self.measured_rate
        gap = gap if gap > 0.0 else 0.0  # max(0.0, gap); the conditionals here are min and max, a call cheaper
        inflow = p.stress_gain * (p.enforcement * style.pressure * gap + p.workload_stress * unserved_share)
        inflow += style.anxiety
        one_on_one = manager.one_on_one * manager.coverage  # the share of one-to-ones that happen
        recovery = p.stress_recovery * style.recovery * (1.0 + (p.one_on_one_recovery - 1.0) * one_on_one)
        stress = self.stress + inflow - recovery * self.stress
        stress = stress if stress > 0.0 else 0.0
        self.stress = stress if stress < 1.0 else 1.0

    def wants_to_quit(self, u: float) -> bool:
        """Weekly quit decision at uniform ``u``: a base hazard plus a stress-driven one (FACTS 8)."""
        p = self.model.p
        onset = p.quit_stress_onset
        over = self.stress - onset
        hazard = p.quit_base + p.quit_stress * (over if over > 0.0 else 0.0) / (1.0 - onset)
        return bool(u < hazard)

    def escalations(self, open_old_by_category: dict[int, int], week: int, u: np.ndarray) -> list[int]:
        """Categories of recurring problems this rep pulls the fire alarm on (M9, seed 002).

        ``u`` holds one uniform per category (index = category), drawn whatever the counts.
        """
        p = self.model.p
        out = []
        for cat, count in open_old_by_category.items():
            if count < p.escalation_threshold or self.escalated_until.get(cat, -1) > week:
                continue
            if u[cat] < p.escalation_propensity:
                self.escalated_until[cat] = week + p.escalation_cooldown
                out.append(cat)
        return out


def target_worries(reps: list[Rep], week: int) -> list[float]:
    """:meth:`Rep.target_worry` of each rep, with one call of the normal CDF for all of them (the same numbers:
    the CDF is taken value by value either way)."""
    terms = [r._worry_terms(week) for r in reps]
    cdf = iter(ndtr(np.array([gap / spread for gap, spread in terms if spread > 0.0])).tolist())
    return [next(cdf) if spread > 0.0 else float(gap > 0.0) for gap, spread in terms]


class Manager(mesa.Agent):
    """A sales manager: sets the mandate's bite, coaches, reviews, audits, listens."""

    def __init__(self, model: SalesModel, slots: list[int]) -> None:
        super().__init__(model)
        self.slots = slots  # the books (rep slots) this manager is responsible for
        self.adopt(model.p)
        self.coverage = 1.0  # share of the one-to-ones and joined calls the manager's time allows

    def adopt(self, p: Params) -> None:
        """Take up the company's management levers: coaching style, one-to-ones, joined calls, listening."""
        self.style = p.coaching_style
        self.coaching = style(p, p.coaching_style)  # what the style does to the reps it coaches
        self.one_on_one = p.one_on_one
        self.joins_calls = p.joins_calls
        self.listens = p.listens

    def team(self) -> list[Rep]:
        """Reps currently in post in this manager's slots."""
        return [r for s in self.slots if (r := self.model.slot_rep[s]) is not None]

    def coach(self) -> None:
        """Weekly coaching: skill drifts toward the ceiling with teaching; close-only questions teach little.

        One-to-ones and joined calls take the manager's time; with more reps than ``manager_hours`` covers,
        each rep gets the share the time allows.
        """
        p = self.model.p
        team = self.team()
        demand = len(team) * (self.one_on_one * p.one_on_one_hours + self.joins_calls * p.joins_calls_hours)
        self.coverage = min(1.0, p.manager_hours / demand) if demand > 0 else 1.0
        lift = self.coaching.learning + self.coverage * (p.one_on_one_learning * self.one_on_one
                                                         + p.joins_calls_learning * self.joins_calls)
        for rep in team:
            rep.skill += p.learning_rate * lift * (p.skill_ceiling - rep.skill) / p.full_coaching_lift

    def audit(self, avoided_by_slot: np.ndarray) -> None:
        """At a review, catch some avoided banner accounts; being caught is stressful."""
        p = self.model.p
        if p.audits <= 0:
            return
        for rep in self.team():
            caught = self.model.streams.audits.binomial(int(avoided_by_slot[rep.slot]), p.audits)
            rep.stress = float(min(1.0, rep.stress + p.audit_stress * caught))

    def hears(self, u: float) -> bool:
        """Whether this manager passes an escalation on to leadership (at uniform ``u``)."""
        return bool(u < self.listens)
