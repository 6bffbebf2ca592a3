"""SalesModel: a sales unit week by week under a banner mandate, a pay scheme and a feedback loop.

One step is one week, a fixed list of named stages:

1. ``start_week``          seasons, supply disruptions, this week's spend and revenue
2. ``operations_fail``     operations create problems (product, price, service)
3. ``customers_bring_needs`` purchase and service-only needs arrive
4. ``crm_raises_banners``  the CRM rule flags accounts; surveys read satisfaction
5. ``managers_coach``      coaching moves skill; the mandate sets felt pressure
6. ``reps_work``           reps choose accounts within their hours and work them
7. ``needs_expire``        unserved needs and unworked banners lapse
8. ``operations_fix``      reported problems fixed within capacity; root causes
9. ``customers_decide``    satisfaction drifts; competing-risks churn
10. ``customers_arrive``   leads, referrals and prospecting win new customers (M11)
11. ``reps_review``        stress, escalations, reviews, audits, quotas, pay, quits, hires
12. ``record``             ledger and DataCollector

Every money flow (revenue, pay, cost to serve, discounts, ...) is booked by
:mod:`sim.economics`; the stages only say what happened.

Nothing here knows about the command line, the store or the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import pandas as pd

from sim import draw_streams as draws
from sim import kpis
from sim.agents import Manager, Rep, target_worries
from sim.book.start import book_of, sized, start_reps_from_book
from sim.draw_streams import seed_key, week_key
from sim.economics import Economics
from sim.errors import UserError
from sim.kpis import ROLLING_WEEKS
from sim.operations import Operations
from sim.params import Params
from sim.policies import crm, pay
from sim.policies.respond import Plans, PlanWeek
from sim.population import (
    NO_NEED,
    PRICE,
    PRODUCT,
    PURCHASE,
    SERVICE_ISSUE,
    Accounts,
    willingness,
)
from sim.week import Week
from sim.worklist import Plan, RepWeights, plan_week, running_total_within

if TYPE_CHECKING:
    from sim.scenario import Scenario

CAUSE_KEYS = tuple(c.count for c in kpis.CHURN_CAUSES)  # weekly churn counts, in cause-code order


WEEKLY = "weekly"  # the DataCollector table of weekly counts, levels and money


@dataclass(frozen=True)
class Streams:
    """Independent random streams, one per process, all derived from the model's seed.

    Per-seat numbers (needs, banners, contacts, outcomes, problems, surveys, churn, arrivals) are not
    drawn from these: they are computed from their address (seat, draw, week, stream) under the key drawn
    from ``counter`` (:mod:`sim.kernels.draws`, :mod:`sim.draw_streams`), so two scenarios run with the same
    seed face the same customers and the same shocks seat by seat, whatever else each of them drew: common
    random numbers, so a paired difference measures the policy. The streams here serve the starting
    population, the environment's disruptions, the fix capacity's rounding, and the few reps' and
    managers' draws (escalations, quits, hires, big deals, audits), each on its own stream.
    """

    population: np.random.Generator
    environment: np.random.Generator
    failures: np.random.Generator  # the fix capacity's rounding, one number a week
    people: np.random.Generator
    hires: np.random.Generator
    deals: np.random.Generator
    audits: np.random.Generator
    counter: np.random.Generator  # the key of the per-seat counter-based draws (sim.kernels.draws)

    @classmethod
    def spawn(cls, rng: np.random.Generator) -> Streams:
        return cls(*rng.spawn(len(fields(cls))))


def outcome_scalars(p: Params) -> np.ndarray:
    """The parameters the kernel of the opened accounts' outcomes reads, in its order."""
    return np.array([p.detractor_sat, p.pitch_hit, p.discount_demand, p.concession_discount, p.concession_weeks,
                     p.contact_gain], dtype=np.float64)


def decide_scalars(p: Params) -> np.ndarray:
    """The parameters the customers' kernel reads, in its order."""
    return np.array([p.neglect_horizon, p.sat_relax, p.neglect_decay, p.issue_drag, p.unserved_memory,
                     p.share_per_satisfaction, p.share_min, p.share_max, p.share_drift, p.churn_reference_sat,
                     p.churn_dissatisfaction_exponent, p.concession_relief, p.churn_neglect,
                     p.unserved_churn_weight, p.churn_service, p.churn_pitch, p.churn_price, p.price_issue_churn],
                    dtype=np.float64)


class SalesModel(mesa.Model):
    """Reps, managers and a vectorised book of accounts, one week per step.

    Args:
        params: all levers and behavioural parameters; defaults if omitted.
        rng: seed or numpy Generator; same seed, same results.
        record_weekly: keep the weekly series (one DataCollector row a week, :meth:`weekly`). Batch runs that
            need only the KPIs (sensitivity analyses, calibration) turn it off; the KPIs are the same either way.
        **overrides: parameter values that replace those in ``params``.

    Example:
        >>> m = SalesModel(rng=1, enforcement=1.0, banner_target=0.9).run(52)
        >>> 0 <= m.kpis()["banner_avoidance_rate"] <= 1
        True
    """

    def __init__(self, params: Params | None = None, *, rng: Any = None, record_weekly: bool = True,
                 **overrides: Any) -> None:
        from sim.kernels.warm import before_first_run

        before_first_run()  # the command line compiles an empty kernel cache in parallel, once
        super().__init__(rng=rng)
        self.record_weekly = record_weekly
        p = (params or Params()).replace(**overrides) if overrides else (params or Params())
        self.book = book_of(p)  # the book of business the unit starts from, if any (docs/book.md)
        if self.book is not None:
            p = sized(p, self.book)
        self.p = p
        self.week = 0
        self.streams = Streams.spawn(self.rng)
        self.seed_key = seed_key(self.streams.counter)
        self.acc = Accounts(p, p.n_reps, self.streams.population, self.book)
        self.ops = Operations(p)
        self.ledger = kpis.Ledger()
        self.econ = Economics(p, self.acc, self.ledger)
        teams = self.book.teams() if self.book else [list(range(i, p.n_reps, p.n_managers))
                                                     for i in range(p.n_managers)]
        self.managers = [Manager(self, team) for team in teams]
        self._manager_of = {s: m for m in self.managers for s in m.slots}
        team_of = np.array([self.managers.index(self._manager_of[s]) for s in range(p.n_reps)])
        self.plan = Plans(p, p.n_reps, team_of)  # the pay plans and the reps' answers to them (M13)
        # What each slot has sold and been paid (commission, quota bonus, draw top-up) since the start:
        # tallies a field trial with reps as units reads; no decision uses them.
        self.slot_sales = np.zeros(p.n_reps)
        self.slot_pay = np.zeros(p.n_reps)
        self.slot_rep: list[Rep | None] = [self._hire(s, experienced=True) for s in range(p.n_reps)]
        if self.book is not None:
            start_reps_from_book(self, self.book)
        self.vacant_for = np.zeros(p.n_reps, np.int32)
        self._valued_spend = float(np.median(self.acc.spend))  # 'valued' accounts: above the initial median
        self.avoided_since_review = np.zeros(p.n_reps)
        self.now = Week.start(np.ones(self.acc.n), np.zeros(self.acc.n), p.n_reps)  # this week's hand-overs
        self._remedy_left = np.full(p.n_reps, p.remedy_budget)  # official-discount budget left this quarter
        self._remedy_hours = np.zeros(p.n_reps)  # hours last week's remedies take from this week
        self._quarter_active = self.acc.active.copy()  # customers at the start of the quarter
        self._start_promoter = np.flatnonzero(self.acc.start_score >= 9)
        self._start_detractor = np.flatnonzero((self.acc.start_score >= 0) & (self.acc.start_score <= 6))
        # One row a week in a Mesa DataCollector table: the ledger's week as it closes (a table row is
        # appended as is; model reporters would call and deep-copy one function per column).
        self.datacollector = mesa.DataCollector(tables={WEEKLY: list(kpis.SERIES)})
        self._decide_scalars = decide_scalars(p)
        self._outcome_scalars = outcome_scalars(p)

    # --- construction -------------------------------------------------------
    @classmethod
    def from_scenario(cls, scenario: Scenario, *, rng: Any = None, **overrides: Any) -> SalesModel:
        """Build a model from a loaded scenario (see :func:`sim.scenario.load_scenario`)."""
        return cls(scenario.params, rng=rng, **overrides)

    @property
    def reps(self) -> list[Rep]:
        """Reps in post, in slot order."""
        return [r for r in self.slot_rep if r is not None]

    def _hire(self, slot: int, experienced: bool) -> Rep:
        p = self.p
        rng = self.streams.hires
        skill = p.skill_mean + p.skill_sd * rng.standard_normal() if experienced else p.new_hire_skill
        orient = min(1.0, max(0.0, float(rng.normal(p.service_orientation, p.service_orientation_sd))))
        focus = min(p.focus_cap, float(rng.exponential(p.focus_mean))) if p.focus_mean > 0 else 0.0
        rep = Rep(self, slot, self._manager_of[slot], min(1.0, max(p.skill_floor, float(skill))),
                  orient, focus)
        self.set_quota(rep)
        return rep

    def set_quota(self, rep: Rep) -> None:
        """The firm's quota for a rep: ``quota_level`` x what its book and skill should bring in a pay period
        (none under ``quota_setting = "none"``); the rep's run rate starts from the same expectation."""
        expected = self._expected_quarter_deals(rep.slot, rep.skill)
        self._set_target(rep, expected)
        rep.start_record(expected / pay.QUARTER)

    def _set_target(self, rep: Rep, expected: float) -> None:
        """Target and quota from a quarter's expected deal revenue, on the rep's own plan."""
        on = self.plan.of_slot(rep.slot)
        rep.target = on.p.quota_level * expected * (self.plan.period / pay.QUARTER)
        rep.quota = rep.quota_at_hire = rep.target if on.plan.has_quota else 0.0

    def switch_plan(self, slots: Sequence[int] | np.ndarray, changes: dict[str, Any]) -> None:
        """Put the reps in ``slots`` (and later hires there) on the plan ``changes`` makes of this one, from
        this week, which must start a pay period: the field-trial treatment of a plan randomised by rep.

        A rep keeps its quota, scaled by the new ``quota_level`` over the old; a plan without a quota sets it
        to 0, and a quota where there was none is the rep's target. So a switch to the same plan changes
        nothing, and the treated differ from the control only in what the plan changes.
        """
        p = Params(**{**self.p.model_dump(), **changes})
        chosen = np.asarray(slots, np.int64)
        was = [self.plan.of_slot(s) for s in chosen.tolist()]
        now = self.plan.assign(chosen, p, self.week)
        for s, old in zip(chosen.tolist(), was, strict=True):
            r = self.slot_rep[s]
            if r is not None:
                r.rescale_quota(now.p.quota_level / old.p.quota_level, now.plan.has_quota)

    def _expected_quarter_deals(self, slot: int, skill: float) -> float:
        """Deal revenue a rep of this skill could expect from its book in a quarter."""
        p, a = self.p, self.acc
        book = (a.rep == slot) & a.active
        per_week = p.need_rate * p.purchase_share * p.p_purchase * willingness(p, a.sat[book]) * a.deal_value(p, book)
        return float(pay.QUARTER * per_week.sum() * skill)

    # --- policy changes between weeks -------------------------------------------------
    def change_levers(self, changes: Mapping[str, object]) -> None:
        """Change levers (and pay-plan fields) from this week on; weeks already run stay as they were.

        Validated as ``--set`` values are (same messages); behaviour parameters stay fixed. The random streams
        are untouched, so a run changed at week k matches the unchanged run, draw for draw, before week k.

        Args:
            changes: lever name -> new value, e.g. ``{"enforcement": 0.0}``.

        Raises:
            ScenarioError: a name that is not a lever, or a value ``--set`` would refuse.

        Example:
            >>> m = SalesModel(rng=1, enforcement=1.0).run(26)
            >>> m.change_levers({"enforcement": 0.0}); m.p.enforcement
            0.0
        """
        from sim.scenario import changed_params

        self._adopt_params(changed_params(self.p, changes))

    def _adopt_params(self, p: Params) -> None:
        """Install new parameters and rebuild what is derived from them: the pay plan and the reps' answers to
        it, quotas (scaled by the new quota level and period), managers' practices, operations' failure rates,
        the quarter's remedy budget and the kernels' scalars."""
        old, self.p = self.p, p
        self.econ.p = p
        self.ops.adopt(p)
        for m in self.managers:
            m.adopt(p)
        team_of = np.array([self.managers.index(self._manager_of[s]) for s in range(p.n_reps)])
        was, self.plan = self.plan, self.plan.rebuilt(p, team_of)
        for r in self.reps:
            before, after = was.of_slot(r.slot).p, self.plan.of_slot(r.slot).p
            factor = ((after.quota_level * pay.PERIOD_WEEKS[after.pay_period])
                      / (before.quota_level * pay.PERIOD_WEEKS[before.pay_period]))
            r.rescale_quota(factor, self.plan.of_slot(r.slot).plan.has_quota)
        self._remedy_left = np.maximum(0.0, self._remedy_left + (p.remedy_budget - old.remedy_budget))
        self._decide_scalars = decide_scalars(p)
        self._outcome_scalars = outcome_scalars(p)

    # --- running ----------------------------------------------------------------
    def run(self, weeks: int) -> SalesModel:
        """Run ``weeks`` steps and return the model (so calls can chain)."""
        for _ in range(int(weeks)):
            self.step()
        return self

    # The week's stages, in order (see the module docstring).
    STAGES = ("start_week", "operations_fail", "customers_bring_needs", "crm_raises_banners", "managers_coach",
              "reps_work", "needs_expire", "operations_fix", "customers_decide", "customers_arrive",
              "reps_review", "record")

    def key(self, stream: int) -> np.ndarray:
        """This week's key of a per-seat stream of :mod:`sim.draw_streams` (what the compiled draws take)."""
        return week_key(self.seed_key, self.week, stream)

    def step(self) -> None:
        """One week: the named stages in order."""
        self.ledger.new_week()
        for stage in self.STAGES:
            getattr(self, stage)()
        self.week += 1

    # --- stages -------------------------------------------------------------------
    def start_week(self) -> None:
        """Seasons and disruptions set this week's spend; recurring revenue and concessions accrue; the weekly
        clocks advance (compiled passes, :mod:`sim.kernels.week`)."""
        from sim.kernels.week import spend, tick

        p, a = self.p, self.acc
        self.ops.step_disruption(a, self.streams.environment)
        season, observed = spend(a.cos_phase, a.sin_phase, a.season_angle(self.week), p.seasonality, a.wallet,
                                 a.share, a.disrupted, p.disruption_cut)
        self.now = Week.start(season, observed, p.n_reps)
        self.econ.recurring(observed)
        self.econ.discounts(observed)
        potential, lost = tick(a.active, a.ever_customer, observed, a.since, a.conc_left, a.remedy_left,
                               a.disc_left, a.disc_depth, a.pitched, a.unwanted_pitch)
        self.econ.potential(potential)  # customers and lost customers
        self.ledger.add("lost_churn", lost)

    def operations_fail(self) -> None:
        """Operations create new problems; a few customers complain."""
        self.ops.create_issues(self.acc, self.key(draws.FAILURES))

    def customers_bring_needs(self) -> None:
        """Needs arrive (on churned accounts too, as shadow demand that counts in the potential)."""
        self.acc.arrive_needs(self.p, self.now.season, self.key(draws.NEEDS))

    def crm_raises_banners(self) -> None:
        """Surveys refresh what the company knows; the CRM rule raises banners."""
        found = self.ops.survey(self.acc, self.week, self.key(draws.FEEDBACK))
        if self.p.detractor_policy == "fix_first":  # the time a pitch would take goes to a call-back
            self.acc.follow_up[found[self.acc.known_score[found] <= 6]] = True
        if self.p.nps_pay > 0 and found.size:
            promoters = found[self.acc.known_score[found] >= 9]
            covered = np.array([r is not None for r in self.slot_rep])
            self.econ.relationship_pay(promoters[covered[self.acc.rep[promoters]]], self.p.nps_pay)
        raised = crm.update_banners(self.acc, self.p, self.now.observed, self.now.season, self.key(draws.BANNERS))
        self.ledger.add("banners_raised", raised.size)
        self.ledger.add("banner_season", self.now.season[raised].sum())

    def managers_coach(self) -> None:
        """Managers coach their teams (skill drift)."""
        for m in self.managers:
            m.coach()

    def _rep_weights(self, plan: PlanWeek) -> tuple[RepWeights, np.ndarray]:
        p = self.p
        n = p.n_reps
        covered = np.zeros(n, bool)
        hours = [0.0] * n
        skill = [0.0] * n
        persuasion = [0.0] * n
        prep = [0.0] * n
        care = [0.0] * n
        pressure = [0.0] * n
        audit = [0.0] * n
        focus = [0.0] * n
        customer_hours = p.hours_per_week * (1.0 - p.admin_share)
        # Python numbers in the loop (the same values as the arrays' elements, cheaper to compute with).
        effort, pulls, remedy = plan.effort.tolist(), plan.pulls.tolist(), self._remedy_hours.tolist()
        reps, week = self.reps, self.week
        for r, worry in zip(reps, target_worries(reps, week), strict=True):
            s = r.slot
            covered[s] = True
            focus[s] = f = r.focus(week)
            pulling = p.pull_hours if pulls[s] else 0.0
            h = customer_hours * (1.0 - f) * effort[s] - remedy[s] - pulling
            hours[s] = h if h > 0.0 else 0.0  # max(0.0, h)
            skill[s] = r.skill_now()
            attention = r.banner_attention(worry)
            persuasion[s] = r.persuasion(attention)
            prep[s] = p.banner_prep_hours * attention
            care[s] = r.care_weight()
            pressure[s] = r.felt_pressure(worry)
            audit[s] = r.audit_cost()
        weights = RepWeights(covered, *(np.array(v) for v in (hours, skill, persuasion, prep, care, pressure, audit)))
        return weights, np.array(focus)

    def reps_work(self) -> None:
        """Reps choose accounts and work them: deals, pitches, service, concessions, big-deal chasing (the
        opened accounts' outcomes in one compiled pass, :func:`sim.kernels.work.outcomes`)."""
        from sim.kernels.work import close_work, outcomes

        p, a, led = self.p, self.acc, self.ledger
        pw = self.plan.week(self.reps, self.week)
        w, focus = self._rep_weights(pw)
        self._remedy_hours[:] = 0.0  # taken from this week's hours; this week's remedies take from next week's
        plan = plan_week(a, p, w, self.key(draws.CHANNELS), pw)
        o = plan.opened
        a.flag_declined[plan.declined] = True

        deal, need_closed, play_closed, flagged, willing, purchase, n_unwanted = outcomes(
            o, plan.weight, a.rep, w.skill, w.persuasion, a.flag, a.need, a.need_buy, a.need_value, a.play_intent,
            a.play_u, a.play_value, a.sat, a.since, a.pitched, a.unwanted_pitch, a.disc_depth, a.disc_left,
            a.follow_up, self.key(draws.OUTCOMES), self._outcome_scalars)
        self._problems_on_contact(o[plan.weight >= 1.0])
        if pw.hold_rate.any():
            self._count_held(o, pw)

        # Big-deal chasing ("flash in the pan", M6): lumpy new-logo revenue.
        big = np.zeros(p.n_reps)
        chase = focus * p.hours_per_week * (1.0 - p.admin_share)
        lands = w.covered & (self.streams.deals.random(p.n_reps) < p.big_deal_rate * focus * w.skill)
        big[lands] = p.big_deal_weeks * p.mean_spend
        early, early_value = self._early_signings(pw)
        early_sales = np.bincount(a.rep[early], weights=early_value * (1.0 - p.pull_discount), minlength=p.n_reps)

        if self.plan.single_linear:
            rate = None
            self.econ.deals(o, deal, pay.commission(p, deal))
        else:  # the plan's pay on each pay unit's sales this week, spread over them
            week_sales = np.bincount(a.rep[o], weights=deal, minlength=p.n_reps) + big + early_sales
            rate = self.plan.commission(self.reps, week_sales)
            self.econ.deals(o, deal, deal * rate[a.rep[o]])
        if p.clawback_weeks > 0:
            self._stake_clawback(o, deal, rate)
        self.econ.serve(o, plan.hours, a.need[o] != NO_NEED)
        (slot_deals, slot_bopen, slot_bclose, n_flagged, n_close, n_willing_drawn, n_purchase, n_need_closed,
         need_potential, play_potential, selling_hours) = close_work(
            o, a.rep, deal, need_closed, play_closed, flagged, willing, purchase, plan.hours, plan.selling, a.need,
            a.need_buy, a.need_value, a.play_value, a.play_buy, a.share, a.flag, a.flag_left, a.flag_cool,
            a.flag_declined, p.sale_share_gain, p.flag_cooldown, p.n_reps)

        slot_deals += big
        if early.size:
            slot_deals += early_sales
        slot_rate = np.full(p.n_reps, p.commission_rate) if rate is None else rate
        bopen, bclose = slot_bopen.tolist(), slot_bclose.tolist()
        deals_of, rate_of = slot_deals.tolist(), slot_rate.tolist()
        for r in self.reps:
            s = r.slot
            r.record_banner(int(bopen[s]), int(bclose[s]))
            r.record_sales(deals_of[s], rate_of[s] * deals_of[s])
        self.slot_sales += slot_deals
        self.slot_pay += slot_rate * slot_deals
        self.econ.bonus(pay.banner_pay(p, int(slot_bclose.sum())))  # vacant books open no account

        big_total = big.sum()
        chase_hours = chase[w.covered].sum()
        prospecting = plan.prospecting.sum()
        if rate is None:
            self.econ.big_deals(big_total, pay.commission(p, big_total))
        else:
            self.econ.big_deals(big_total, float((big * rate).sum()))
        if early.size:
            discount = early_value * p.pull_discount
            paid_rate = p.commission_rate if rate is None else rate[a.rep[early]]
            self.econ.early_signings(early, early_value, discount, paid_rate * (early_value - discount))
            self.econ.potential(early_value.sum())
            led.add("early_signings", early.size)
        self._record_timing(slot_deals, plan, chase, pw)
        self.now.prospecting = plan.prospecting
        self.now.selling_skill = w.skill
        self.econ.acquisition(0, prospecting + chase_hours)
        self.econ.potential(big_total)
        led.add("hours_prospecting", prospecting)
        led.add("banner_opened", n_flagged)
        led.add("banner_closed", n_close)
        led.add("banner_opened_willing", n_willing_drawn)  # as drawn, before any persuasion
        led.add("purchase_opened", n_purchase)
        led.add("purchase_closed", n_need_closed)
        self.econ.potential(need_potential)
        self.econ.potential(play_potential)
        led.add("hours_selling", selling_hours + chase_hours + prospecting)
        led.add("hours_paid", p.hours_per_week * np.count_nonzero(w.covered))
        # Unpaid overtime of reps sprinting under their plan (effort above one).
        extra = p.hours_per_week * (1.0 - p.admin_share) * (1.0 - focus) * np.maximum(pw.effort - 1.0, 0.0)
        led.add("hours_overtime", extra[w.covered].sum())
        led.add("unwanted_pitches", n_unwanted)

    def _count_held(self, opened: np.ndarray, pw: PlanWeek) -> None:
        """Count purchase needs left waiting this week by reps whose plan pays more for them next period."""
        p, a = self.p, self.acc
        pending = a.active & (a.need == PURCHASE) & (pw.hold_rate[a.rep] > 0)
        pending &= a.need_age + pw.weeks_left[a.rep] < p.need_patience
        pending[opened] = False
        self.ledger.add("held_needs", int(pending.sum()))

    def _early_signings(self, pw: PlanWeek) -> tuple[np.ndarray, np.ndarray]:
        """Reps who gain from booking now ask customers without a pending need to sign their next purchase
        early for ``pull_discount``; returns the accounts that signed and the list value of what they signed.

        Each rep offers to its largest unbought wallets first (what it knows of its book), as many as
        ``pull_hours`` allow at ``pull_offer_hours`` each. A customer accepts with ``pull_accept`` times its
        own chance of buying; its next purchase need is then already bought. A customer's answer is the
        counter-based draw at its seat on the week's timing stream, the same number in every scenario.
        """
        from sim.kernels.draws import uniforms_at

        p, a = self.p, self.acc
        none = np.zeros(0, np.int64), np.zeros(0)
        if pw.weeks_left[0] > p.pull_weeks or p.pull_weeks == 0:
            return none
        if not pw.pulls.any():
            return none
        offers = int(p.pull_hours / p.pull_offer_hours)
        cand = np.flatnonzero(a.active & (a.need == NO_NEED) & ~a.prebooked & ~a.flag & pw.pulls[a.rep])
        value = a.deal_value(p, cand)
        order = np.lexsort((cand, -value, a.rep[cand]))  # each book, largest first, ties by account id
        cand, value = cand[order], value[order]
        slot = a.rep[cand]
        rank = running_total_within(slot, np.ones(cand.size))
        cand, value = cand[rank <= offers], value[rank <= offers]
        chance = p.pull_accept * np.clip(p.p_purchase * willingness(p, a.sat[cand]), 0.0, 1.0)
        signed = uniforms_at(self.key(draws.TIMING), cand, 0) < chance
        a.prebooked[cand[signed]] = True
        return cand[signed], value[signed]

    def _stake_clawback(self, opened: np.ndarray, deal: np.ndarray, rate: np.ndarray | None) -> None:
        """Start the clawback clock on this week's sales: their commission is at stake for ``clawback_weeks``."""
        p, a = self.p, self.acc
        sold = deal > 0
        uids = opened[sold]
        paid = deal[sold] * (p.commission_rate if rate is None else rate[a.rep[uids]])
        a.claw_commission[uids] = np.where(a.claw_left[uids] > 0, a.claw_commission[uids], 0.0) + paid
        a.claw_left[uids] = p.clawback_weeks

    def _claw_back(self, gone: np.ndarray) -> None:
        """Take back the commission on accounts that churned within the clawback window of a sale."""
        a = self.acc
        hit = gone[a.claw_left[gone] > 0]
        if hit.size:
            amounts = a.claw_commission[hit]
            self.econ.clawback(hit, amounts)
            for uid, amount in zip(hit.tolist(), amounts.tolist(), strict=True):
                r = self.slot_rep[a.rep[uid]]
                if r is not None:
                    r.commission_clawed += amount
                    r.period_commission -= amount
            a.claw_left[hit] = 0
            a.claw_commission[hit] = 0.0
        live = a.claw_left > 0
        a.claw_left[live] -= 1

    def _record_timing(self, slot_deals: np.ndarray, plan: Plan, chase: np.ndarray, pw: PlanWeek) -> None:
        """Deal revenue by week of the quarter, and the selling hours of reps far behind or on pace (M13)."""
        p, led = self.p, self.ledger
        total = float(slot_deals.sum())
        led.add("deal_revenue", total)
        if self.week % pay.QUARTER >= pay.QUARTER - kpis.QUARTER_END_WEEKS:
            led.add("deal_revenue_quarter_end", total)
        period = self.plan.period
        in_period = self.week % period
        if in_period * pay.QUARTER < kpis.FAR_BEHIND_FROM_WEEK * period:  # the same share of a year
            return
        a = self.acc
        selling = np.bincount(a.rep[plan.opened], weights=plan.hours * plan.selling, minlength=p.n_reps)
        selling = (selling + plan.prospecting + chase + np.where(pw.pulls, p.pull_hours, 0.0)).tolist()
        for r in self.reps:
            behind = r.far_behind(in_period, period)
            if behind is None:
                continue
            hours_key, weeks_key = ("hours_far_behind", "weeks_far_behind") if behind else ("hours_on_track",
                                                                                         "weeks_on_track")
            led.add(hours_key, selling[r.slot])
            led.add(weeks_key, 1)

    def _problems_on_contact(self, uids: np.ndarray) -> None:
        """A live conversation surfaces problems; reps fix them officially or improvise in secret (M8)."""
        from sim.kernels.work import improvise, surface

        p, a = self.p, self.acc
        has = surface(uids, a.issue, a.issue_reported)
        if p.empowerment:
            has = self._remedy(has)
        improvise(has, a.issue_age, a.conc_left, a.wallet, a.share, a.sat, self.key(draws.CONTACTS),
                  p.concession_patience, self._valued_spend, p.concession_propensity, p.concession_weeks,
                  p.concession_recovery * p.fix_recovery)

    def _remedy(self, uids: np.ndarray) -> np.ndarray:
        """Empowered reps remedy price and service problems officially (M8, seed 003); returns the accounts
        whose problem got no remedy.

        A remedy is an official discount (``over_discount`` deeper than a hidden concession, FACTS 12) for
        ``remedy_weeks``, paid from the rep's quarterly ``remedy_budget`` at its expected cost, which calms the
        customer as a concession does. It settles a price problem; a service problem is also sent for an
        expedited official fix, which operations serve first within fix capacity. Each remedy takes the rep
        ``remedy_hours`` from next week's customer time. Once a rep's budget is spent, its customers' problems
        are left to the rep's usual improvising.
        """
        p, a = self.p, self.acc
        cand = uids[((a.issue[uids] == PRICE) | (a.issue[uids] == SERVICE_ISSUE)) & (a.remedy_left[uids] == 0)]
        depth = p.concession_discount * (1.0 + p.over_discount)
        cost = p.remedy_weeks * depth * a.spend_of(cand)
        order = np.argsort(a.rep[cand], kind="stable")  # each book in uid order
        cand, cost = cand[order], cost[order]
        slot = a.rep[cand]
        ok = running_total_within(slot, cost) <= self._remedy_left[slot]
        granted = cand[ok]
        self._remedy_left -= np.bincount(a.rep[granted], weights=cost[ok], minlength=p.n_reps)
        a.disc_left[granted] = np.maximum(a.disc_left[granted], p.remedy_weeks)
        a.disc_depth[granted] = np.maximum(a.disc_depth[granted], depth)
        a.remedy_left[granted] = p.remedy_weeks
        price = granted[a.issue[granted] == PRICE]
        a.sat[price] = np.minimum(1.0, a.sat[price] + p.fix_recovery)
        Operations.resolve(a, price)
        a.issue_expedite[granted[a.issue[granted] == SERVICE_ISSUE]] = True
        hours = np.full(granted.size, p.remedy_hours)
        self._remedy_hours += np.bincount(a.rep[granted], weights=hours, minlength=p.n_reps)
        self.econ.serve(granted, hours, np.zeros(granted.size, bool))
        self.ledger.add("remedies", granted.size)
        return np.setdiff1d(uids, granted, assume_unique=True)

    def needs_expire(self) -> None:
        """Needs nobody served and banners nobody worked lapse; willing buyers among them are lost (one
        compiled pass, :func:`sim.kernels.week.expire`)."""
        from sim.kernels.week import expire

        p, a, led = self.p, self.acc, self.ledger
        (lapsed_value, churned_value, self.now.unserved, self.now.pending, ended, avoided, avoided_willing,
         ended_value, avoided_value, avoided_by_slot) = expire(
            a.active, a.ever_customer, a.need, a.need_age, a.need_buy, a.need_value, a.unserved, a.sat, a.rep,
            a.flag, a.flag_left, a.flag_cool, a.flag_declined, a.play_buy, a.play_value, p.need_patience,
            p.unserved_hit, p.flag_cooldown, p.n_reps)
        self.econ.potential(lapsed_value)
        led.add("lost_churn", churned_value)
        led.add("banner_expired", ended)
        led.add("banner_avoided", avoided)
        led.add("banner_avoided_willing", avoided_willing)
        self.econ.potential(ended_value)
        led.add("lost_avoidance", avoided_value)
        self.econ.audits(p.audits * ended)
        self.avoided_since_review += avoided_by_slot

    def operations_fix(self) -> None:
        """Operations fix reported problems in the feedback loop's order."""
        fixed = self.ops.fix(self.acc, self.streams.failures, self.key(draws.FIXES))
        self.econ.fixes(fixed)
        self.ledger.add("issues_fixed", fixed.size)
        self.ledger.add("fix_weeks", float(sum(self.ops.fix_wait)))  # whole weeks: an exact sum in any order
        if self.week >= self.p.burn_in_weeks:
            self.ledger.fix_waits.extend(self.ops.fix_wait)
        self.ops.fix_wait.clear()

    def customers_decide(self) -> None:
        """Satisfaction drifts with neglect and open problems; churn is a competing-risks hazard (M4).

        One compiled pass over the seats (:mod:`sim.kernels.customers`); churned accounts keep their state
        frozen. A seat's two uniforms (churn, and its cause) are counter-based draws at its address, the
        second computed only for a customer who leaves.
        """
        from sim.kernels.customers import decide

        a, led = self.acc, self.ledger
        gone, causes = decide(a.active, a.sat, a.disposition, a.since, a.issue, a.issue_sev, a.issue_age,
                              a.issue_wait, a.issue_reported, a.unserved, a.share, a.conc_left, a.remedy_left,
                              a.unwanted_pitch, self.key(draws.CHURN), self._decide_scalars)
        a.lose(gone, causes, self.p.winback_weeks)
        if self.p.clawback_weeks > 0:
            self._claw_back(gone)
        counts = np.bincount(causes, minlength=len(kpis.CHURN_CAUSES) + 1)
        for cause in kpis.CHURN_CAUSES:
            led.add(cause.count, int(counts[cause.code]))
        led.add("exposure", int(np.count_nonzero(a.active)))  # customers still with us at the week's end

    def customers_arrive(self) -> None:
        """Prospects become customers: marketing leads, referrals net of deterrals, prospecting (M11).

        Each open prospect (not a customer, not lost too recently) is won with a
        weekly hazard: ``lead_rate`` plus word of mouth (promoters' referrals less
        detractors' deterrals, spread over the market's seats, never below zero
        in total) plus its territory's prospecting hours x skill x
        ``prospect_yield`` spread over the territory's seats. So inflow shrinks as
        the market fills: the book settles where inflow equals churn.
        """
        from sim.kernels.draws import uniforms_at
        from sim.kernels.week import prospects, wins

        p, a, led = self.p, self.acc, self.ledger
        key = self.key(draws.ACQUISITION)  # hazard, source, and two for a won seat's new customer
        promoters, detractors, open_ = prospects(a.active, a.sat, a.winback_left, p.promoter_sat, p.detractor_sat)
        wom = (p.referral_rate * promoters.size - p.deter_rate * detractors.size) / a.n
        h_lead = max(0.0, p.lead_rate + min(0.0, wom))
        h_ref = max(0.0, wom)
        h_pros = p.prospect_yield * self.now.selling_skill * self.now.prospecting / a.seats_by_slot
        won, marketing, referral = wins(open_, a.rep, key, h_lead, h_ref, h_pros)
        if won.size:
            a.win(p, won, self.now.season, np.vstack([uniforms_at(key, won, 2), uniforms_at(key, won, 3)]))
        self.econ.acquisition(marketing, 0.0)
        self.econ.word_of_mouth(promoters, detractors, open_.size / a.n)
        led.add("customers_won", won.size)
        led.add("won_marketing", marketing)
        led.add("won_referral", referral)
        led.add("won_prospecting", won.size - marketing - referral)

    def reps_review(self) -> None:
        """Stress, escalations, reviews with audits, quarter-end quotas, quits and hires."""
        from sim.kernels.operations import old_problems

        p, a, led = self.p, self.acc, self.ledger
        counts = old_problems(a.active, a.issue, a.issue_reported, a.issue_age, a.rep, p.escalation_age, p.n_reps,
                              SERVICE_ISSUE + 1).tolist()  # by slot, then issue code
        # One block of uniforms per week, per slot, whatever happens: keeps paired runs aligned.
        raw = self.streams.people.random((9, p.n_reps))
        luck, quit_luck = raw.T.tolist(), raw[8]  # per slot: four escalation, four hearing, one quit uniform
        unserved, pending = self.now.unserved.tolist(), self.now.pending.tolist()
        for r in self.reps:
            s = r.slot
            r.update_stress(unserved[s] / max(1, pending[s]))
            old_by_cat = {c: counts[s][c] for c in (PRODUCT, PRICE, SERVICE_ISSUE)}
            for cat in r.escalations(old_by_cat, self.week, luck[s][0:4]):
                led.add("escalations", 1)
                if r.manager.hears(luck[s][4 + cat]):
                    self.ops.hear_escalation(cat)
        if (self.week + 1) % p.review_weeks == 0:
            for m in self.managers:
                m.audit(self.avoided_since_review)
            self.avoided_since_review[:] = 0
            self._pay_close_rate_bonus()
        if (self.week + 1) % self.plan.period == 0:
            self._close_period()
        if (self.week + 1) % pay.QUARTER == 0:
            self._close_quarter()
            self._remedy_left[:] = p.remedy_budget
        self._turnover(quit_luck)

    def _pay_close_rate_bonus(self) -> None:
        """At a review, reps whose measured banner close rate meets the target earn the bonus."""
        p = self.p
        if p.close_rate_bonus <= 0:
            return
        for r in self.reps:
            if r.measured_rate >= p.banner_target:
                self.econ.bonus(p.close_rate_bonus)

    def _close_period(self) -> None:
        """Settle the pay period: quota bonuses, a draw's top-ups, the next quotas (fixed or ratcheted)."""
        p = self.p
        measured = self.week >= p.burn_in_weeks
        reps = self.reps
        if p.team_quota:  # a team meets its quota together
            unit_sales = self.plan.unit_sums(reps, [r.period_deals for r in reps])
            unit_quota = self.plan.unit_sums(reps, [r.quota for r in reps])
        for r in reps:
            on = self.plan.of_slot(r.slot)
            plan = on.plan
            if p.team_quota:
                u = self.plan.unit[r.slot]
                hit = unit_quota[u] > 0 and unit_sales[u] >= unit_quota[u]
            else:
                hit = r.quota > 0 and r.period_deals >= r.quota
            if hit:
                self.econ.bonus(plan.bonus)
                self.slot_pay[r.slot] += plan.bonus
            if plan.draw > 0:
                top_up = max(0.0, plan.draw * r.period_weeks - r.period_commission)
                self.econ.draw_top_up(top_up)
                self.slot_pay[r.slot] += top_up
            if measured:
                if plan.has_quota:
                    self.ledger.quota_hits.append(bool(hit))
                self.ledger.rep_quarter_revenue.append(r.period_deals)
            if plan.ratchet > 0:
                r.quota = max(p.ratchet_floor * r.quota_at_hire, r.quota + plan.ratchet * (r.period_deals - r.quota))
            r.period_deals = 0.0
            r.period_commission = 0.0
            r.period_weeks = 0

    def _close_quarter(self) -> None:
        """Retention pay for accounts kept through the quarter."""
        p, a = self.p, self.acc
        if p.retention_pay > 0:
            covered = np.array([r is not None for r in self.slot_rep])
            kept = np.flatnonzero(a.active & self._quarter_active & covered[a.rep])
            self.econ.relationship_pay(kept, p.retention_pay)
        self._quarter_active = a.active.copy()

    def _turnover(self, quit_luck: np.ndarray) -> None:
        """Stressed reps quit (one uniform per slot in ``quit_luck``); their book waits uncovered, then a new
        hire takes it."""
        p, led = self.p, self.ledger
        in_post = len(self.reps)  # reps who worked this week, leavers included
        led.add("rep_weeks", in_post)
        led.add("vacant_slots", p.n_reps - in_post)
        self.econ.base_pay(in_post)
        luck = quit_luck.tolist()
        for s, r in enumerate(self.slot_rep):
            if r is None:
                self.vacant_for[s] -= 1
                if self.vacant_for[s] <= 0:
                    self.slot_rep[s] = self._hire(s, experienced=False)
            elif r.wants_to_quit(luck[s]):
                led.add("quits", 1)
                r.remove()
                self.slot_rep[s] = None
                self.vacant_for[s] = p.vacancy_weeks
                if p.vacancy_weeks == 0:
                    self.slot_rep[s] = self._hire(s, experienced=False)
        reps = self.reps
        # np.mean's sum (pairwise) over its count, without np.mean's checks
        led.week["rep_stress_mean"] = float(np.array([r.stress for r in reps]).sum() / len(reps)) if reps else 0.0

    def record(self) -> None:
        """Close the week in the ledger and the DataCollector."""
        from sim.kernels.week import census

        a, led = self.acc, self.ledger
        self.econ.settle_clawbacks()
        nps, customers, banners, open_issues = census(a.active, a.sat, a.flag, a.issue, self.p.promoter_sat,
                                                      self.p.detractor_sat)
        led.week["nps"] = nps
        led.week["active_accounts"] = float(customers)
        led.week["failure_rate"] = self.ops.failure_rate_now()
        led.week["banners_up"] = float(banners)
        led.week["issues_open"] = float(open_issues)
        led.close_week(measured=self.week >= self.p.burn_in_weeks)
        if self.record_weekly:
            self.datacollector.add_table_row(WEEKLY, led.week)

    # --- results ---------------------------------------------------------------------
    def kpis(self) -> dict[str, float]:
        """Every KPI (see :mod:`sim.kpis`) over the weeks after the burn-in.

        Raises:
            UserError: if the run has not gone past the burn-in, so nothing was measured.
        """
        if self.ledger.weeks == 0:
            raise UserError(f"no week was measured: the run has {self.week} weeks and burn_in_weeks is "
                            f"{self.p.burn_in_weeks}; run more than {self.p.burn_in_weeks} weeks or lower "
                            "burn_in_weeks")
        a, led = self.acc, self.ledger
        # whole-run value and profit of each starting promoter and detractor (read when asked for)
        led.start_value = {"promoter": a.value[self._start_promoter], "detractor": a.value[self._start_detractor]}
        led.start_profit = {"promoter": a.profit[self._start_promoter], "detractor": a.profit[self._start_detractor]}
        return kpis.compute(led)

    def weekly(self) -> pd.DataFrame:
        """The weekly series as recorded (one row a week, one column per :data:`sim.kpis.SERIES` entry).

        Raises:
            UserError: if the model was built with ``record_weekly=False``, so no week was recorded.
        """
        if not self.record_weekly:
            raise UserError("this run kept no weekly series (it was built with record_weekly=False); build the "
                            "model with record_weekly=True to read weeks")
        return self.datacollector.get_table_dataframe(WEEKLY)

    def timeseries(self, window: int = ROLLING_WEEKS) -> pd.DataFrame:
        """Weekly series: raw counts plus rolling rates over ``window`` weeks, one row a week."""
        df = self.weekly()
        df.index.name = "week"
        roll = df.rolling(window, min_periods=1).sum()
        opp = roll["banner_opened"] + roll["banner_expired"]
        df["reported_banner_close_rate"] = (roll["banner_closed"] / roll["banner_opened"]).fillna(0.0)
        df["true_banner_conversion"] = (roll["banner_closed"] / opp).fillna(0.0)
        df["banner_avoidance_rate"] = (roll["banner_avoided"] / opp).fillna(0.0)
        df["revenue_lost_cum"] = (df["revenue_potential"] - df["revenue"]).cumsum()
        df["profit_cum"] = df["profit"].cumsum()
        for cause in kpis.CHURN_CAUSES:
            df[cause.cumulative] = df[cause.count].cumsum()
        return df
