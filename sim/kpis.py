"""Every KPI defined once, with its label, unit and exactly what it counts.

The model adds weekly counts to a :class:`Ledger`; KPIs are functions of the
ledger's totals over the measured weeks (after the burn-in). Money KPIs are
annualised (per 52 weeks) so runs of different length compare. The names of
the main KPIs are contracts with the rest of the system and are never renamed.

A KPI whose events never happened (a close rate with no banner opened, a time
to fix with nothing fixed) is NaN, shown as "–", never a silent 0; each
KPI's docstring says when it is NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

WEEKS_PER_YEAR = 52.0

# Weekly counts the model records (one DataCollector column each).
COUNTS = (
    "banner_opened", "banner_closed", "banner_expired", "banner_avoided",
    "banner_opened_willing", "banner_avoided_willing",
    "purchase_opened", "purchase_closed",
    "revenue", "revenue_gross", "revenue_potential", "lost_churn", "lost_avoidance",
    "hidden_concessions", "official_discounts", "big_deals",
    "churned_neglect", "churned_service", "churned_pitch", "churned_price", "exposure",
    "hours_selling", "hours_paid", "quits", "rep_weeks", "vacant_slots", "escalations",
    "issues_open", "issues_fixed", "fix_weeks", "unwanted_pitches", "remedies",
    "customers_won", "won_marketing", "won_referral", "won_prospecting", "hours_prospecting",
    # money (M12), booked by sim.economics
    "cost_goods", "pay_base", "pay_commission", "pay_bonus", "pay_relationship",
    "cost_hours", "cost_needs", "cost_fixes", "cost_management", "cost_acquisition", "cost_audits",
)
# Weekly levels (stocks) recorded alongside.
LEVELS = ("rep_stress_mean", "nps", "active_accounts", "failure_rate", "banners_up")
PAY_KEYS = ("pay_base", "pay_commission", "pay_bonus", "pay_relationship")
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

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip()


KPIS: dict[str, KPI] = {}


def kpi(name: str, label: str, unit: str, nan_when: str | None = None, better: int = 0
        ) -> Callable[[Callable[[Ledger], float]], Callable[[Ledger], float]]:
    """Register a KPI function under its contract name; ``nan_when`` says when it has no value and
    ``better`` which way is good for the business (0: none, e.g. a higher reported close rate may
    only mean more avoidance)."""

    def deco(fn: Callable[[Ledger], float]) -> Callable[[Ledger], float]:
        KPIS[name] = KPI(name, label, unit, fn, nan_when, better)
        return fn

    return deco


def _annual(t: Ledger, key: str) -> float:
    return _ratio(t.total[key] * WEEKS_PER_YEAR, t.weeks)


@kpi("reported_banner_close_rate", "Banner close rate (reported)", "fraction",
     nan_when="no banner account was opened")
def reported_banner_close_rate(t: Ledger) -> float:
    """Banner closes / banner accounts opened: the rate management sees (NaN if none was opened)."""
    return _ratio(t.total["banner_closed"], t.total["banner_opened"])


@kpi("true_banner_conversion", "Banner conversion (true)", "fraction",
     nan_when="no banner was raised", better=1)
def true_banner_conversion(t: Ledger) -> float:
    """Banner closes / all banner opportunities, opened or left to expire (NaN if no banner was raised)."""
    return _ratio(t.total["banner_closed"], t.total["banner_opened"] + t.total["banner_expired"])


@kpi("banner_avoidance_rate", "Banner accounts avoided", "fraction",
     nan_when="no banner was raised", better=-1)
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


@kpi("reporting_gap", "Reported minus true banner rate", "fraction",
     nan_when="no banner account was opened", better=-1)
def reporting_gap(t: Ledger) -> float:
    """Reported banner close rate minus true banner conversion: what avoidance hides."""
    return reported_banner_close_rate(t) - true_banner_conversion(t)


@kpi("revenue", "Revenue (net, per year)", "currency/year", better=1)
def revenue(t: Ledger) -> float:
    """Recurring spend of active accounts plus closed deals, less official discounts and hidden concessions."""
    return _annual(t, "revenue")


@kpi("revenue_potential", "Revenue potential (per year)", "currency/year", better=1)
def revenue_potential(t: Ledger) -> float:
    """What the book would have paid: spend of every initial account (churned ones too) plus every
    willing buyer's deal among needs and banner plays."""
    return _annual(t, "revenue_potential")


@kpi("revenue_lost", "Revenue lost (per year)", "currency/year", better=-1)
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


@kpi("profit", "Profit (per year)", "currency/year", better=1)
def profit(t: Ledger) -> float:
    """Net revenue less cost of goods, pay, cost to serve, management, acquisition and audit costs."""
    return revenue(t) - sum(_annual(t, k) for k in COST_KEYS)


@kpi("profit_margin", "Profit margin", "fraction of net revenue",
     nan_when="there was no revenue", better=1)
def profit_margin(t: Ledger) -> float:
    """Profit / net revenue (NaN if there was no revenue)."""
    return _ratio(profit(t), revenue(t))


@kpi("pay_cost", "Pay cost (per year)", "currency/year", better=-1)
def pay_cost(t: Ledger) -> float:
    """Everything reps are paid: base salary, commission, banner, close-rate and quota bonuses,
    retention and NPS pay."""
    return sum(_annual(t, k) for k in PAY_KEYS)


@kpi("cost_to_serve", "Cost to serve (per year)", "currency/year", better=-1)
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
     nan_when="there were no customers", better=-1)
def annual_churn_rate(t: Ledger) -> float:
    """1 - exp(-52 x churn events / active account-weeks): the annual churn implied by the weekly hazard
    (NaN if there were no customers)."""
    churned = sum(t.total[f"churned_{c}"] for c in ("neglect", "service", "pitch", "price"))
    return 1.0 - math.exp(-WEEKS_PER_YEAR * _ratio(churned, t.total["exposure"]))


def _churn_share(t: Ledger, cause: str) -> float:
    churned = sum(t.total[f"churned_{c}"] for c in ("neglect", "service", "pitch", "price"))
    return _ratio(t.total[f"churned_{cause}"], churned)


@kpi("churn_share_neglect", "Churn share: neglect", "fraction",
     nan_when="no customer left")
def churn_share_neglect(t: Ledger) -> float:
    """Share of churned accounts whose recorded cause is neglect (no value-adding contact, unserved needs);
    NaN, like every churn share, if no customer left."""
    return _churn_share(t, "neglect")


@kpi("churn_share_service", "Churn share: service failure", "fraction",
     nan_when="no customer left")
def churn_share_service(t: Ledger) -> float:
    """Share of churned accounts lost to an unresolved product or service failure."""
    return _churn_share(t, "service")


@kpi("churn_share_pitch", "Churn share: unwanted pitch", "fraction",
     nan_when="no customer left")
def churn_share_pitch(t: Ledger) -> float:
    """Share of churned accounts lost right after a sales pitch they did not want."""
    return _churn_share(t, "pitch")


@kpi("churn_share_price", "Churn share: price", "fraction",
     nan_when="no customer left")
def churn_share_price(t: Ledger) -> float:
    """Share of churned accounts lost to price (competitors, or an open price problem)."""
    return _churn_share(t, "price")


@kpi("nps", "Net promoter score", "score -100..100",
     nan_when="no customer is left at the end", better=1)
def nps(t: Ledger) -> float:
    """% promoters (score 9-10) minus % detractors (0-6) among active accounts at the end of the run
    (NaN with no customers left)."""
    return t.final_nps


@kpi("hidden_concession_share", "Hidden concessions / gross revenue", "fraction",
     nan_when="there was no gross revenue", better=-1)
def hidden_concession_share(t: Ledger) -> float:
    """Unreported discounts reps granted to keep unhappy customers, over gross revenue (NaN without revenue)."""
    return _ratio(t.total["hidden_concessions"], t.total["revenue_gross"])


@kpi("rep_stress_mean", "Rep stress (mean)", "0-1", better=-1)
def rep_stress_mean(t: Ledger) -> float:
    """Mean over measured weeks of the average stress of reps in post."""
    return _ratio(t.stress_sum, t.weeks)


@kpi("rep_turnover_rate", "Rep turnover per year", "quits per rep-year",
     nan_when="no rep was in post", better=-1)
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
    """Hours on purchase needs, banner pitches, prospecting and big-deal chasing / paid hours."""
    return _ratio(t.total["hours_selling"], t.total["hours_paid"])


@kpi("vacancy_share", "Share of books uncovered", "fraction", better=-1)
def vacancy_share(t: Ledger) -> float:
    """Slot-weeks with no rep in post / all slot-weeks."""
    return _ratio(t.total["vacant_slots"], t.total["vacant_slots"] + t.total["rep_weeks"])


@kpi("quota_attainment", "Reps reaching quota", "fraction",
     nan_when="no quarter ended in the measured weeks", better=1)
def quota_attainment(t: Ledger) -> float:
    """Share of rep-quarters in which the deal quota was met (NaN if no quarter ended in the measured weeks)."""
    return _mean(t.quota_hits)


@kpi("revenue_cv_reps", "Deal revenue variability", "coefficient of variation",
     nan_when="no quarter ended in the measured weeks, or no deal revenue")
def revenue_cv_reps(t: Ledger) -> float:
    """Coefficient of variation of deal revenue across rep-quarters ("flash in the pan"); NaN without a
    measured quarter or with no deal revenue."""
    x = np.asarray(t.rep_quarter_revenue)
    return float(x.std() / x.mean()) if x.size and x.mean() > 0 else NAN


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


# What each unit allows; a KPI whose unit is not listed here may take any value.
UNIT_RANGES = {
    "fraction": (0.0, 1.0),
    "0-1": (0.0, 1.0),
    "score -100..100": (-100.0, 100.0),
    "quits per rep-year": (0.0, WEEKS_PER_YEAR),
    "count/year": (0.0, math.inf),
    "accounts/year": (0.0, math.inf),
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
