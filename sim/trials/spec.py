"""Trial files: which scenario, which units are randomised and how, what the treated get, what is measured.

A trial file is TOML::

    title = "Proactive outreach and churn"
    question = "Does contacting customers who did not ask raise their churn?"
    scenario = "baseline"          # the firm the trial runs in (a scenario name or path)
    [design]
    unit = "accounts"              # accounts | reps | firm: the unit of randomisation
    stratify = "rep"               # randomise within each stratum (see STRATA for each unit)
    share_treated = 0.5
    start_week = 52                # the treatment starts at this week (after the burn-in)
    duration_weeks = 4             # how long an outreach campaign lasts
    observe_weeks = 13             # outcomes are measured this many weeks from the start
    weeks = 65                     # optional: length of each run (default start + observe)
    [treatment]
    kind = "pitch"                 # see KINDS for each unit
    outcomes = ["churn", "spend", "satisfaction"]

A plan trial (``kind = "plan"``) puts the treated reps, or with ``unit = "firm"`` the whole sales force, on
the plan a ``[treatment.pay]`` table makes of the scenario's, from a pay period's start to the end of the
run. With ``unit = "firm"`` nothing is randomised: each replication runs the firm twice on the same random
numbers, with and without the change, and also measures the window before it, as the firm itself would.

Every problem is one :class:`~sim.errors.UserError` naming the file, the field, the value and what is allowed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import UserError
from sim.params import PAY_PLAN_FIELDS, Params, param_info
from sim.policies.plan import PERIOD_WEEKS
from sim.policies.respond import REP_PLAN_FIELDS
from sim.scenario import Scenario, load_scenario, parameter_problems

UNITS = {"accounts": "customer accounts, randomised inside each replication's firm",
         "reps": "sales slots (a rep and whoever later fills the post), randomised inside each firm",
         "firm": "the whole sales force changes at once; the control is the same firm without the change"}
STRATA = {"accounts": ("rep", "size", "nps", "none"), "reps": ("manager", "size", "none"), "firm": ("none",)}
KINDS = {"pitch": "the CRM raises a banner (a sales play) on each treated account; its rep decides whether "
                  "to pitch it",
         "contact": "each treated account's rep is asked to call it back (a proactive contact, no pitch)",
         "plan": "the treated reps are paid on the plan in [treatment.pay] from the start week to the run's end",
         "levers": "the firm's levers change to the values in [treatment.levers] from the start week to the run's "
                   "end",
         "none": "nothing: a placebo that checks the design finds no effect"}
UNIT_KINDS = {"accounts": ("pitch", "contact", "none"), "reps": ("plan", "none"), "firm": ("plan", "levers")}
OUTCOMES = {
    "accounts": {"churn": "share of the units that left the firm within the observation window",
                 "spend": "weekly spend with us at the window's end (0 for a unit that left)",
                 "satisfaction": "satisfaction (0-1) at the window's end, units still customers"},
    "reps": {"sales": "deal revenue a slot booked per week over the window",
             "pay": "commission, quota bonus and draw top-up a slot earned per week over the window",
             "sales_vs_before": "sales per week over the window less over as many weeks before the start "
                                "(across arms, a difference in differences: each slot is its own baseline)",
             "pay_vs_before": "pay per week over the window less over as many weeks before the start",
             "churn": "share of the slot's customers at the start that left within the window",
             "quits": "share of slots whose rep quit within the window"},
    "firm": {"revenue": "net revenue per week over the window",
             "profit": "profit per week over the window",
             "pay_cost": "pay to reps per week over the window",
             "deal_revenue": "deal revenue per week over the window",
             "quarter_end_share": "share of the window's deal revenue booked in a quarter's last two weeks",
             "timing_discount_share": "discounts given to sign early, over gross revenue in the window",
             "churn": "share of the customers at the start that left within the window"}}
# The unit of each outcome (its display format follows from it, sim.kpis.unit_format); a name means the same
# quantity in every unit of randomisation.
_WEEKLY_MONEY = "currency/week"
OUTCOME_UNITS = {"churn": "fraction", "spend": _WEEKLY_MONEY, "satisfaction": "0-1", "sales": _WEEKLY_MONEY,
                 "pay": _WEEKLY_MONEY, "sales_vs_before": _WEEKLY_MONEY, "pay_vs_before": _WEEKLY_MONEY,
                 "quits": "fraction", "revenue": _WEEKLY_MONEY, "profit": _WEEKLY_MONEY, "pay_cost": _WEEKLY_MONEY,
                 "deal_revenue": _WEEKLY_MONEY, "quarter_end_share": "fraction of deal revenue",
                 "timing_discount_share": "fraction of gross revenue"}
CHANGE_OUTCOMES = frozenset({"sales_vs_before", "pay_vs_before"})  # differences: no ratio is reported
DEFAULT_STRATA = {"accounts": "rep", "reps": "manager", "firm": "none"}
_TOP = ("title", "question", "scenario", "design", "treatment")
_DESIGN = ("unit", "stratify", "share_treated", "start_week", "duration_weeks", "observe_weeks", "weeks")
_TREATMENT = ("kind", "outcomes", "pay", "levers")


class TrialError(UserError):
    """A trial file is invalid."""


@dataclass(frozen=True)
class TrialSpec:
    """One validated trial design."""

    title: str
    question: str
    scenario: Scenario
    unit: str = "accounts"
    stratify: str = "rep"
    share_treated: float = 0.5
    start_week: int = 52
    duration_weeks: int = 4
    observe_weeks: int = 13
    weeks: int = 65
    kind: str = "pitch"
    outcomes: tuple[str, ...] = ("churn",)
    pay: dict[str, Any] = field(default_factory=dict)
    levers: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """What a worker needs to run one replication (plain, JSON-safe)."""
        out = {"unit": self.unit, "stratify": self.stratify, "share_treated": self.share_treated,
               "start_week": self.start_week, "duration_weeks": self.duration_weeks,
               "observe_weeks": self.observe_weeks, "kind": self.kind, "outcomes": list(self.outcomes)}
        if self.pay:
            out["pay"] = dict(self.pay)
        if self.levers:
            out["levers"] = dict(self.levers)
        return out


def load_trial(path: str | Path) -> TrialSpec:
    """Read and validate a trial file; raise :class:`TrialError` listing every problem found."""
    path = Path(path)
    shown = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TrialError(f"Trial file {shown} does not exist.") from None
    except UnicodeDecodeError:
        raise TrialError(f"Trial file {shown} is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as exc:
        raise TrialError(f"Trial file {shown} is not valid TOML: {exc}.") from None
    problems = _problems(data)
    if problems:
        _refuse(shown, problems)
    design, treat = data.get("design", {}), data.get("treatment", {})
    scenario_ref = data["scenario"]
    if scenario_ref.endswith(".toml") and not Path(scenario_ref).is_absolute():
        scenario_ref = str(path.parent / scenario_ref)
    scenario = load_scenario(scenario_ref)
    unit = design.get("unit", "accounts")
    kind = treat.get("kind", UNIT_KINDS[unit][0])
    start = int(design.get("start_week", 52))
    observe = int(design.get("observe_weeks", 13))
    weeks = int(design.get("weeks", start + observe))
    spec = TrialSpec(title=data["title"], question=data["question"], scenario=scenario, unit=unit,
                     stratify=design.get("stratify", DEFAULT_STRATA[unit]),
                     share_treated=float(design.get("share_treated", 1.0 if unit == "firm" else 0.5)),
                     start_week=start, duration_weeks=int(design.get("duration_weeks", 4 if unit == "accounts"
                                                                     else observe)),
                     observe_weeks=observe, weeks=weeks, kind=kind,
                     outcomes=tuple(treat.get("outcomes", [next(iter(OUTCOMES[unit]))])),
                     pay=dict(treat.get("pay", {})), levers=dict(treat.get("levers", {})), path=path, raw=data)
    problems = _against_scenario(spec)
    if problems:
        _refuse(shown, problems)
    return spec


def _refuse(shown: str, problems: list[str]) -> None:
    lines = "\n  - ".join(problems)
    raise TrialError(f"Trial file {shown} has {len(problems)} problem{'s' * (len(problems) > 1)}:\n  - {lines}")


def _problems(data: dict[str, Any]) -> list[str]:
    out = [f"'{k}' is not a known key; allowed: {', '.join(_TOP)}." for k in data if k not in _TOP]
    for key in ("title", "question", "scenario"):
        if not isinstance(data.get(key), str) or not data.get(key, "").strip():
            out.append(f"'{key}' is missing or not text: every trial needs it, e.g. {key} = \"...\".")
    for table, allowed in (("design", _DESIGN), ("treatment", _TREATMENT)):
        section = data.get(table, {})
        if not isinstance(section, dict):
            out.append(f"{table} = {section!r} is not a [{table}] table.")
            continue
        out += [f"{table}.{k} is not a known field; allowed: {', '.join(allowed)}." for k in section
                if k not in allowed]
    design, treat = data.get("design", {}), data.get("treatment", {})
    if not isinstance(design, dict) or not isinstance(treat, dict):
        return out
    unit = design.get("unit", "accounts")
    out += _choice("design.unit", unit, tuple(UNITS))
    if unit not in UNITS:
        return out
    out += _choice("design.stratify", design.get("stratify", DEFAULT_STRATA[unit]), STRATA[unit],
                   f" with unit = '{unit}'")
    kind = treat.get("kind", UNIT_KINDS[unit][0])
    out += _choice("treatment.kind", kind, UNIT_KINDS[unit], f" with unit = '{unit}'")
    if unit == "firm":
        if "share_treated" in design:
            out.append(f"design.share_treated = {design['share_treated']!r} has no meaning with unit = 'firm' "
                       "(the whole firm changes, against the same firm unchanged): leave it out.")
    else:
        share = design.get("share_treated", 0.5)
        if not isinstance(share, int | float) or isinstance(share, bool) or not 0.0 < share < 1.0:
            out.append(f"design.share_treated = {share!r} is not allowed: it must be a number between 0 and 1 "
                       "(exclusive), the share of units treated.")
    if kind in ("plan", "levers") and "duration_weeks" in design:
        out.append(f"design.duration_weeks = {design['duration_weeks']!r} has no meaning for a {kind} trial: the "
                   f"change holds from start_week to the end of the run; leave it out.")
    for key, lo in (("start_week", 0), ("duration_weeks", 1), ("observe_weeks", 1), ("weeks", 1)):
        if key in design or key in ("start_week", "observe_weeks"):
            value = design.get(key, {"start_week": 52, "observe_weeks": 13}.get(key))
            if not isinstance(value, int) or isinstance(value, bool) or value < lo or value > 520:
                out.append(f"design.{key} = {value!r} is not allowed: it must be a whole number of weeks between "
                           f"{lo} and 520.")
    outcomes = treat.get("outcomes", [next(iter(OUTCOMES[unit]))])
    known = OUTCOMES[unit]
    if not isinstance(outcomes, list) or not outcomes or not all(o in known for o in outcomes):
        out.append(f"treatment.outcomes = {outcomes!r} is not allowed with unit = '{unit}': give a non-empty "
                   f"list of {', '.join(repr(o) for o in known)}.")
    return out + _pay_problems(treat, kind) + _lever_problems(treat, kind)


def _table(treat: dict[str, Any], kind: str, name: str, wanted: str, example: str,
           label: str) -> tuple[list[str], dict]:
    """The [treatment.NAME] table a ``wanted`` kind reads: a problem if it is given to another kind or is missing
    or empty for its own; otherwise no problem and the table (empty when the kind does not read it)."""
    table = treat.get(name)
    if kind != wanted:
        return ([] if table is None else [f"treatment.{name} is only read when kind = '{wanted}' (kind is "
                                          f"'{kind}'): remove it or set kind = '{wanted}'."]), {}
    if not isinstance(table, dict) or not table:
        return [f"treatment.{name} = {table!r}: a {label} trial needs a [treatment.{name}] table with {example}."], {}
    return [], table


def _pay_problems(treat: dict[str, Any], kind: str) -> list[str]:
    """A plan trial's [treatment.pay] holds plan fields that may differ between reps, with valid values."""
    out, pay = _table(treat, kind, "pay", "plan", "the plan fields the treated get, e.g. accelerator = 1.5; "
                      f"allowed: {', '.join(REP_PLAN_FIELDS)}", "plan")
    out += [f"treatment.pay.{k} = {v!r} is not a plan field a trial can change ({_why_fixed(k)}); allowed: "
            f"{', '.join(REP_PLAN_FIELDS)}." for k, v in pay.items() if k not in REP_PLAN_FIELDS]
    return out + parameter_problems({k: v for k, v in pay.items() if k in REP_PLAN_FIELDS}, "treatment.pay.")


def _lever_problems(treat: dict[str, Any], kind: str) -> list[str]:
    """A lever trial's [treatment.levers] holds levers (not behaviour parameters), with valid values."""
    out, levers = _table(treat, kind, "levers", "levers", "the levers the firm changes, e.g. enforcement = 0.0 "
                         "(`salesim reference parameters` lists the levers)", "lever")
    info = param_info()
    lever = {k: v for k, v in levers.items() if k not in info or info[k].group == "lever"}
    out += [f"treatment.levers.{k} = {v!r} is not a lever: it is a {info[k].group} parameter, which a policy "
            "cannot change; levers are listed by `salesim reference parameters`." for k, v in levers.items()
            if k not in lever]
    return out + parameter_problems(lever, "treatment.levers.")


def _why_fixed(key: str) -> str:
    if key in PAY_PLAN_FIELDS:
        return "in this model it is the same for the whole sales force all run"
    return "it is not part of the pay plan"


def _choice(label: str, value: Any, allowed: tuple[str, ...], context: str = "") -> list[str]:
    if value in allowed:
        return []
    return [f"{label} = {value!r} is not an allowed choice{context}; choose one of: "
            f"{', '.join(repr(a) for a in allowed)}."]


def _against_scenario(spec: TrialSpec) -> list[str]:
    """Rules that need the scenario: the trial starts after the burn-in, fits in the run, and a plan change
    starts a pay period and makes a plan the model accepts."""
    p = spec.scenario.params
    burn, out = p.burn_in_weeks, []
    looks_back = spec.unit == "firm" or any(o.endswith("_vs_before") for o in spec.outcomes)
    before = spec.observe_weeks if looks_back else 0
    if spec.start_week - before < burn:
        what = (f"start_week {spec.start_week} less observe_weeks {spec.observe_weeks} (the window before the "
                "change, which the firm compares with)") if before else f"start_week = {spec.start_week}"
        out.append(f"design: {what} falls in the scenario's burn-in ({burn} weeks); start at week {burn + before} "
                   "or later, when the firm is in its steady state.")
    if spec.weeks < spec.start_week + spec.observe_weeks:
        out.append(f"design.weeks = {spec.weeks} ends before the observation window (start_week "
                   f"{spec.start_week} + observe_weeks {spec.observe_weeks}); raise weeks.")
    if spec.unit == "accounts" and spec.duration_weeks > spec.observe_weeks:
        out.append(f"design.duration_weeks = {spec.duration_weeks} is longer than observe_weeks = "
                   f"{spec.observe_weeks}; the window must cover the treatment.")
    if spec.kind == "plan":
        period = PERIOD_WEEKS[p.pay_period]
        if spec.start_week % period:
            out.append(f"design.start_week = {spec.start_week} is not the start of a pay period: the scenario pays "
                       f"every {period} weeks ({p.pay_period}), so a plan can change at weeks {period}, "
                       f"{2 * period}, ...; e.g. start_week = {max(period, spec.start_week // period * period)}.")
        if spec.unit == "reps" and p.team_quota:
            out.append("design.unit = 'reps' with a team quota: reps in one team share a quota, so they cannot be "
                       "on different plans; randomise with unit = 'firm' or set team_quota = false.")
    if spec.kind in ("plan", "levers"):
        table, values = ("pay", spec.pay) if spec.kind == "plan" else ("levers", spec.levers)
        try:
            Params(**{**p.model_dump(), **values})
        except ValidationError as exc:
            for err in exc.errors():
                cause = err.get("ctx", {}).get("error") or err["msg"]
                out.append(f"treatment.{table} makes a {'plan' if table == 'pay' else 'firm'} the model refuses: "
                           f"{cause}.")
    return out
