"""Every lever and behavioural parameter of the model, declared once.

Each field carries its type, default, unit, valid range, group and the source
of its default (a figure from FACTS.md, a seed article, or a stated
assumption). Scenario files, the command line, the dashboard and the
sensitivity problems all read this one declaration.

Groups:
- ``size``: how big the simulated sales unit is;
- ``lever``: what a strategist or manager controls;
- ``behaviour``: uncertain assumptions about how reps and customers act
  (candidates for sensitivity analysis and calibration);
- ``economics``: what things cost the firm (margins, salaries, cost to serve),
  which set profit but do not enter any agent's decision.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


def _p(
    default: Any,
    unit: str,
    source: str,
    help: str,
    *,
    ge: float | None = None,
    le: float | None = None,
    group: str = "behaviour",
) -> Any:
    """Declare one parameter: default, unit, range, group and the source of the default."""
    return Field(
        default,
        ge=ge,
        le=le,
        description=help,
        json_schema_extra={"unit": unit, "source": source, "group": group},
    )


def _lever(default: Any, unit: str, source: str, help: str, **kw: Any) -> Any:
    return _p(default, unit, source, help, group="lever", **kw)


def _size(default: Any, unit: str, source: str, help: str, **kw: Any) -> Any:
    return _p(default, unit, source, help, group="size", **kw)


def _money(default: Any, unit: str, source: str, help: str, **kw: Any) -> Any:
    return _p(default, unit, source, help, group="economics", **kw)


A = "assumption"

CoachingStyle = Literal["close_focused", "neutral", "customer_focused"]
FeedbackLoop = Literal["none", "survey", "closed_loop"]
DetractorPolicy = Literal["sell_to_all", "fix_first"]
CrmRule = Literal["none", "spend_drop", "seasonality_aware", "advocacy_aware"]
PayPeriod = Literal["quarter", "year"]
QuotaSetting = Literal["fixed", "ratchet", "none"]


# The fields a scenario may also set in its [pay] table: the pay plan as a whole (M3, M6, M13).
PAY_PLAN_FIELDS = ("base_salary", "commission_rate", "banner_bonus", "close_rate_bonus", "quota_bonus",
                   "quota_level", "retention_pay", "nps_pay", "pay_period", "quota_setting", "ratchet_rate",
                   "accelerator", "decelerator", "decelerator_below", "commission_cap", "draw", "clawback_weeks",
                   "team_quota")

# Plan elements that pay against a quota, with the value that switches each off.
_QUOTA_ELEMENTS = {"quota_bonus": 0.0, "accelerator": 1.0, "decelerator": 1.0, "commission_cap": 0.0,
                   "team_quota": False}


class Params(BaseModel):
    """All parameters of one simulation; immutable, validated on construction."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    # --- size -------------------------------------------------------------
    n_reps: int = _size(20, "reps", A + ": a plausible B2B sales unit", "Sales reps", ge=1, le=2000)
    n_managers: int = _size(3, "managers", A + ": a plausible B2B sales unit", "Sales managers", ge=1, le=200)
    n_accounts: int = _size(2000, "accounts", A + ": a plausible B2B sales unit", "Customer accounts",
                            ge=10, le=1_000_000)
    burn_in_weeks: int = _size(39, "weeks", "measured: the fix queue and root-cause state settle in three "
                               "quarters (docs/model.md, experiments/stationarity.py)",
                               "Weeks run before KPIs are counted", ge=0, le=104)
    book: str = _size("", "folder", "the user's CRM export (docs/book.md); empty: a synthetic unit",
                      "Book of business the accounts and reps start from (a folder; set by a scenario's "
                      "book = ...); with a book, n_accounts, n_reps and n_managers are the book's")

    # --- mandate and banners (M1, M2, M10) --------------------------------
    banner_target: float = _lever(0.3, "fraction", "seed 000: leadership demands near-perfect closure",
                                  "Banner close-rate target", ge=0.0, le=1.0)
    enforcement: float = _lever(0.0, "0-1", "seed 000", "How hard managers enforce the banner target "
                                "(0 = not at all, 1 = strongly)", ge=0.0, le=1.0)
    crm_rule: CrmRule = _lever("advocacy_aware", "choice", "seed 004",
                               "CRM rule that raises banners (sales plays)")
    spend_drop_threshold: float = _lever(0.15, "fraction", "seed 004: 'drops by a certain amount'",
                                         "Spend drop that fires a spend-based banner", ge=0.01, le=0.9)
    flag_weeks: int = _lever(4, "weeks", A, "Weeks a banner stays up before it expires", ge=1, le=26)
    flag_cooldown: int = _lever(13, "weeks", A, "Weeks before an account can be flagged again", ge=0, le=104)

    # --- pay (M3, M6) ------------------------------------------------------
    commission_rate: float = _lever(0.05, "fraction of deal value", A + ": typical B2B commission",
                                    "Commission on closed deals", ge=0.0, le=0.5)
    banner_bonus: float = _lever(0.0, "currency per banner close", "seed 000: a banner sale pays no more",
                                 "Extra pay per banner close", ge=0.0, le=5000.0)
    close_rate_bonus: float = _lever(0.0, "currency per review", A, "Bonus per review when the rep's "
                                     "banner close rate meets the target", ge=0.0, le=20000.0)
    quota_bonus: float = _lever(0.0, "currency per quarter", "seed 001 (flash in the pan)",
                                "Lump-sum bonus when the quarterly deal quota is met", ge=0.0, le=50000.0)
    quota_level: float = _lever(1.0, "x expected deal revenue", "FACTS 5: 52-60 % reach quota",
                                "Quarterly quota relative to the rep's expected deal revenue", ge=0.2, le=3.0)
    retention_pay: float = _lever(0.0, "currency per account-quarter", A,
                                  "Pay per account kept through a quarter", ge=0.0, le=500.0)
    nps_pay: float = _lever(0.0, "currency per promoter", A, "Pay per promoter found by a survey",
                            ge=0.0, le=500.0)
    # The plan's shape (M13): a linear commission with none of these is the default.
    pay_period: PayPeriod = _lever("quarter", "choice", A + ": most B2B plans settle quarterly",
                                   "Period over which quota, tiers, cap, draw and quota bonus are settled")
    quota_setting: QuotaSetting = _lever("fixed", "choice", "FACTS 2: the firm's plan ratcheted quotas",
                                         "How each period's quota is set: fixed at hire, ratcheted from the "
                                         "last period's sales, or no quota at all")
    ratchet_rate: float = _lever(0.5, "fraction of over- or under-achievement", A,
                                 "Under a ratchet, share of last period's sales above (below) quota added to "
                                 "(taken from) the next quota", ge=0.0, le=1.0)
    accelerator: float = _lever(1.0, "x commission_rate", "FACTS 1: accelerating plans",
                                "Commission rate multiplier on sales above quota (1 = none)", ge=1.0, le=5.0)
    decelerator: float = _lever(1.0, "x commission_rate", "FACTS 2: no commission below 40 % of quota",
                                "Commission rate multiplier on sales below decelerator_below x quota "
                                "(1 = none, 0 = nothing paid there)", ge=0.0, le=1.0)
    decelerator_below: float = _lever(0.4, "x quota", "FACTS 2", "Attainment below which the decelerator "
                                      "applies", ge=0.0, le=1.0)
    commission_cap: float = _lever(0.0, "x quota", "FACTS 2: commission stopped at 120 % of quota",
                                   "Period sales above which no more commission is paid (0 = no cap)",
                                   ge=0.0, le=5.0)
    draw: float = _lever(0.0, "currency per rep-week", A, "Non-recoverable draw: at the period's end a rep "
                         "whose commission fell short of the draw is paid the difference", ge=0.0, le=5000.0)
    clawback_weeks: int = _lever(0, "weeks", A, "Commission on a deal is taken back if the account churns "
                                 "within this many weeks of the sale (0 = no clawback)", ge=0, le=52)
    team_quota: bool = _lever(False, "on/off", A, "Quota, tiers, cap and quota bonus count the sales of "
                              "the manager's whole team, not the rep's own")

    # --- management (M3, M5, M9) ------------------------------------------
    coaching_style: CoachingStyle = _lever("close_focused", "choice",
                                           "seed 001: 'When will this close?' is the common question",
                                           "What managers ask in coaching")
    one_on_one: bool = _lever(False, "on/off", "seed 001", "Managers coach each rep one-to-one")
    joins_calls: bool = _lever(False, "on/off", "seed 001", "Managers join customer calls to teach")
    audits: float = _lever(0.0, "fraction", A, "Share of avoided banner accounts a review detects",
                           ge=0.0, le=1.0)
    listens: float = _lever(0.3, "probability", "seed 003: complaints fell on deaf ears",
                            "Probability a manager passes an escalation to leadership", ge=0.0, le=1.0)
    review_weeks: int = _lever(4, "weeks", A, "Weeks between performance reviews", ge=1, le=26)
    manager_hours: float = _p(10.0, "hours per manager-week", A + ": a first-line manager's coaching time",
                              "Weekly time a manager has for one-to-ones and joined calls", ge=0.0, le=60.0)
    one_on_one_hours: float = _p(0.5, "hours per rep-week", A, "Manager time a one-to-one takes per rep",
                                 ge=0.0, le=10.0)
    joins_calls_hours: float = _p(1.0, "hours per rep-week", A, "Manager time joining a rep's calls takes",
                                  ge=0.0, le=20.0)

    # --- company and operations (M7-M10) ----------------------------------
    failure_rate: float = _lever(0.012, "issues per account-week", A + ": calibrated to churn shares (FACTS 4)",
                                 "Rate at which operations create a problem for an account", ge=0.0, le=0.2)
    fix_capacity: float = _lever(0.015, "fixes per account-week", A,
                                 "Reported issues operations can fix each week, per active account",
                                 ge=0.0, le=0.2)
    feedback_loop: FeedbackLoop = _lever("survey", "choice", "seed 004",
                                         "How customer problems reach the company")
    survey_weeks: int = _lever(13, "weeks", A + ": quarterly relationship survey", "Weeks between surveys",
                               ge=1, le=52)
    detractor_policy: DetractorPolicy = _lever("sell_to_all", "choice", "seed 004",
                                               "Whether known detractors still get sales plays")
    empowerment: bool = _lever(False, "on/off", "seed 003: lack of official power",
                               "Reps may fix price and service problems officially")
    remedy_budget: float = _lever(10000.0, "currency per rep-quarter", A + ": about 2 % of a book's quarterly revenue",
                                  "Official discounts an empowered rep may grant each quarter", ge=0.0, le=1e6)
    remedy_hours: float = _p(0.5, "hours", A, "Time an official remedy takes the rep (paperwork, approval)",
                             ge=0.0, le=10.0)
    remedy_weeks: int = _p(4, "weeks", A, "Weeks an official price remedy discounts the account", ge=1, le=52)
    over_discount: float = _p(0.5, "fraction", "FACTS 12: reps with pricing authority give away margin",
                              "How much deeper than a hidden concession an empowered rep's official discount is",
                              ge=0.0, le=3.0)
    root_fix_capacity: int = _p(3, "projects", A + ": a root-cause team per problem category",
                                "Root-cause projects the company can run at once", ge=1, le=10)
    escalation_focus_weeks: int = _p(4, "weeks", "seed 002: pulling the alarm gets attention",
                                     "Weeks a heard escalation puts its category's open fixes first", ge=0,
                                     le=52)
    fix_sla_weeks: int = _p(13, "weeks", A + ": service desks put tickets that breach their agreed wait first",
                            "Weeks a reported problem may wait before it goes to the head of the fix queue",
                            ge=1, le=104)
    disruption_rate: float = _lever(0.02, "per week", "seed 004: supply disruptions",
                                    "Probability a supply disruption starts in a week", ge=0.0, le=0.5)
    email_share: float = _lever(0.2, "fraction", "seed 001: 'customers prefer email'",
                                "Share of proactive contacts made by e-mail", ge=0.0, le=1.0)
    seasonality: float = _lever(0.25, "amplitude", "seed 004: seasonal spending declines",
                                "Amplitude of customers' seasonal spend cycle", ge=0.0, le=0.9)
    escalation_propensity: float = _lever(0.3, "probability", "seed 002: knowing when to pull the alarm",
                                          "Probability a rep escalates a recurring problem", ge=0.0, le=1.0)
    escalation_threshold: int = _lever(3, "open issues", "seed 002",
                                       "Open old issues of one kind in a book that prompt an escalation",
                                       ge=1, le=50)

    # --- rep behaviour ----------------------------------------------------
    hours_per_week: float = _p(40.0, "hours", A, "Working hours of a rep", ge=10.0, le=80.0)
    admin_share: float = _p(0.45, "fraction", "FACTS 7: 22-41 % of time selling",
                            "Share of rep time spent on internal work", ge=0.0, le=0.9)
    hours_purchase: float = _p(3.0, "hours", A, "Time to work a purchase need", ge=0.1, le=20.0)
    hours_service: float = _p(1.0, "hours", A, "Time to serve a service-only need", ge=0.1, le=20.0)
    hours_pitch: float = _p(0.5, "hours", A, "Time to pitch a banner play: added to serving a need, or the "
                            "length of an outbound sales call", ge=0.1, le=20.0)
    hours_call: float = _p(0.5, "hours", A, "Time for a proactive call", ge=0.05, le=10.0)
    hours_visit: float = _p(2.0, "hours", A, "Time for a proactive visit", ge=0.1, le=20.0)
    hours_email: float = _p(0.1, "hours", A, "Time for a proactive e-mail", ge=0.01, le=5.0)
    visit_share: float = _p(0.3, "fraction", A, "Share of non-e-mail contacts made as visits", ge=0.0, le=1.0)
    service_orientation: float = _p(0.5, "0-1", "seed 000: customers are the lifeblood",
                                    "Mean weight reps give to serving a need for its own sake", ge=0.0, le=1.0)
    intrinsic_value: float = _p(80.0, "currency-equivalent", A,
                                "What serving a need is worth to a fully service-minded rep", ge=0.0, le=1000.0)
    pressure_stake: float = _p(150.0, "currency-equivalent", A,
                               "What a unit shortfall of the banner rate costs a rep under full enforcement",
                               ge=0.0, le=10000.0)
    read_noise: float = _p(2.5, "log-odds", A + ": reps read buyers imperfectly; probed in sensitivity",
                           "Spread of a rep's read of a customer's buying intent (sd of the signal on the log-odds "
                           "scale; 0 = the rep reads intent exactly)", ge=0.0, le=10.0)
    banner_prep_hours: float = _p(0.5, "hours", A, "Extra preparation a rep fully held to the banner target "
                                  "puts into each banner play it opens", ge=0.0, le=5.0)
    prep_lift: float = _p(0.2, "fraction", A + ": what preparation buys is uncertain (seed 000 gives no figure)",
                          "Share of a hesitant buyer's reluctance that a fully prepared banner play overcomes "
                          "(0 = preparation changes nothing)", ge=0.0, le=1.0)
    audit_penalty: float = _p(300.0, "currency-equivalent", A, "Cost to a rep of an avoidance caught in audit",
                              ge=0.0, le=5000.0)
    stress_sensitivity: float = _p(0.5, "x", A, "How much stress amplifies felt pressure", ge=0.0, le=5.0)
    stress_gain: float = _p(0.05, "per week", A, "Speed at which pressure turns into stress", ge=0.0, le=1.0)
    stress_recovery: float = _p(0.08, "per week", A, "Speed at which stress fades", ge=0.0, le=1.0)
    stress_skill_penalty: float = _p(0.3, "fraction", A, "Loss of selling skill at full stress", ge=0.0, le=1.0)
    quit_base: float = _p(0.0029, "per week", "FACTS 8: 14 % a year", "Weekly quit hazard without stress",
                          ge=0.0, le=0.1)
    quit_stress: float = _p(0.01, "per week", "FACTS 8: up to 35 % a year", "Extra weekly quit hazard at "
                            "full stress", ge=0.0, le=0.5)
    vacancy_weeks: int = _p(8, "weeks", A, "Weeks a book is uncovered after a rep quits", ge=0, le=52)
    skill_mean: float = _p(0.85, "probability", A, "Mean chance a skilled rep converts a willing buyer",
                           ge=0.1, le=1.0)
    skill_sd: float = _p(0.08, "probability", A, "Spread of skill across reps", ge=0.0, le=0.5)
    new_hire_skill: float = _p(0.7, "probability", A, "Skill of a new hire", ge=0.1, le=1.0)
    book_new_hire_years: float = _p(0.5, "years", A + ": about two quarters to ramp up",
                                    "A book's reps with less tenure than this start with a new hire's skill",
                                    ge=0.0, le=10.0)
    book_win_rate_skill: float = _p(1.0, "elasticity", A + ": skill in proportion to relative win rate",
                                    "How much a book rep's win rate, relative to the book's mean, moves its "
                                    "skill from the mean (0: ignore win rates)", ge=0.0, le=2.0)
    learning_rate: float = _p(0.02, "per week", "FACTS 13: coaching lifts middle performers up to 19 %",
                              "Speed at which coaching moves skill toward its ceiling", ge=0.0, le=0.5)
    focus_mean: float = _p(0.05, "fraction", "seed 001 (flash in the pan)",
                           "Mean share of selling time a rep spends chasing one big deal", ge=0.0, le=0.8)
    quota_chase: float = _p(0.4, "fraction", A, "Extra big-deal focus of a rep behind quota late in "
                            "the quarter, at a 10,000 bonus", ge=0.0, le=1.0)
    big_deal_weeks: float = _p(400.0, "weeks of mean spend", A, "Value of a big new-logo deal",
                               ge=0.0, le=10000.0)
    big_deal_rate: float = _p(0.01, "per week", A, "Chance a full-time chase lands a big deal in a week",
                              ge=0.0, le=1.0)
    concession_propensity: float = _p(0.3, "probability", "seed 003: secret service deals",
                                      "Chance a rep without power grants a hidden concession when a "
                                      "valued customer's problem stays unfixed", ge=0.0, le=1.0)
    concession_patience: int = _p(3, "weeks", A, "Weeks an issue stays open before a rep improvises",
                                  ge=0, le=52)
    concession_discount: float = _p(0.1, "fraction of spend", "FACTS 12: pricing authority leaks profit",
                                    "Hidden discount on the account's spend", ge=0.0, le=0.9)
    concession_weeks: int = _p(8, "weeks", A, "Weeks a hidden concession lasts", ge=1, le=52)
    close_rate_prior: float = _p(0.25, "fraction", "FACTS 6", "Prior banner close rate that a rep's measured "
                                 "close rate is shrunk toward", ge=0.0, le=1.0)
    close_rate_prior_openings: float = _p(2.0, "pseudo-openings", A, "Weight of the prior in the measured close "
                                          "rate, in banner openings", ge=0.1, le=50.0)
    close_rate_memory: float = _p(0.9, "per week", A + ": a window of about ten weeks", "Weekly decay of the "
                                  "window behind the measured banner close rate", ge=0.0, le=0.99)
    audit_stress: float = _p(0.05, "stress per avoidance", A, "Stress added per avoidance caught in an audit",
                             ge=0.0, le=1.0)
    workload_stress: float = _p(0.5, "x", A, "Weight of the share of the book's needs left unserved in the "
                                "stress inflow", ge=0.0, le=5.0)
    quit_stress_onset: float = _p(0.3, "stress", A, "Stress above which the stress-driven quit hazard starts "
                                  "(reaching quit_stress at full stress)", ge=0.0, le=0.95)
    focus_cap: float = _p(0.8, "fraction", A, "Most of a rep's selling time that big-deal chasing can take",
                          ge=0.0, le=1.0)
    skill_floor: float = _p(0.1, "probability", A, "Lowest skill a rep is hired with", ge=0.0, le=1.0)
    service_orientation_sd: float = _p(0.15, "0-1", A, "Spread of service orientation across reps",
                                       ge=0.0, le=0.5)
    escalation_age: int = _p(4, "weeks", A, "Weeks an issue must be open before it counts toward an escalation",
                             ge=0, le=52)
    escalation_cooldown: int = _p(13, "weeks", A, "Weeks before a rep escalates the same category again",
                                  ge=0, le=104)
    close_rate_bonus_openings: float = _p(6.0, "banner openings per review", A, "Banner openings per rep and "
                                          "review that the close-rate bonus at risk is spread over",
                                          ge=0.5, le=100.0)
    relationship_pay_scale: float = _p(100.0, "currency", A, "Retention or NPS pay that doubles a rep's care "
                                       "weight", ge=1.0, le=100000.0)
    quota_chase_reference_bonus: float = _p(10000.0, "currency per quarter", A + ": quota_chase is set at it",
                                            "Quota bonus at which a rep behind quota chases with quota_chase",
                                            ge=100.0, le=1e6)
    quota_chase_bonus_cap: float = _p(2.0, "x reference bonus", A, "Largest multiple of the reference bonus "
                                      "that still adds to the pull of a quota bonus", ge=0.0, le=10.0)
    quota_chase_from_week: int = _p(6, "week of quarter", "seed 001: the chase comes late in the quarter",
                                    "Week of the quarter (counted from 0) from which a rep behind quota "
                                    "chases a big deal: the second half of a 13-week quarter", ge=0, le=12)
    # How reps answer the plan's shape (M13): assumptions, never fitted to FACTS 1-2 (they test the model).
    effort_elasticity: float = _p(0.3, "elasticity", A + ": effort responds to marginal pay, less than "
                                  "one for one", "Elasticity of a rep's customer hours to the expected "
                                  "marginal pay rate of the next sale", ge=0.0, le=2.0)
    effort_min: float = _p(0.6, "x usual customer hours", A, "Fewest customer hours a rep who gains "
                           "nothing at the margin still works (a rep who has given up)", ge=0.0, le=1.0)
    effort_max: float = _p(1.2, "x usual customer hours", A, "Most customer hours a rep sprinting for a "
                           "tier or quota works", ge=1.0, le=2.0)
    effort_reference_rate: float = _p(0.05, "fraction of deal value", A + ": the usual commission",
                                      "Marginal pay rate at which a rep works its usual hours", ge=0.001,
                                      le=0.5)
    pay_forecast_memory: float = _p(0.9, "per week", A, "Weight a rep's run-rate forecast keeps on past "
                                    "weeks (the rest goes to this week's deals)", ge=0.0, le=0.99)
    forecast_cv_prior: float = _p(1.0, "coefficient of variation", A, "Week-to-week spread of a new rep's "
                                  "deal revenue, relative to its mean, before it has its own record",
                                  ge=0.0, le=5.0)
    pay_foresight: float = _p(0.8, "fraction", A, "Weight a rep puts on next period's pay against this "
                              "period's (1 = none lost to waiting)", ge=0.0, le=1.0)
    ratchet_floor: float = _p(0.5, "x quota at hire", A, "Lowest a ratchet can take a rep's quota",
                              ge=0.0, le=1.0)
    pull_weeks: int = _p(2, "weeks", "FACTS 1: deals timed to the period end", "Last weeks of a pay period "
                         "in which a rep may ask customers to sign early", ge=0, le=8)
    pull_discount: float = _p(0.1, "fraction of deal value", A, "Discount a customer is offered for "
                              "signing a purchase early", ge=0.0, le=0.5)
    pull_accept: float = _p(0.5, "probability", A, "Chance a customer who would buy accepts an early-"
                            "signing offer", ge=0.0, le=1.0)
    pull_hours: float = _p(2.0, "hours per rep-week", A, "Hours a rep spends on early-signing offers in a "
                           "week it pulls deals in", ge=0.0, le=20.0)
    pull_offer_hours: float = _p(0.5, "hours per offer", A, "Time one early-signing offer takes",
                                 ge=0.05, le=5.0)
    urgency_service: float = _p(3.0, "x", A, "Urgency of a customer waiting with a service problem or request, "
                                "relative to a due check-in", ge=0.0, le=20.0)
    urgency_purchase: float = _p(3.0, "x", A + ": a customer who came to buy is waiting, like a service need",
                                 "Urgency of a customer who came to buy", ge=0.0, le=20.0)
    urgency_contact: float = _p(1.0, "x", A, "Urgency of a check-in on a fully neglected account (scaled by "
                                "channel weight and neglect)", ge=0.0, le=20.0)
    size_weight_min: float = _p(0.3, "x", A, "Least weight of an account's size (square root of spend over "
                                "mean spend) in a rep's care for it", ge=0.01, le=1.0)
    size_weight_max: float = _p(3.0, "x", A, "Most weight of an account's size in a rep's care for it",
                                ge=1.0, le=100.0)

    # --- coaching (M5): what each style, one-to-ones and joined calls do to a rep --------------
    # Assumptions bounded by FACTS 13 (coaching lifts middle performers up to about a fifth; frequent
    # unskilled coaching can hurt). Per style: pressure multiplies felt pressure from the close-rate
    # target, care the weight on serving customers, anxiety is stress added each week by the
    # conversation itself, recovery multiplies the rate at which stress fades, learning adds to skill growth.
    close_focused_pressure: float = _p(1.3, "x", "seed 001: 'When will this close?'", "Felt-pressure multiplier "
                                       "of close-focused coaching", ge=0.0, le=5.0)
    close_focused_care: float = _p(0.85, "x", "seed 001", "Care multiplier of close-focused coaching",
                                   ge=0.0, le=5.0)
    close_focused_anxiety: float = _p(0.01, "stress per week", "seed 001: the question amplifies anxiety",
                                      "Stress close-focused coaching adds each week", ge=0.0, le=0.2)
    close_focused_recovery: float = _p(1.0, "x", A, "Stress-recovery multiplier of close-focused coaching",
                                       ge=0.0, le=5.0)
    close_focused_learning: float = _p(0.0, "lift", "seed 001: close-only questions teach little",
                                       "Skill-growth lift of close-focused coaching", ge=0.0, le=2.0)
    neutral_pressure: float = _p(1.0, "x", A, "Felt-pressure multiplier of neutral coaching", ge=0.0, le=5.0)
    neutral_care: float = _p(1.0, "x", A, "Care multiplier of neutral coaching", ge=0.0, le=5.0)
    neutral_anxiety: float = _p(0.0, "stress per week", A, "Stress neutral coaching adds each week",
                                ge=0.0, le=0.2)
    neutral_recovery: float = _p(1.0, "x", A, "Stress-recovery multiplier of neutral coaching", ge=0.0, le=5.0)
    neutral_learning: float = _p(0.3, "lift", A, "Skill-growth lift of neutral coaching", ge=0.0, le=2.0)
    customer_focused_pressure: float = _p(0.6, "x", "seed 001: 'How are you helping this person?'",
                                          "Felt-pressure multiplier of customer-focused coaching", ge=0.0, le=5.0)
    customer_focused_care: float = _p(1.3, "x", "seed 001: keeps the customer in view",
                                      "Care multiplier of customer-focused coaching", ge=0.0, le=5.0)
    customer_focused_anxiety: float = _p(0.0, "stress per week", A, "Stress customer-focused coaching adds "
                                         "each week", ge=0.0, le=0.2)
    customer_focused_recovery: float = _p(1.4, "x", "seed 001: lets stress fade", "Stress-recovery multiplier "
                                          "of customer-focused coaching", ge=0.0, le=5.0)
    customer_focused_learning: float = _p(0.6, "lift", "FACTS 13: coaching lifts middle performers",
                                          "Skill-growth lift of customer-focused coaching", ge=0.0, le=2.0)
    one_on_one_recovery: float = _p(1.5, "x", A + ": stress fades faster with individual attention",
                                    "Stress-recovery multiplier of one-to-one coaching", ge=0.0, le=5.0)
    one_on_one_learning: float = _p(1.0, "lift", A, "Skill-growth lift of one-to-one coaching", ge=0.0, le=2.0)
    joins_calls_learning: float = _p(1.0, "lift", A, "Skill-growth lift of a manager joining customer calls",
                                     ge=0.0, le=2.0)
    full_coaching_lift: float = _p(3.0, "lift", A, "Coaching lift (style + one-to-ones + joined calls) at which "
                                   "skill closes learning_rate of its gap to the ceiling each week (at least "
                                   "the largest possible lift, so skill never overshoots)", ge=3.0, le=30.0)
    skill_ceiling: float = _p(1.0, "probability", A, "Skill that coaching moves reps toward", ge=0.1, le=1.0)

    # --- customer behaviour -----------------------------------------------
    mean_spend: float = _p(400.0, "currency per week", A, "Mean weekly spend of an account", ge=1.0, le=1e6)
    spend_sigma: float = _p(0.8, "log-sd", A, "Spread of account size (lognormal)", ge=0.0, le=3.0)
    need_rate: float = _p(0.08, "per account-week", A, "Chance an account brings a need in a week",
                          ge=0.0, le=1.0)
    purchase_share: float = _p(0.4, "fraction", "seed 000: many needs are service-only",
                               "Share of needs that are purchases", ge=0.0, le=1.0)
    need_patience: int = _p(2, "weeks", A, "Weeks a need waits before the customer gives up", ge=1, le=26)
    p_purchase: float = _p(0.32, "probability", "FACTS 6: 29 % win rate on qualified opportunities",
                           "Chance a purchase need is a willing buyer (at typical satisfaction)",
                           ge=0.0, le=1.0)
    p_upsell: float = _p(0.25, "probability", "FACTS 6: 21 % of all opportunities",
                         "Chance a banner play finds a willing buyer (typical account)", ge=0.0, le=1.0)
    deal_weeks: float = _p(12.0, "weeks of wallet", A, "Value of a deal in weeks of the unbought wallet",
                           ge=0.0, le=520.0)
    neglect_horizon: float = _p(12.0, "weeks", "seed 001: years without speaking",
                                "Weeks without value-adding contact until neglect bites fully", ge=1.0, le=104.0)
    neglect_decay: float = _p(0.012, "per week", "seed 001", "Satisfaction lost per week of full neglect",
                              ge=0.0, le=0.5)
    contact_gain: float = _p(0.05, "fraction", A, "Share of the gap to full satisfaction a value contact closes",
                             ge=0.0, le=1.0)
    email_weight: float = _p(0.25, "fraction", "seed 001: digital arm's length",
                             "What an e-mail is worth relative to a call", ge=0.0, le=1.0)
    unserved_hit: float = _p(0.1, "satisfaction", "seed 000", "Satisfaction lost when a need goes unserved",
                             ge=0.0, le=1.0)
    issue_drag: float = _p(0.015, "per week", A, "Satisfaction lost per week of an open severe issue",
                           ge=0.0, le=0.5)
    fix_recovery: float = _p(0.08, "satisfaction", "seed 004: report progress to repair trust",
                             "Satisfaction regained when an issue is fixed", ge=0.0, le=1.0)
    pitch_hit: float = _p(0.08, "satisfaction", "seed 004: a call gets their blood boiling",
                          "Satisfaction a dissatisfied customer loses when pitched", ge=0.0, le=1.0)
    discount_demand: float = _p(0.3, "probability", "seed 004: detractors extract discounts",
                                "Chance a pitched detractor extracts an official discount", ge=0.0, le=1.0)
    complaint_rate: float = _p(0.15, "probability", "FACTS 14: few complain unless asked",
                               "Chance a new problem is reported unprompted", ge=0.0, le=1.0)
    survey_response: float = _p(0.4, "probability", A, "Share of customers answering a survey",
                                ge=0.0, le=1.0)
    churn_neglect: float = _p(0.004, "per week", "FACTS 4 (calibrated)", "Neglect churn hazard scale",
                              ge=0.0, le=1.0)
    churn_service: float = _p(0.03, "per week", "FACTS 4 (calibrated)", "Service-failure churn hazard scale",
                              ge=0.0, le=1.0)
    churn_price: float = _p(0.0012, "per week", "FACTS 4 (calibrated)", "Price churn hazard scale",
                            ge=0.0, le=1.0)
    churn_pitch: float = _p(0.1, "per pitch", "FACTS 3: unsolicited outreach raised churn 6.4 % to 10 %",
                            "Churn hazard of an unwanted pitch", ge=0.0, le=1.0)
    concession_relief: float = _p(0.6, "fraction", "seed 003", "How much a concession calms churn hazard",
                                  ge=0.0, le=1.0)
    init_satisfaction: float = _p(0.78, "0-1", "FACTS 9: industry NPS 9-43", "Mean initial satisfaction",
                                  ge=0.05, le=0.95)
    share_drift: float = _p(0.02, "per week", A, "Speed at which share of wallet follows satisfaction",
                            ge=0.0, le=1.0)
    promoter_sat: float = _p(0.85, "satisfaction", A + ": scores 9-10 on the survey's round(10 x satisfaction)",
                             "Satisfaction at or above which a customer is a promoter (acts as one)",
                             ge=0.5, le=1.0)
    detractor_sat: float = _p(0.65, "satisfaction", A + ": scores 0-6 on the survey's round(10 x satisfaction)",
                              "Satisfaction below which a customer is a detractor (acts as one)", ge=0.2, le=0.95)
    disposition_concentration: float = _p(12.0, "Beta concentration", A + ": sets the NPS spread",
                                          "Concentration of customers' dispositions around init_satisfaction",
                                          ge=0.5, le=500.0)
    intent_concentration: float = _p(2.0, "Beta concentration", A + ": some come to buy, most browse",
                                     "Concentration of an opportunity's buying intent around its mean",
                                     ge=0.1, le=100.0)
    willingness_base: float = _p(0.2, "x", A + "; FACTS 10, seed 004: happy customers buy more",
                                 "Buying-appetite multiplier at zero satisfaction (it rises one for one with "
                                 "satisfaction)", ge=0.0, le=2.0)
    upsell_room_gain: float = _p(2.0, "x", A, "Multiplier on the unbought share of wallet in a banner play's "
                                 "chance of a willing buyer", ge=0.0, le=10.0)
    open_issue_appetite: float = _p(0.3, "x", A, "Multiplier on a banner play's chance of a willing buyer "
                                    "while the account has an open problem", ge=0.0, le=1.0)
    sale_share_gain: float = _p(0.2, "fraction", A, "Share of the unbought wallet a closed deal wins",
                                ge=0.0, le=1.0)
    sat_relax: float = _p(0.05, "per week", A, "Weekly pull of satisfaction back to the customer's disposition",
                          ge=0.0, le=1.0)
    share_per_satisfaction: float = _p(0.75, "share per satisfaction", A, "Share of wallet a customer drifts "
                                       "toward, per unit of satisfaction", ge=0.0, le=2.0)
    share_min: float = _p(0.05, "fraction", A, "Least share of wallet a customer gives us", ge=0.0, le=0.5)
    share_max: float = _p(0.95, "fraction", A, "Most share of wallet a customer gives us", ge=0.5, le=1.0)
    churn_reference_sat: float = _p(0.7, "satisfaction", "FACTS 4 (calibrated with the churn scales)",
                                    "Satisfaction at which the churn hazards equal their scale parameters",
                                    ge=0.05, le=0.95)
    churn_dissatisfaction_exponent: float = _p(2.0, "exponent", A, "How steeply the churn hazards rise with "
                                               "dissatisfaction (relative to the reference)", ge=0.5, le=5.0)
    unserved_churn_weight: float = _p(3.0, "weeks-of-horizon per need", A, "Neglect churn that a need left "
                                      "unserved adds, in horizons of neglect", ge=0.0, le=50.0)
    unserved_memory: float = _p(0.8, "per week", A, "Share of the unserved-needs count a customer still "
                                "holds against us a week later", ge=0.0, le=1.0)
    price_issue_churn: float = _p(4.0, "x per severity", A, "Extra price-churn hazard, per unit of severity, "
                                  "of an open price problem", ge=0.0, le=50.0)
    concession_recovery: float = _p(0.5, "x fix_recovery", "seed 003: secret service deals",
                                    "Satisfaction a hidden concession restores, relative to a real fix",
                                    ge=0.0, le=2.0)
    wallet_sizing_share: float = _p(0.6, "fraction", A, "Share of wallet assumed when sizing wallets from "
                                    "mean_spend (wallet = spend / this share)", ge=0.05, le=1.0)
    season_clusters: int = _p(4, "calendars", A + ": industries share seasonal calendars",
                              "Number of seasonal calendars (evenly spaced phases) customers fall into",
                              ge=1, le=52)
    season_phase_jitter: float = _p(0.2, "radians", A, "Spread of a customer's seasonal phase around its "
                                    "calendar's", ge=0.0, le=3.2)
    # The starting book is drawn as a long-running book would look (a steady state, not a fresh cohort):
    # dispositions are resampled in proportion to expected tenure, 1 / (floor + ((1 - d) / (1 -
    # churn_reference_sat)) ** churn_dissatisfaction_exponent), the shape of the churn hazards, and
    # satisfaction starts a typical distance below disposition.
    tenure_draws: int = _p(4, "candidates", A, "Candidate dispositions per starting account for the tenure "
                           "resampling of the starting book", ge=1, le=20)
    tenure_hazard_floor: float = _p(0.05, "x reference hazard", A + ": so the happiest are not infinitely "
                                    "tenured", "Hazard floor in the starting book's tenure weights",
                                    ge=0.001, le=1.0)
    start_sat_gap: float = _p(0.03, "satisfaction", "measured on the baseline after a year: 0.03",
                              "Typical steady-state gap between disposition and satisfaction in the starting "
                              "book", ge=0.0, le=0.5)
    start_share_beta_a: float = _p(30.0, "Beta shape", "measured: long-run share of wallet in the baseline "
                                   "(mean 0.64)", "First Beta shape of the starting book's share of wallet",
                                   ge=0.1, le=1000.0)
    start_share_beta_b: float = _p(17.0, "Beta shape", "measured: long-run share of wallet in the baseline "
                                   "(mean 0.64)", "Second Beta shape of the starting book's share of wallet",
                                   ge=0.1, le=1000.0)
    won_share_beta_a: float = _p(6.0, "Beta shape", A + ": mean 0.6", "First Beta shape of a won customer's "
                                 "first share of wallet", ge=0.1, le=1000.0)
    won_share_beta_b: float = _p(4.0, "Beta shape", A + ": mean 0.6", "Second Beta shape of a won customer's "
                                 "first share of wallet", ge=0.1, le=1000.0)

    # --- market and acquisition (M11) ---------------------------------------
    prospect_pool: float = _p(0.25, "prospects per initial customer", A + ": the reachable market is 25 % "
                              "larger than the book", "Accounts in the market that are not (yet) customers, "
                              "per initial customer", ge=0.05, le=3.0)
    lead_rate: float = _p(0.012, "conversions per prospect-week", A + ": set so that, with referrals and "
                          "prospecting, the baseline book is stationary", "Chance marketing wins a given "
                          "prospect in a week", ge=0.0, le=0.2)
    referral_rate: float = _p(0.01, "referrals per promoter-week", "seed 004: promoters recommend us",
                              "New customers a promoter brings per week in a market of prospects only",
                              ge=0.0, le=0.5)
    deter_rate: float = _p(0.01, "deterrals per detractor-week", "seed 004: detractors warn others off",
                           "Would-be customers a detractor turns away per week in a market of prospects only",
                           ge=0.0, le=0.5)
    prospect_yield: float = _p(0.15, "customers per prospecting hour", A, "New customers an hour of "
                               "prospecting wins at full skill in a market of prospects only", ge=0.0, le=5.0)
    prospect_hours: float = _p(4.0, "hours per rep-week", A, "Most hours a rep spends prospecting in a week",
                               ge=0.0, le=40.0)
    prospect_drive: float = _p(200.0, "currency-equivalent per hour", A, "What an hour of prospecting is "
                               "worth to a rep (pipeline expectations), weighed against check-ins",
                               ge=0.0, le=1000.0)
    winback_weeks: int = _p(26, "weeks", A, "Weeks before a lost customer can be won back", ge=0, le=520)
    root_fix_effect: float = _p(0.2, "fraction", "seed 002: fixing root causes", "Share of a category's "
                                "failure rate a finished root-cause project removes", ge=0.0, le=1.0)
    failure_drift: float = _p(0.1, "per week", A + ": new failure modes appear and fixes wear off",
                              "Speed at which a category's failure rate returns to its base after a "
                              "root-cause fix", ge=0.0, le=1.0)

    # --- operations and CRM (M7-M10): assumptions, not levers ----------------------------------
    product_issue_share: float = _p(0.4, "fraction", A + "; FACTS 4 ranks service first",
                                    "Share of new problems that are product problems", ge=0.0, le=1.0)
    price_issue_share: float = _p(0.25, "fraction", A + "; FACTS 4 ranks service first",
                                  "Share of new problems that are price problems (service problems are the "
                                  "rest)", ge=0.0, le=1.0)
    issue_severity_min: float = _p(0.3, "severity", A, "Least severity of a problem (severities are uniform "
                                   "from this to 1)", ge=0.0, le=1.0)
    disruption_reach: float = _p(0.3, "fraction", A, "Share of accounts a supply disruption touches",
                                 ge=0.0, le=1.0)
    disruption_cut: float = _p(0.4, "fraction", A, "Share of a touched account's deliveries lost while a "
                               "disruption lasts", ge=0.0, le=1.0)
    disruption_weeks: int = _p(4, "weeks", A, "How long a supply disruption lasts", ge=1, le=52)
    self_resolve: float = _p(0.03, "per week", A, "Weekly chance an unreported problem fades by itself",
                             ge=0.0, le=1.0)
    root_fix_weeks: int = _p(8, "weeks", A, "Weeks a root-cause project takes", ge=1, le=104)
    root_fix_floor: float = _p(0.25, "fraction", A, "Share of its starting rate below which root-cause fixes "
                               "never push a category's failure rate", ge=0.0, le=1.0)
    trail_weight: float = _p(0.15, "per week", A + ": a trailing average of about 6 weeks", "Weight of this "
                             "week in the CRM's trailing spend average", ge=0.01, le=1.0)
    advocacy_low_share: float = _p(0.6, "fraction", "seed 004: room to grow", "Share of wallet below which "
                                   "the advocacy-aware rule counts an advocate as under-penetrated",
                                   ge=0.0, le=1.0)

    # --- economics (M12): what things cost; no agent decides on these ----------
    gross_margin: float = _money(0.3, "fraction of gross revenue", A + ": B2B distribution margins of "
                                 "20-40 %", "Revenue left after the cost of the goods and services sold",
                                 ge=0.0, le=1.0)
    base_salary: float = _money(60000.0, "currency per rep-year", A + ": a B2B account manager's base",
                                "Base salary of a rep in post", ge=0.0, le=1e6)
    manager_salary: float = _money(110000.0, "currency per manager-year", A,
                                   "Salary of a sales manager", ge=0.0, le=1e6)
    hour_cost: float = _money(35.0, "currency per customer hour", A + ": travel, tools and support "
                              "behind each hour with a customer", "Non-pay cost of an hour a rep spends "
                              "with or for a customer", ge=0.0, le=1000.0)
    cost_per_need: float = _money(60.0, "currency per need served", A + ": order handling, quotes, tickets",
                                  "Back-office cost of serving one need", ge=0.0, le=10000.0)
    cost_per_fix: float = _money(400.0, "currency per problem fixed", A, "Operations' cost of fixing "
                                 "one reported problem", ge=0.0, le=100000.0)
    lead_cost: float = _money(1500.0, "currency per marketing-won customer", A, "Marketing cost of "
                              "each customer that marketing leads win", ge=0.0, le=100000.0)
    audit_review_cost: float = _money(50.0, "currency per banner audited", A, "Review effort to check one "
                               "expired banner account for avoidance", ge=0.0, le=10000.0)

    @model_validator(mode="after")
    def _consistent(self) -> Params:
        """Cross-field rules a single range cannot express."""
        if self.n_managers > self.n_reps:
            raise ValueError(f"n_managers ({self.n_managers}) must not exceed n_reps ({self.n_reps})")
        if self.n_reps > self.n_accounts:
            raise ValueError(f"n_reps ({self.n_reps}) must not exceed n_accounts ({self.n_accounts})")
        if self.crm_rule == "advocacy_aware" and self.feedback_loop == "none":
            raise ValueError("crm_rule 'advocacy_aware' needs customer feedback: set feedback_loop "
                             "to 'survey' or 'closed_loop', or choose another crm_rule")
        if self.detractor_policy == "fix_first" and self.feedback_loop == "none":
            raise ValueError("detractor_policy 'fix_first' needs customer feedback to know who the "
                             "detractors are: set feedback_loop to 'survey' or 'closed_loop'")
        if self.quota_setting == "none":
            tied = [f"{name} = {getattr(self, name)}" for name, off in _QUOTA_ELEMENTS.items()
                    if getattr(self, name) != off]
            if tied:
                raise ValueError(f"quota_setting 'none' removes the quota, but these pay against one: "
                                 f"{', '.join(tied)}; set them to their neutral values or choose quota_setting "
                                 "'fixed' or 'ratchet'")
        if self.team_quota and self.draw > 0:
            raise ValueError(f"team_quota with a draw ({self.draw}) is not modelled: a draw tops up each rep's "
                             "own commission; set draw to 0 or team_quota to false")
        if 0 < self.commission_cap <= 1.0 and self.accelerator > 1.0:
            raise ValueError(f"commission_cap ({self.commission_cap}) stops commission at or below quota, so the "
                             f"accelerator ({self.accelerator}) above quota never pays: raise commission_cap "
                             "above 1 or set accelerator to 1")
        if self.detractor_sat > self.promoter_sat:
            raise ValueError(f"detractor_sat ({self.detractor_sat}) must not exceed promoter_sat "
                             f"({self.promoter_sat}): a customer cannot be both")
        if self.product_issue_share + self.price_issue_share > 1.0:
            raise ValueError(f"product_issue_share ({self.product_issue_share}) plus price_issue_share "
                             f"({self.price_issue_share}) must not exceed 1: service problems are the rest")
        return self

    def replace(self, **overrides: Any) -> Params:
        """Return a validated copy with some fields changed."""
        return type(self).model_validate({**self.model_dump(), **overrides})


@dataclass(frozen=True)
class ParamInfo:
    """What a user needs to know about one parameter, for tables and forms."""

    name: str
    default: Any
    unit: str
    group: str
    source: str
    help: str
    ge: float | None
    le: float | None
    choices: tuple[str, ...] | None
    kind: str


@functools.cache
def param_info() -> dict[str, ParamInfo]:
    """Describe every parameter: default, unit, group, range or choices, source."""
    out: dict[str, ParamInfo] = {}
    for name, f in Params.model_fields.items():
        extra = f.json_schema_extra
        assert isinstance(extra, dict), name  # every field is declared with _p or _lever, which set these
        ge = le = None
        for m in f.metadata:
            ge = getattr(m, "ge", ge)
            le = getattr(m, "le", le)
        ann = f.annotation
        choices = tuple(getattr(ann, "__args__", ())) or None
        kind = "choice" if choices else getattr(ann, "__name__", str(ann))
        out[name] = ParamInfo(name, f.default, str(extra["unit"]), str(extra["group"]), str(extra["source"]),
                              f.description or "", ge, le, choices, kind)
    return out
