"""Every KPI defined once, with its label, unit and exactly what it counts.

The model adds weekly counts to a :class:`Ledger`; KPIs are functions of the
ledger's totals over the measured weeks (after the burn-in). Money KPIs are
annualised (per 52 weeks) so runs of different length compare. Names in
The names of the main KPIs are contracts with the rest of the system and are never renamed.
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
    "purchase_opened", "purchase_closed",
    "revenue", "revenue_gross", "revenue_potential", "lost_churn", "lost_avoidance",
    "hidden_concessions", "official_discounts", "big_deals",
    "churned_neglect", "churned_service", "churned_pitch", "churned_price", "exposure",
    "hours_selling", "hours_paid", "quits", "rep_weeks", "vacant_slots", "escalations",
    "issues_open", "issues_fixed", "unwanted_pitches",
)
# Weekly levels (stocks) recorded alongside.
LEVELS = ("rep_stress_mean", "nps", "active_accounts", "failure_rate", "banners_up")


@dataclass
class Ledger:
    """Weekly counts and their totals over the measured period."""

    week: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COUNTS + LEVELS, 0.0))
    total: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0.0))
    stress_sum: float = 0.0
    weeks: int = 0
    rep_quarter_revenue: list[float] = field(default_factory=list)
    quota_hits: list[bool] = field(default_factory=list)
    fix_waits: list[float] = field(default_factory=list)
    final_nps: float = 0.0
    value_promoter: float = 0.0
    value_detractor: float = 0.0

    def new_week(self) -> None:
        for k in self.week:
            self.week[k] = 0.0

    def add(self, key: str, value: float) -> None:
        self.week[key] += float(value)

    def close_week(self, measured: bool) -> None:
        """Fold this week's counts into the totals if the week is past the burn-in."""
        self.final_nps = self.week["nps"]
        if not measured:
            return
        for k in COUNTS:
            self.total[k] += self.week[k]
        self.stress_sum += self.week["rep_stress_mean"]
        self.weeks += 1


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else 0.0


@dataclass(frozen=True)
class KPI:
    """One key performance indicator: name, plain label, unit and definition."""

    name: str
    label: str
    unit: str
    fn: Callable[[Ledger], float]

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip()


KPIS: dict[str, KPI] = {}


def kpi(name: str, label: str, unit: str) -> Callable[[Callable[[Ledger], float]], Callable[[Ledger], float]]:
    """Register a KPI function under its contract name."""

    def deco(fn: Callable[[Ledger], float]) -> Callable[[Ledger], float]:
        KPIS[name] = KPI(name, label, unit, fn)
        return fn

    return deco


def _annual(t: Ledger, key: str) -> float:
    return _ratio(t.total[key] * WEEKS_PER_YEAR, t.weeks)


@kpi("reported_banner_close_rate", "Banner close rate (reported)", "fraction")
def reported_banner_close_rate(t: Ledger) -> float:
    """Banner closes / banner accounts opened: the rate management sees."""
    return _ratio(t.total["banner_closed"], t.total["banner_opened"])


@kpi("true_banner_conversion", "Banner conversion (true)", "fraction")
def true_banner_conversion(t: Ledger) -> float:
    """Banner closes / all banner opportunities (opened or left to expire)."""
    return _ratio(t.total["banner_closed"], t.total["banner_opened"] + t.total["banner_expired"])


@kpi("banner_avoidance_rate", "Banner accounts avoided", "fraction")
def banner_avoidance_rate(t: Ledger) -> float:
    """Banner opportunities that expired after the rep chose not to open them / all banner opportunities."""
    return _ratio(t.total["banner_avoided"], t.total["banner_opened"] + t.total["banner_expired"])


@kpi("reporting_gap", "Reported minus true banner rate", "fraction")
def reporting_gap(t: Ledger) -> float:
    """Reported banner close rate minus true banner conversion: what avoidance hides."""
    return reported_banner_close_rate(t) - true_banner_conversion(t)


@kpi("revenue", "Revenue (net, per year)", "currency/year")
def revenue(t: Ledger) -> float:
    """Recurring spend of active accounts plus closed deals, less official discounts and hidden concessions."""
    return _annual(t, "revenue")


@kpi("revenue_potential", "Revenue potential (per year)", "currency/year")
def revenue_potential(t: Ledger) -> float:
    """What the book would have paid: spend of every initial account (churned ones too) plus every
    willing buyer's deal among needs and banner plays."""
    return _annual(t, "revenue_potential")


@kpi("revenue_lost", "Revenue lost (per year)", "currency/year")
def revenue_lost(t: Ledger) -> float:
    """Potential minus revenue: churned spend, unserved or unconverted buyers, discounts and concessions."""
    return revenue_potential(t) - revenue(t)


@kpi("revenue_lost_churn", "Revenue lost to churn (per year)", "currency/year")
def revenue_lost_churn(t: Ledger) -> float:
    """Spend and willing deals of accounts after they churned."""
    return _annual(t, "lost_churn")


@kpi("revenue_lost_avoidance", "Revenue lost to avoided banners (per year)", "currency/year")
def revenue_lost_avoidance(t: Ledger) -> float:
    """Deals of willing buyers on banner accounts that reps chose not to open."""
    return _annual(t, "lost_avoidance")


@kpi("annual_churn_rate", "Customers lost per year", "fraction")
def annual_churn_rate(t: Ledger) -> float:
    """1 - exp(-52 x churn events / active account-weeks): the annual churn implied by the weekly hazard."""
    churned = sum(t.total[f"churned_{c}"] for c in ("neglect", "service", "pitch", "price"))
    return 1.0 - math.exp(-WEEKS_PER_YEAR * _ratio(churned, t.total["exposure"]))


def _churn_share(t: Ledger, cause: str) -> float:
    churned = sum(t.total[f"churned_{c}"] for c in ("neglect", "service", "pitch", "price"))
    return _ratio(t.total[f"churned_{cause}"], churned)


@kpi("churn_share_neglect", "Churn share: neglect", "fraction")
def churn_share_neglect(t: Ledger) -> float:
    """Share of churned accounts whose recorded cause is neglect (no value-adding contact, unserved needs)."""
    return _churn_share(t, "neglect")


@kpi("churn_share_service", "Churn share: service failure", "fraction")
def churn_share_service(t: Ledger) -> float:
    """Share of churned accounts lost to an unresolved product or service failure."""
    return _churn_share(t, "service")


@kpi("churn_share_pitch", "Churn share: unwanted pitch", "fraction")
def churn_share_pitch(t: Ledger) -> float:
    """Share of churned accounts lost right after a sales pitch they did not want."""
    return _churn_share(t, "pitch")


@kpi("churn_share_price", "Churn share: price", "fraction")
def churn_share_price(t: Ledger) -> float:
    """Share of churned accounts lost to price (competitors, or an open price problem)."""
    return _churn_share(t, "price")


@kpi("nps", "Net promoter score", "score -100..100")
def nps(t: Ledger) -> float:
    """% promoters (score 9-10) minus % detractors (0-6) among active accounts at the end of the run."""
    return t.final_nps


@kpi("hidden_concession_share", "Hidden concessions / gross revenue", "fraction")
def hidden_concession_share(t: Ledger) -> float:
    """Unreported discounts reps granted to keep unhappy customers, over gross revenue."""
    return _ratio(t.total["hidden_concessions"], t.total["revenue_gross"])


@kpi("rep_stress_mean", "Rep stress (mean)", "0-1")
def rep_stress_mean(t: Ledger) -> float:
    """Mean over measured weeks of the average stress of reps in post."""
    return _ratio(t.stress_sum, t.weeks)


@kpi("rep_turnover_rate", "Rep turnover per year", "fraction")
def rep_turnover_rate(t: Ledger) -> float:
    """Quits per rep-year in post."""
    return _ratio(t.total["quits"] * WEEKS_PER_YEAR, t.total["rep_weeks"])


@kpi("escalations", "Escalations per year", "count/year")
def escalations(t: Ledger) -> float:
    """Recurring problems reps raised with their manager (fire alarms), per year."""
    return _annual(t, "escalations")


@kpi("win_rate_purchase", "Win rate on purchase needs", "fraction")
def win_rate_purchase(t: Ledger) -> float:
    """Purchase needs closed / purchase needs opened."""
    return _ratio(t.total["purchase_closed"], t.total["purchase_opened"])


@kpi("selling_time_share", "Share of rep time selling", "fraction")
def selling_time_share(t: Ledger) -> float:
    """Hours on purchase needs, banner pitches and big-deal chasing / paid hours."""
    return _ratio(t.total["hours_selling"], t.total["hours_paid"])


@kpi("vacancy_share", "Share of books uncovered", "fraction")
def vacancy_share(t: Ledger) -> float:
    """Slot-weeks with no rep in post / all slot-weeks."""
    return _ratio(t.total["vacant_slots"], t.total["vacant_slots"] + t.total["rep_weeks"])


@kpi("quota_attainment", "Reps reaching quota", "fraction")
def quota_attainment(t: Ledger) -> float:
    """Share of rep-quarters in which the deal quota was met."""
    return float(np.mean(t.quota_hits)) if t.quota_hits else 0.0


@kpi("revenue_cv_reps", "Deal revenue variability", "coefficient of variation")
def revenue_cv_reps(t: Ledger) -> float:
    """Coefficient of variation of deal revenue across rep-quarters ("flash in the pan")."""
    x = np.asarray(t.rep_quarter_revenue)
    return float(x.std() / x.mean()) if x.size and x.mean() > 0 else 0.0


@kpi("time_to_fix", "Weeks to fix a reported problem", "weeks")
def time_to_fix(t: Ledger) -> float:
    """Mean age of problems when operations fixed them."""
    return float(np.mean(t.fix_waits)) if t.fix_waits else 0.0


@kpi("value_per_promoter", "Revenue per starting promoter", "currency/account")
def value_per_promoter(t: Ledger) -> float:
    """Mean net revenue over the whole run (churned accounts included) of accounts that started as promoters."""
    return t.value_promoter


@kpi("value_per_detractor", "Revenue per starting detractor", "currency/account")
def value_per_detractor(t: Ledger) -> float:
    """Mean net revenue over the whole run (churned accounts included) of accounts that started as detractors."""
    return t.value_detractor


def compute(t: Ledger) -> dict[str, float]:
    """Every registered KPI from a ledger."""
    return {name: float(k.fn(t)) for name, k in KPIS.items()}
