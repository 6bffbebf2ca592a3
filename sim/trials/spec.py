"""Trial files: which scenario, which units are randomised and how, what the treated get, what is measured.

A trial file is TOML::

    title = "Proactive outreach and churn"
    question = "Does contacting customers who did not ask raise their churn?"
    scenario = "baseline"          # the firm the trial runs in (a scenario name or path)
    [design]
    unit = "accounts"              # the unit of randomisation
    stratify = "rep"               # rep | size | nps | none: randomise within each stratum
    share_treated = 0.5
    start_week = 52                # the treatment starts at this week (after the burn-in)
    duration_weeks = 4             # how long the treatment lasts
    observe_weeks = 13             # outcomes are measured this many weeks from the start
    weeks = 65                     # optional: length of each run (default start + observe)
    [treatment]
    kind = "pitch"                 # pitch | contact | none (a placebo)
    outcomes = ["churn", "spend", "satisfaction"]

Every problem is one :class:`~sim.errors.UserError` naming the file, the field, the value and what is allowed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import UserError
from sim.scenario import Scenario, load_scenario

UNITS = ("accounts",)
STRATA = ("rep", "size", "nps", "none")
KINDS = {"pitch": "the CRM raises a banner (a sales play) on each treated account; its rep decides whether "
                  "to pitch it",
         "contact": "each treated account's rep is asked to call it back (a proactive contact, no pitch)",
         "none": "nothing: a placebo that checks the design finds no effect"}
OUTCOMES = {"churn": "share of the units that left the firm within the observation window",
            "spend": "weekly spend with us at the window's end (0 for a unit that left)",
            "satisfaction": "satisfaction (0-1) at the window's end, units still customers"}
_TOP = ("title", "question", "scenario", "design", "treatment")
_DESIGN = ("unit", "stratify", "share_treated", "start_week", "duration_weeks", "observe_weeks", "weeks")
_TREATMENT = ("kind", "outcomes")


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
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """What a worker needs to run one replication (plain, JSON-safe)."""
        return {"unit": self.unit, "stratify": self.stratify, "share_treated": self.share_treated,
                "start_week": self.start_week, "duration_weeks": self.duration_weeks,
                "observe_weeks": self.observe_weeks, "kind": self.kind, "outcomes": list(self.outcomes)}


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
        lines = "\n  - ".join(problems)
        raise TrialError(f"Trial file {shown} has {len(problems)} problem{'s' * (len(problems) > 1)}:\n  - {lines}")
    design, treat = data.get("design", {}), data.get("treatment", {})
    scenario_ref = data["scenario"]
    if scenario_ref.endswith(".toml") and not Path(scenario_ref).is_absolute():
        scenario_ref = str(path.parent / scenario_ref)
    scenario = load_scenario(scenario_ref)
    start = int(design.get("start_week", 52))
    observe = int(design.get("observe_weeks", 13))
    weeks = int(design.get("weeks", start + observe))
    spec = TrialSpec(title=data["title"], question=data["question"], scenario=scenario,
                     unit=design.get("unit", "accounts"), stratify=design.get("stratify", "rep"),
                     share_treated=float(design.get("share_treated", 0.5)), start_week=start,
                     duration_weeks=int(design.get("duration_weeks", 4)), observe_weeks=observe, weeks=weeks,
                     kind=treat.get("kind", "pitch"), outcomes=tuple(treat.get("outcomes", ["churn"])), path=path,
                     raw=data)
    _check_against(spec, shown)
    return spec


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
    out += _choice("design.unit", design.get("unit", "accounts"), UNITS)
    out += _choice("design.stratify", design.get("stratify", "rep"), STRATA)
    out += _choice("treatment.kind", treat.get("kind", "pitch"), tuple(KINDS))
    share = design.get("share_treated", 0.5)
    if not isinstance(share, int | float) or isinstance(share, bool) or not 0.0 < share < 1.0:
        out.append(f"design.share_treated = {share!r} is not allowed: it must be a number between 0 and 1 "
                   "(exclusive), the share of units treated.")
    for key, lo in (("start_week", 0), ("duration_weeks", 1), ("observe_weeks", 1), ("weeks", 1)):
        if key in design or key != "weeks":
            value = design.get(key, {"start_week": 52, "duration_weeks": 4, "observe_weeks": 13}.get(key))
            if not isinstance(value, int) or isinstance(value, bool) or value < lo or value > 520:
                out.append(f"design.{key} = {value!r} is not allowed: it must be a whole number of weeks between "
                           f"{lo} and 520.")
    outcomes = treat.get("outcomes", ["churn"])
    if not isinstance(outcomes, list) or not outcomes or not all(o in OUTCOMES for o in outcomes):
        out.append(f"treatment.outcomes = {outcomes!r} is not allowed: give a non-empty list of "
                   f"{', '.join(repr(o) for o in OUTCOMES)}.")
    return out


def _choice(label: str, value: Any, allowed: tuple[str, ...]) -> list[str]:
    if value in allowed:
        return []
    return [f"{label} = {value!r} is not an allowed choice; choose one of: {', '.join(repr(a) for a in allowed)}."]


def _check_against(spec: TrialSpec, shown: str) -> None:
    """Rules that need the scenario: the trial starts after the burn-in and fits in the run."""
    burn = spec.scenario.params.burn_in_weeks
    if spec.start_week < burn:
        raise TrialError(f"Trial file {shown}: design.start_week = {spec.start_week} falls in the scenario's burn-in "
                         f"({burn} weeks); start at week {burn} or later, when the firm is in its steady state.")
    if spec.weeks < spec.start_week + spec.observe_weeks:
        raise TrialError(f"Trial file {shown}: design.weeks = {spec.weeks} ends before the observation window "
                         f"(start_week {spec.start_week} + observe_weeks {spec.observe_weeks}); raise weeks.")
    if spec.duration_weeks > spec.observe_weeks:
        raise TrialError(f"Trial file {shown}: design.duration_weeks = {spec.duration_weeks} is longer than "
                         f"observe_weeks = {spec.observe_weeks}; the window must cover the treatment.")
