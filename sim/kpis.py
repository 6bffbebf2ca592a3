"""Every KPI defined once, with its label, unit and exactly what it counts.

The model adds weekly counts to a :class:`Ledger`; KPIs are functions of the
ledger's totals over the measured weeks (after the burn-in). Money KPIs are
annualised (per 52 weeks) so runs of different length compare. The names of
the main KPIs are contracts with the rest of the system and are never renamed.

A KPI whose events never happened (a close rate with no banner opened, a time
to fix with nothing fixed) is NaN, shown as "–", never a silent 0; each
KPI's docstring says when it is NaN.

This module is also the one registry of what a result means, read by the report, the dashboard,
the plots and the README's tables: each KPI declares its label, unit, direction (which way is
better for the business), display format (a :mod:`sim.formatting` name) and whether it is a
headline KPI; each weekly series (:data:`WEEKLY`) the same; each churn cause
(:data:`CHURN_CAUSES`) its key, label and one colour-blind-safe colour.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.formatting import FORMATS

WEEKS_PER_YEAR = 52.0
# The definitions behind the plan KPIs (DESIGN.md, M13): a quarter's last two weeks; reps judged from week 8
# of a quarter; far behind means more than half a quota behind pace.
QUARTER_END_WEEKS = 2
FAR_BEHIND_FROM_WEEK = 8
FAR_BEHIND_QUOTAS = 0.5
# Weeks behind the rolling banner rates of the weekly table (SalesModel.timeseries) and the dashboard.
ROLLING_WEEKS = 8


@dataclass(frozen=True)
class ChurnCause:
    """One recorded cause of churn (M4 competing risks): its key, plain label, colour and cause code.

    ``code`` is the account's cause code (:data:`sim.population.CAUSE_NAMES`); ``colour`` is from the
    Okabe-Ito palette (distinguishable with the common colour-vision deficiencies), ``hatch`` a fill
    pattern so printouts can tell the stacks apart too.
    """

    key: str
    label: str
    colour: str
    code: int
    hatch: str
    doc: str

    @property
    def count(self) -> str:
        """The weekly count of accounts lost to this cause."""
        return f"churned_{self.key}"

    @property
    def cumulative(self) -> str:
        """The running total of :attr:`count` in the weekly table."""
        return f"churned_{self.key}_cum"

    @property
    def share_kpi(self) -> str:
        """The KPI of this cause's share of churn."""
        return f"churn_share_{self.key}"


# Every churn cause, in the model's order (cause codes 1-4).
CHURN_CAUSES: tuple[ChurnCause, ...] = (
    ChurnCause("neglect", "neglect", "#000000", 1, "",
               "Share of churned accounts whose recorded cause is neglect (no value-adding contact, unserved "
               "needs); NaN, like every churn share, if no customer left."),
    ChurnCause("service", "service failure", "#0072B2", 2, "//",
               "Share of churned accounts lost to an unresolved product or service failure."),
    ChurnCause("pitch", "unwanted pitch", "#CC79A7", 3, "\\\\",
               "Share of churned accounts lost right after a sales pitch they did not want."),
    ChurnCause("price", "price", "#8C8C8C", 4, "..",
               "Share of churned accounts lost to price (competitors, or an open price problem)."),
)
CAUSES_BY_KEY: dict[str, ChurnCause] = {c.key: c for c in CHURN_CAUSES}

# Weekly counts the model records (one DataCollector column each).
COUNTS = (
    "banner_opened", "banner_closed", "banner_expired", "banner_avoided",
    "banner_opened_willing", "banner_avoided_willing", "banners_raised", "banner_season",
    "purchase_opened", "purchase_closed",
    "revenue", "revenue_gross", "revenue_potential", "lost_churn", "lost_avoidance",
    "hidden_concessions", "official_discounts", "big_deals",
    *(c.count for c in CHURN_CAUSES), "exposure",
    "hours_selling", "hours_paid", "hours_overtime", "quits", "rep_weeks", "vacant_slots", "escalations",
    "issues_open", "issues_fixed", "fix_weeks", "unwanted_pitches", "remedies",
    "customers_won", "won_marketing", "won_referral", "won_prospecting", "hours_prospecting",
    # pay plans (M13): deal timing and effort against the plan
    "deal_revenue", "deal_revenue_quarter_end", "timing_discounts", "early_signings", "held_needs",
    "hours_far_behind", "weeks_far_behind", "hours_on_track", "weeks_on_track",
    # money (M12), booked by sim.economics
    "cost_goods", "pay_base", "pay_commission", "pay_bonus", "pay_relationship", "pay_draw",
    "cost_hours", "cost_needs", "cost_fixes", "cost_management", "cost_acquisition", "cost_audits",
)
# Weekly levels (stocks) recorded alongside.
LEVELS = ("rep_stress_mean", "nps", "active_accounts", "failure_rate", "banners_up")
PAY_KEYS = ("pay_base", "pay_commission", "pay_bonus", "pay_relationship", "pay_draw")
SERVE_KEYS = ("cost_hours", "cost_needs", "cost_fixes")
COST_KEYS = ("cost_goods", *PAY_KEYS, *SERVE_KEYS, "cost_management", "cost_acquisition", "cost_audits")
# Weekly money totals derived from the cost lines when a week closes.
MONEY = ("profit", "pay_cost", "cost_to_serve")
# What the weekly series (DataCollector) records: every count and level except the single cost lines,
# which the weekly totals above sum up.
SERIES = tuple(k for k in COUNTS if k not in COST_KEYS) + LEVELS + MONEY


@dataclass
class Ledger:
    """Weekly counts and their totals over the measured period."""

    week: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COUNTS + LEVELS + MONEY, 0.0))
    total: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0.0))
    stress_sum: float = 0.0
    weeks: int = 0
    rep_quarter_revenue: list[float] = field(default_factory=list)
    quota_hits: list[bool] = field(default_factory=list)
    fix_waits: list[float] = field(default_factory=list)
    final_nps: float = float("nan")
    # whole-run value and profit of each starting promoter / detractor account (set when KPIs are computed)
    start_value: dict[str, np.ndarray] = field(default_factory=dict)
    start_profit: dict[str, np.ndarray] = field(default_factory=dict)

    def new_week(self) -> None:
        for k in self.week:
            self.week[k] = 0.0

    def add(self, key: str, value: float) -> None:
        self.week[key] += float(value)

    def close_week(self, measured: bool) -> None:
        """Sum this week's money lines, and fold its counts into the totals if the week is past the burn-in."""
        w = self.week
        w["pay_cost"] = sum(w[k] for k in PAY_KEYS)
        w["cost_to_serve"] = sum(w[k] for k in SERVE_KEYS)
        w["profit"] = w["revenue"] - sum(w[k] for k in COST_KEYS)
        self.final_nps = w["nps"]
        if not measured:
            return
        for k in COUNTS:
            self.total[k] += self.week[k]
        self.stress_sum += self.week["rep_stress_mean"]
        self.weeks += 1


NAN = float("nan")


def _ratio(a: float, b: float) -> float:
    """a / b, or NaN when there is nothing to divide by (no events)."""
    return float(a / b) if b > 0 else NAN


def _mean(x) -> float:
    """Mean of a sequence, or NaN when it is empty."""
    return float(np.mean(x)) if len(x) else NAN


@dataclass(frozen=True)
class KPI:
    """One key performance indicator: name, plain label, unit and definition."""

    name: str
    label: str
    unit: str
    fn: Callable[[Ledger], float]
    nan_when: str | None = None  # the events whose absence makes it NaN; None: never NaN
    better: int = 0  # +1 higher is better for the business, -1 lower is better, 0 no preferred direction
    fmt: str = "number"  # display format: a key of sim.formatting.FORMATS
    headline: int = 0  # position among the headline KPIs (1 = first); 0: not a headline KPI

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip()

    @property
    def direction(self) -> str:
        """Which way is better for the business: 'higher', 'lower' or 'neither'."""
        return DIRECTIONS[self.better]

    def format(self, value: float, signed: bool = False) -> str:
        """The value as people read it, in this KPI's display format (``signed`` for a difference)."""
        return FORMATS[self.fmt](value, signed=signed)


DIRECTIONS = {1: "higher", -1: "lower", 0: "neither"}
KPIS: dict[str, KPI] = {}


def unit_format(unit: str) -> str:
    """The display format a unit implies: fractions as percentages, currency as money, scores, weeks."""
    for prefix, fmt in (("fraction", "percent"), ("currency", "money"), ("score", "score"), ("weeks", "weeks")):
        if unit.startswith(prefix):
            return fmt
    return "number"


def _check_meaning(name: str, better: int, fmt: str) -> None:
    """Refuse a declaration whose direction or format the readers would not understand."""
    if better not in DIRECTIONS:
        raise ValueError(f"{name}: better must be +1, -1 or 0, not {better!r}")
    if fmt not in FORMATS:
        raise ValueError(f"{name}: fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")


def kpi(name: str, label: str, unit: str, nan_when: str | None = None, better: int = 0, fmt: str | None = None,
        headline: int = 0) -> Callable[[Callable[[Ledger], float]], Callable[[Ledger], float]]:
    """Register a KPI function under its contract name; ``nan_when`` says when it has no value and
    ``better`` which way is good for the business (0: none, e.g. a higher reported close rate may
    only mean more avoidance). ``fmt`` is its display format (default: the one its unit implies, see
    :func:`unit_format`) and ``headline`` its position among the headline KPIs (0: not one)."""
    fmt = fmt or unit_format(unit)
    _check_meaning(name, better, fmt)

    def deco(fn: Callable[[Ledger], float]) -> Callable[[Ledger], float]:
        KPIS[name] = KPI(name, label, unit, fn, nan_when, better, fmt, headline)
        return fn

    return deco


def _annual(t: Ledger, key: str) -> float:
    return _ratio(t.total[key] * WEEKS_PER_YEAR, t.weeks)


def reported_close_rate(closed: float, opened: float) -> float:
    """The reported banner close rate of any span of weeks (the KPI's over the run, a room table's quarter)."""
    return _ratio(closed, opened)


def true_conversion(closed: float, opened: float, expired: float) -> float:
    """The true banner conversion of any span of weeks (the KPI's over the run, a room table's quarter)."""
    return _ratio(closed, opened + expired)


@kpi("reported_banner_close_rate", "Banner close rate (reported)", "fraction",
     nan_when="no banner account was opened", headline=7)
def reported_banner_close_rate(t: Ledger) -> float:
    """Banner closes / banner accounts opened: the rate management sees (NaN if none was opened)."""
    return reported_close_rate(t.total["banner_closed"], t.total["banner_opened"])


@kpi("true_banner_conversion", "Banner conversion (true)", "fraction",
     nan_when="no banner was raised", better=1, headline=8)
def true_banner_conversion(t: Ledger) -> float:
    """Banner closes / all banner opportunities, opened or left to expire (NaN if no banner was raised)."""
    return true_conversion(t.total["banner_closed"], t.total["banner_opened"], t.total["banner_expired"])


@kpi("banner_avoidance_rate", "Banner accounts avoided", "fraction",
     nan_when="no banner was raised", better=-1, headline=9)
def banner_avoidance_rate(t: Ledger) -> float:
    """Banner opportunities that expired after the rep chose not to open them / all banner opportunities
    (NaN if no banner was raised)."""
    return _ratio(t.total["banner_avoided"], t.total["banner_opened"] + t.total["banner_expired"])


@kpi("avoided_willing_ratio", "Willing buyers among avoided vs opened banners", "ratio",
     nan_when="no banner was avoided or none was opened")
def avoided_willing_ratio(t: Ledger) -> float:
    """Share of willing buyers among avoided banner accounts / that share among opened ones: near 0 when reps
    avoid only those who would not have bought, near 1 when they cannot tell (NaN if either count is 0)."""
    avoided = _ratio(t.total["banner_avoided_willing"], t.total["banner_avoided"])
    opened = _ratio(t.total["banner_opened_willing"], t.total["banner_opened"])
    return _ratio(avoided, opened)


@kpi("banner_rate", "Banners raised per customer-year", "count/account-year", nan_when="no customer was active")
def banner_rate(t: Ledger) -> float:
    """Banners the CRM rule raised per active customer and 52 weeks (NaN with no active account-weeks)."""
    return _ratio(t.total["banners_raised"] * WEEKS_PER_YEAR, t.total["exposure"])


@kpi("season_at_banner", "Season factor when a banner is raised", "factor", nan_when="no banner was raised")
def season_at_banner(t: Ledger) -> float:
    """Mean seasonal spend multiplier of accounts in the week a banner goes up on them (1 = an average week):
    below 1 when the CRM rule mistakes seasonal dips for lost business (NaN if no banner was raised)."""
    return _ratio(t.total["banner_season"], t.total["banners_raised"])


@kpi("reporting_gap", "Reported minus true banner rate", "fraction",
     nan_when="no banner account was opened", better=-1, headline=10)
def reporting_gap(t: Ledger) -> float:
    """Reported banner close rate minus true banner conversion: what avoidance hides."""
    return reported_banner_close_rate(t) - true_banner_conversion(t)


@kpi("revenue", "Revenue (net, per year)", "currency/year", better=1, headline=1)
def revenue(t: Ledger) -> float:
    """Recurring spend of active accounts plus closed deals, less official discounts and hidden concessions."""
    return _annual(t, "revenue")


@kpi("revenue_potential", "Revenue potential (per year)", "currency/year", better=1)
def revenue_potential(t: Ledger) -> float:
    """What the book would have paid: spend of every initial account (churned ones too) plus every
    willing buyer's deal among needs and banner plays."""
    return _annual(t, "revenue_potential")


@kpi("revenue_lost", "Revenue lost (per year)", "currency/year", better=-1, headline=5)
def revenue_lost(t: Ledger) -> float:
    """Potential minus revenue: churned spend, unserved or unconverted buyers, discounts and concessions."""
    return revenue_potential(t) - revenue(t)


@kpi("revenue_lost_churn", "Revenue lost to churn (per year)", "currency/year", better=-1)
def revenue_lost_churn(t: Ledger) -> float:
    """Spend and willing deals of accounts after they churned."""
    return _annual(t, "lost_churn")


@kpi("revenue_lost_avoidance", "Revenue lost to avoided banners (per year)", "currency/year", better=-1)
def revenue_lost_avoidance(t: Ledger) -> float:
    """Deals of willing buyers on banner accounts that reps chose not to open."""
    return _annual(t, "lost_avoidance")


@kpi("profit", "Profit (per year)", "currency/year", better=1, headline=2)
def profit(t: Ledger) -> float:
    """Net revenue less cost of goods, pay, cost to serve, management, acquisition and audit costs."""
    return revenue(t) - sum(_annual(t, k) for k in COST_KEYS)


@kpi("profit_margin", "Profit margin", "fraction of net revenue",
     nan_when="there was no revenue", better=1)
def profit_margin(t: Ledger) -> float:
    """Profit / net revenue (NaN if there was no revenue)."""
    return _ratio(profit(t), revenue(t))


@kpi("pay_cost", "Pay cost (per year)", "currency/year", better=-1, headline=3)
def pay_cost(t: Ledger) -> float:
    """Everything reps are paid: base salary, commission less clawbacks, a draw's top-ups, banner,
    close-rate and quota bonuses, retention and NPS pay."""
    return sum(_annual(t, k) for k in PAY_KEYS)


@kpi("cost_to_serve", "Cost to serve (per year)", "currency/year", better=-1, headline=4)
def cost_to_serve(t: Ledger) -> float:
    """Hours with or for customers at the hourly cost, plus a cost per need served and per problem fixed."""
    return sum(_annual(t, k) for k in SERVE_KEYS)


@kpi("cost_of_goods", "Cost of goods (per year)", "currency/year", better=-1)
def cost_of_goods(t: Ledger) -> float:
    """(1 - gross margin) x gross revenue: what the goods and services sold cost to deliver."""
    return _annual(t, "cost_goods")


@kpi("management_cost", "Management cost (per year)", "currency/year", better=-1)
def management_cost(t: Ledger) -> float:
    """Managers' salaries: the cost of the time managers give the team."""
    return _annual(t, "cost_management")


@kpi("acquisition_cost", "Acquisition cost (per year)", "currency/year", better=-1)
def acquisition_cost(t: Ledger) -> float:
    """Marketing's cost of the customers its leads won, plus reps' prospecting and big-deal hours at
    the hourly cost."""
    return _annual(t, "cost_acquisition")


@kpi("audit_effort_cost", "Audit effort (per year)", "currency/year", better=-1)
def audit_effort_cost(t: Ledger) -> float:
    """Review effort spent checking expired banner accounts for avoidance."""
    return _annual(t, "cost_audits")


@kpi("discounts", "Discounts and concessions (per year)", "currency/year", better=-1)
def discounts(t: Ledger) -> float:
    """Official discounts plus hidden concessions: the gap between gross and net revenue."""
    return _annual(t, "official_discounts") + _annual(t, "hidden_concessions")


@kpi("customers_won", "Customers won per year", "accounts/year", better=1)
def customers_won(t: Ledger) -> float:
    """New customers from marketing leads, referrals and prospecting (won-back customers included)."""
    return _annual(t, "customers_won")


@kpi("referral_share", "Share of new customers from referrals", "fraction",
     nan_when="no customer was won")
def referral_share(t: Ledger) -> float:
    """Customers won through referrals / all customers won (NaN if none was won)."""
    return _ratio(t.total["won_referral"], t.total["customers_won"])


@kpi("annual_churn_rate", "Customers lost per year", "fraction",
     nan_when="there were no customers", better=-1, headline=6)
def annual_churn_rate(t: Ledger) -> float:
    """1 - exp(-52 x churn events / active account-weeks): the annual churn implied by the weekly hazard
    (NaN if there were no customers)."""
    return 1.0 - math.exp(-WEEKS_PER_YEAR * _ratio(_churned(t), t.total["exposure"]))


def _churned(t: Ledger) -> float:
    """Accounts lost to any cause over the measured weeks."""
    return sum(t.total[c.count] for c in CHURN_CAUSES)


def _churn_share_kpi(cause: ChurnCause) -> None:
    """Register the KPI of one cause's share of churned accounts (NaN if no customer left)."""

    def share(t: Ledger) -> float:
        return _ratio(t.total[cause.count], _churned(t))

    share.__name__ = share.__qualname__ = cause.share_kpi
    share.__doc__ = cause.doc
    kpi(cause.share_kpi, f"Churn share: {cause.label}", "fraction", nan_when="no customer left",
        headline=CHURN_SHARE_HEADLINE + cause.code - 1)(share)


# The churn shares follow the headline KPIs above them, in the causes' order.
CHURN_SHARE_HEADLINE = 15
for _cause in CHURN_CAUSES:
    _churn_share_kpi(_cause)
del _cause


@kpi("nps", "Net promoter score", "score -100..100",
     nan_when="no customer is left at the end", better=1, headline=11)
def nps(t: Ledger) -> float:
    """% promoters (score 9-10) minus % detractors (0-6) among active accounts at the end of the run
    (NaN with no customers left)."""
    return t.final_nps


@kpi("hidden_concession_share", "Hidden concessions / gross revenue", "fraction",
     nan_when="there was no gross revenue", better=-1, headline=14)
def hidden_concession_share(t: Ledger) -> float:
    """Unreported discounts reps granted to keep unhappy customers, over gross revenue (NaN without revenue)."""
    return _ratio(t.total["hidden_concessions"], t.total["revenue_gross"])


@kpi("rep_stress_mean", "Rep stress (mean)", "0-1", better=-1, headline=12)
def rep_stress_mean(t: Ledger) -> float:
    """Mean over measured weeks of the average stress of reps in post."""
    return _ratio(t.stress_sum, t.weeks)


@kpi("rep_turnover_rate", "Rep turnover per year", "quits per rep-year",
     nan_when="no rep was in post", better=-1, headline=13)
def rep_turnover_rate(t: Ledger) -> float:
    """Quits per rep-year in post; a leaver's last week counts as a week in post (NaN if no rep was in post).

    At most 52 (every rep quitting in its first week); about the annual share of reps who leave when
    quits are rare."""
    return _ratio(t.total["quits"] * WEEKS_PER_YEAR, t.total["rep_weeks"])


@kpi("escalations", "Escalations per year", "count/year", better=-1)
def escalations(t: Ledger) -> float:
    """Recurring problems reps raised with their manager (fire alarms), per year."""
    return _annual(t, "escalations")


@kpi("win_rate_purchase", "Win rate on purchase needs", "fraction",
     nan_when="no purchase need was opened", better=1)
def win_rate_purchase(t: Ledger) -> float:
    """Purchase needs closed / purchase needs opened (NaN if none was opened)."""
    return _ratio(t.total["purchase_closed"], t.total["purchase_opened"])


@kpi("selling_time_share", "Share of rep time selling", "fraction",
     nan_when="no rep was in post")
def selling_time_share(t: Ledger) -> float:
    """Hours on purchase needs, banner pitches, prospecting and big-deal chasing / hours worked (paid hours
    plus the unpaid overtime of reps sprinting under their pay plan)."""
    return _ratio(t.total["hours_selling"], t.total["hours_paid"] + t.total["hours_overtime"])


@kpi("vacancy_share", "Share of books uncovered", "fraction", better=-1)
def vacancy_share(t: Ledger) -> float:
    """Slot-weeks with no rep in post / all slot-weeks."""
    return _ratio(t.total["vacant_slots"], t.total["vacant_slots"] + t.total["rep_weeks"])


@kpi("quota_attainment", "Reps reaching quota", "fraction",
     nan_when="no pay period ended in the measured weeks, or the plan has no quota", better=1)
def quota_attainment(t: Ledger) -> float:
    """Share of rep-periods (quarters, or years under an annual plan) in which the deal quota was met; under
    a team quota, the team's. NaN if no period ended in the measured weeks or the plan sets no quota."""
    return _mean(t.quota_hits)


@kpi("revenue_cv_reps", "Deal revenue variability", "coefficient of variation",
     nan_when="no quarter ended in the measured weeks, or no deal revenue")
def revenue_cv_reps(t: Ledger) -> float:
    """Coefficient of variation of deal revenue across rep-quarters ("flash in the pan"); NaN without a
    measured quarter or with no deal revenue."""
    x = np.asarray(t.rep_quarter_revenue)
    return float(x.std() / x.mean()) if x.size and x.mean() > 0 else NAN


@kpi("quarter_end_share", "Deal revenue in quarters' last two weeks", "fraction of deal revenue",
     nan_when="no deal was booked")
def quarter_end_share(t: Ledger) -> float:
    """Share of deal revenue (account deals, big deals and early signings, at list price) booked in the last
    two weeks of a 13-week quarter; even booking gives 2/13 (about 15 %). NaN if no deal was booked."""
    return _ratio(t.total["deal_revenue_quarter_end"], t.total["deal_revenue"])


@kpi("timing_discount_share", "Timing discounts", "fraction of gross revenue",
     nan_when="there was no revenue", better=-1)
def timing_discount_share(t: Ledger) -> float:
    """Discounts given to make customers sign before a pay period's end, over gross revenue (NaN without
    revenue)."""
    return _ratio(t.total["timing_discounts"], t.total["revenue_gross"])


@kpi("early_signings", "Purchases signed early (per year)", "accounts/year")
def early_signings(t: Ledger) -> float:
    """Purchases customers were asked to sign before a period's end, at a discount, per year."""
    return _annual(t, "early_signings")


@kpi("held_needs", "Purchases held back (per year)", "needs/year")
def held_needs(t: Ledger) -> float:
    """Purchase needs reps left waiting for the next pay period because it pays them more, per year (counted
    each week they wait)."""
    return _annual(t, "held_needs")


@kpi("effort_far_behind_ratio", "Selling hours of reps far behind, over those on pace", "ratio",
     nan_when="no rep was far behind, or none on pace, from week 8 of a quarter")
def effort_far_behind_ratio(t: Ledger) -> float:
    """Selling hours per rep-week of reps more than half a quota behind pace, over those of reps on pace,
    from week 8 of a quarter (the same share of a year under annual plans); without a quota the yardstick
    is what the firm expects a rep to sell. Below 1: reps far behind give up. NaN if either group is empty."""
    far = _ratio(t.total["hours_far_behind"], t.total["weeks_far_behind"])
    on = _ratio(t.total["hours_on_track"], t.total["weeks_on_track"])
    return _ratio(far, on)


@kpi("pay_per_revenue", "Pay cost per unit of revenue", "fraction of net revenue",
     nan_when="there was no revenue", better=-1)
def pay_per_revenue(t: Ledger) -> float:
    """Everything reps are paid (:func:`pay_cost`) over net revenue (NaN without revenue)."""
    return _ratio(pay_cost(t), revenue(t))


@kpi("time_to_fix", "Weeks to fix a reported problem", "weeks",
     nan_when="nothing was fixed", better=-1)
def time_to_fix(t: Ledger) -> float:
    """Mean weeks from a problem's report to its fix, the firm's ticket clock (NaN if nothing was fixed)."""
    return _mean(t.fix_waits)


@kpi("value_per_promoter", "Revenue per starting promoter", "currency/account",
     nan_when="the book started with no promoter", better=1)
def value_per_promoter(t: Ledger) -> float:
    """Mean net revenue over the whole run of accounts that started as promoters, until each first
    left (churned accounts included); NaN if the book started with none."""
    return _mean(t.start_value.get("promoter", ()))


@kpi("value_per_detractor", "Revenue per starting detractor", "currency/account",
     nan_when="the book started with no detractor", better=1)
def value_per_detractor(t: Ledger) -> float:
    """Mean net revenue over the whole run of accounts that started as detractors, as for promoters."""
    return _mean(t.start_value.get("detractor", ()))


@kpi("profit_per_promoter", "Profit per starting promoter", "currency/account",
     nan_when="the book started with no promoter", better=1)
def profit_per_promoter(t: Ledger) -> float:
    """Mean whole-run profit of accounts that started as promoters: net revenue less cost of goods,
    commission, cost to serve and relationship pay traced to the account, plus the referrals it brought
    valued at the marketing cost of a customer (NaN if the book started with none)."""
    return _mean(t.start_profit.get("promoter", ()))


@kpi("profit_per_detractor", "Profit per starting detractor", "currency/account",
     nan_when="the book started with no detractor", better=1)
def profit_per_detractor(t: Ledger) -> float:
    """As for promoters, for accounts that started as detractors; the customers they deterred are
    charged, so it can be negative."""
    return _mean(t.start_profit.get("detractor", ()))


@kpi("detractors_below_zero", "Starting detractors worth less than nothing", "fraction",
     nan_when="the book started with no detractor", better=-1)
def detractors_below_zero(t: Ledger) -> float:
    """Share of starting detractors whose whole-run profit is negative (NaN if the book started with none)."""
    x = t.start_profit.get("detractor", ())
    return _mean(np.asarray(x) < 0)


def headline_kpis(churn_shares: bool = True) -> tuple[str, ...]:
    """The headline KPIs in reading order (money first); ``churn_shares=False`` leaves out the churn
    shares, which charts draw as one stacked bar of causes rather than as KPIs of their own."""
    shares = {c.share_kpi for c in CHURN_CAUSES}
    ranked = sorted((k for k in KPIS.values() if k.headline), key=lambda k: k.headline)
    return tuple(k.name for k in ranked if churn_shares or k.name not in shares)


HEADLINE: tuple[str, ...] = headline_kpis()


def label(name: str) -> str:
    """The plain label of a KPI (or else of a weekly series), or the name itself if neither is declared."""
    if name in KPIS:
        return KPIS[name].label
    return WEEKLY[name].label if name in WEEKLY else name


def display_format(name: str) -> str:
    """The display format of a KPI (or else of a weekly series); 'number' if neither is declared."""
    if name in KPIS:
        return KPIS[name].fmt
    return WEEKLY[name].fmt if name in WEEKLY else "number"


# --- the weekly series ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklySeries:
    """One column of the weekly table: plain label, unit, direction and display format, as for a KPI.

    ``kind`` says how the column is made: ``count`` (a week's events), ``level`` (a stock at the
    week's end), ``money`` (a week's money total), ``rolling`` (a rate over the last
    :data:`ROLLING_WEEKS` weeks) or ``cumulative`` (a running total from week 0).
    """

    name: str
    label: str
    unit: str
    kind: str
    better: int = 0
    fmt: str = "number"

    @property
    def direction(self) -> str:
        """Which way is better for the business: 'higher', 'lower' or 'neither'."""
        return DIRECTIONS[self.better]

    def format(self, value: float, signed: bool = False) -> str:
        """The value as people read it, in this series' display format."""
        return FORMATS[self.fmt](value, signed=signed)


WEEKLY: dict[str, WeeklySeries] = {}
SERIES_KINDS = ("count", "level", "money", "rolling", "cumulative")


def weekly(name: str, label: str, unit: str, kind: str = "count", better: int = 0, fmt: str | None = None) -> None:
    """Declare a weekly series; ``fmt`` defaults to the one its unit implies (see :func:`unit_format`)."""
    fmt = fmt or unit_format(unit)
    _check_meaning(name, better, fmt)
    if kind not in SERIES_KINDS:
        raise ValueError(f"{name}: kind must be one of {', '.join(SERIES_KINDS)}, not {kind!r}")
    WEEKLY[name] = WeeklySeries(name, label, unit, kind, better, fmt)


_ACC, _CUR, _HRS = "accounts/week", "currency/week", "hours/week"
weekly("banner_opened", "Banner accounts opened", _ACC, fmt="count")
weekly("banner_closed", "Banner accounts closed", _ACC, better=1, fmt="count")
weekly("banner_expired", "Banners expired unopened", _ACC, better=-1, fmt="count")
weekly("banner_avoided", "Banners avoided by the rep", _ACC, better=-1, fmt="count")
weekly("banner_opened_willing", "Willing buyers among opened banners", _ACC, fmt="count")
weekly("banner_avoided_willing", "Willing buyers among avoided banners", _ACC, better=-1, fmt="count")
weekly("banners_raised", "Banners raised by the CRM rule", _ACC, fmt="count")
weekly("banner_season", "Sum of the season factors of the banners raised", "factor x accounts/week")
weekly("purchase_opened", "Purchase needs opened", _ACC, fmt="count")
weekly("purchase_closed", "Purchase needs closed", _ACC, better=1, fmt="count")
weekly("revenue", "Revenue (net) per week", _CUR, better=1)
weekly("revenue_gross", "Revenue (gross) per week", _CUR, better=1)
weekly("revenue_potential", "Revenue potential per week", _CUR, better=1)
weekly("lost_churn", "Revenue lost to churn per week", _CUR, better=-1)
weekly("lost_avoidance", "Revenue lost to avoided banners per week", _CUR, better=-1)
weekly("hidden_concessions", "Hidden concessions per week", _CUR, better=-1)
weekly("official_discounts", "Official discounts per week", _CUR, better=-1)
weekly("big_deals", "Big-deal revenue per week", _CUR, better=1)
for _cause in CHURN_CAUSES:
    weekly(_cause.count, f"Accounts lost: {_cause.label}", _ACC, better=-1, fmt="count")
weekly("exposure", "Active account-weeks", _ACC, fmt="count")
weekly("hours_selling", "Rep hours selling", _HRS)
weekly("hours_paid", "Rep hours paid", _HRS)
weekly("hours_overtime", "Rep hours worked unpaid (sprints under the pay plan)", _HRS)
weekly("quits", "Reps who quit", "reps/week", better=-1, fmt="count")
weekly("rep_weeks", "Reps in post", "reps", fmt="count")
weekly("vacant_slots", "Books with no rep", "books", better=-1, fmt="count")
weekly("escalations", "Escalations", "count/week", better=-1, fmt="count")
weekly("issues_open", "Accounts with an open problem", "accounts", "level", better=-1, fmt="count")
weekly("issues_fixed", "Problems fixed", "count/week", better=1, fmt="count")
weekly("fix_weeks", "Weeks the fixed problems waited", "weeks", better=-1, fmt="number")
weekly("unwanted_pitches", "Unwanted pitches", "count/week", better=-1, fmt="count")
weekly("remedies", "Official remedies granted", "count/week", fmt="count")
weekly("customers_won", "Customers won", _ACC, better=1, fmt="count")
weekly("won_marketing", "Customers won from marketing leads", _ACC, better=1, fmt="count")
weekly("won_referral", "Customers won through referrals", _ACC, better=1, fmt="count")
weekly("won_prospecting", "Customers won by prospecting", _ACC, better=1, fmt="count")
weekly("hours_prospecting", "Rep hours prospecting", _HRS)
weekly("deal_revenue", "Deal revenue (list price)", _CUR, better=1)
weekly("deal_revenue_quarter_end", "Deal revenue in a quarter's last two weeks", _CUR)
weekly("timing_discounts", "Early-signing discounts", _CUR, better=-1)
weekly("early_signings", "Purchases signed early", _ACC, fmt="count")
weekly("held_needs", "Purchase needs held for the next pay period", _ACC, better=-1, fmt="count")
weekly("hours_far_behind", "Selling hours of reps far behind quota", _HRS)
weekly("weeks_far_behind", "Reps far behind quota", "reps", fmt="count")
weekly("hours_on_track", "Selling hours of reps on pace", _HRS)
weekly("weeks_on_track", "Reps on pace", "reps", fmt="count")
weekly("rep_stress_mean", "Mean rep stress", "0-1", "level", better=-1)
weekly("nps", "Net promoter score", "score -100..100", "level", better=1)
weekly("active_accounts", "Active customers", "accounts", "level", better=1, fmt="count")
weekly("failure_rate", "Operations failure rate", "problems per account a week", "level", better=-1)
weekly("banners_up", "Banners up", "accounts", "level", fmt="count")
weekly("profit", "Profit per week", _CUR, "money", better=1)
weekly("pay_cost", "Pay cost per week", _CUR, "money", better=-1)
weekly("cost_to_serve", "Cost to serve per week", _CUR, "money", better=-1)
# Added by SalesModel.timeseries: rolling rates and running totals.
_ROLL = f"fraction ({ROLLING_WEEKS}-week rolling)"
weekly("reported_banner_close_rate", "Banner close rate (reported)", _ROLL, "rolling")
weekly("true_banner_conversion", "Banner conversion (true)", _ROLL, "rolling", better=1)
weekly("banner_avoidance_rate", "Banner accounts avoided", _ROLL, "rolling", better=-1)
weekly("revenue_lost_cum", "Revenue lost so far (cumulative)", "currency", "cumulative", better=-1)
weekly("profit_cum", "Profit so far (cumulative)", "currency", "cumulative", better=1)
for _cause in CHURN_CAUSES:
    weekly(_cause.cumulative, f"Accounts lost so far: {_cause.label}", "accounts", "cumulative", better=-1,
           fmt="count")
del _cause


# What each unit allows; a KPI whose unit is not listed here may take any value.
UNIT_RANGES = {
    "fraction": (0.0, 1.0),
    "0-1": (0.0, 1.0),
    "score -100..100": (-100.0, 100.0),
    "quits per rep-year": (0.0, WEEKS_PER_YEAR),
    "count/year": (0.0, math.inf),
    "accounts/year": (0.0, math.inf),
    "needs/year": (0.0, math.inf),
    "weeks": (0.0, math.inf),
    "coefficient of variation": (0.0, math.inf),
    "ratio": (0.0, math.inf),
}
UNBOUNDED = (-math.inf, math.inf)
NON_NEGATIVE_MONEY = {"revenue_potential", "pay_cost", "cost_to_serve", "cost_of_goods", "management_cost",
                      "acquisition_cost", "audit_effort_cost", "discounts", "revenue_lost_churn",
                      "revenue_lost_avoidance", "value_per_promoter", "value_per_detractor"}
# Exceptions to the unit's range: a difference of two rates, a margin that losses can push below 0.
RANGE_OVERRIDES = {"reporting_gap": (-1.0, 1.0), "profit_margin": (-math.inf, 1.0)}


def declared_range(k: KPI) -> tuple[float, float]:
    """The values a KPI may take: from its unit, or from the overrides above."""
    if k.name in RANGE_OVERRIDES:
        return RANGE_OVERRIDES[k.name]
    if k.name in NON_NEGATIVE_MONEY:
        return (0.0, math.inf)
    return UNIT_RANGES.get(k.unit, UNBOUNDED)


def compute(t: Ledger) -> dict[str, float]:
    """Every registered KPI from a ledger."""
    return {name: float(k.fn(t)) for name, k in KPIS.items()}
