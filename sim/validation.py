"""Validation: the seed articles' qualitative claims as testable patterns, and the calibration targets.

A :class:`Pattern` is a claim in plain words, where it comes from (a seed
article and, where there is one, a published study), the scenarios it
compares (:class:`Arm`) and one or more :class:`Check` s: the statistic, the
arm against its reference arm (a paired difference over replications that
share seeds, i.e. common random numbers) or an arm alone (a level), and the
expected direction. :func:`evaluate_pattern` runs it and returns, per check,
the estimate, its 95 % interval and pass or fail.

:func:`evaluate_targets` runs a scenario (the baseline by default) and sets
each published figure of ``calibration/targets.toml`` beside the simulated
mean and its 95 % interval.

Runs go through a :class:`Runs` cache, so an arm that several patterns share
(the baseline, the mandate) is run once; the runs themselves are jobs of the
experiment runner (:func:`sim.experiment.runner.run_jobs`) on any executor of
:mod:`sim.experiment.executors`, as compare's are. Replication k of every arm
uses the seed ``job_seed(root_seed, k)``.
Nothing here knows about the command line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from sim import formatting
from sim.errors import UserError
from sim.experiment.jobs import job_seed
from sim.kpis import CHURN_CAUSES, KPIS, unit_format
from sim.stats import mean_ci

WEEKS_PER_YEAR = 52

# --- what a run reports beyond the KPIs ------------------------------------------------------------------


@dataclass(frozen=True)
class Derived:
    """A statistic of one run that is not a KPI: its label, unit and definition."""

    name: str
    label: str
    unit: str
    doc: str


DERIVED = {d.name: d for d in (
    Derived("pitch_churn_rate", "Churn after unwanted pitches per year", "fraction",
            "annual_churn_rate x churn_share_pitch"),
    Derived("service_churn_rate", "Service-failure churn per year", "fraction",
            "annual_churn_rate x churn_share_service"),
    Derived("neglect_churn_rate", "Neglect churn per year", "fraction",
            "annual_churn_rate x churn_share_neglect"),
    Derived("service_churn_rate_year1", "Service-failure churn, first measured year", "fraction",
            "service churn rate over the first 52 weeks after the burn-in"),
    Derived("service_churn_rate_year2", "Service-failure churn, later weeks", "fraction",
            "service churn rate over the weeks after the first 52 measured ones"),
)}


def stat_label(name: str) -> str:
    """Plain label of a KPI or derived statistic."""
    return KPIS[name].label if name in KPIS else DERIVED[name].label


def stat_unit(name: str) -> str:
    return KPIS[name].unit if name in KPIS else DERIVED[name].unit


def _cause_rates(events: np.ndarray, exposure: float) -> tuple[float, float]:
    """Annual churn and service share from churn counts (neglect, service, pitch, price) and exposure."""
    total = float(events.sum())
    annual = 1.0 - math.exp(-WEEKS_PER_YEAR * total / exposure) if exposure > 0 else 0.0
    return annual, (float(events[1]) / total if total > 0 else 0.0)


NAN = float("nan")
CAUSE_SERIES = tuple(c.cumulative for c in CHURN_CAUSES)  # neglect, service, pitch, price


def derived_stats(record: dict[str, Any], burn_in: int) -> dict[str, float]:
    """A run's KPIs plus the :data:`DERIVED` statistics, from the record the runner stored for it.

    Churn by cause per year comes from the weekly series (cumulative churn by cause and exposure); the
    banner statistics (``banner_rate``, ``season_at_banner``) are KPIs the model measures as banners go up.
    """
    out = {k: (float("nan") if v is None else float(v)) for k, v in record["kpis"].items()}
    churn = out["annual_churn_rate"]
    out["pitch_churn_rate"] = churn * out["churn_share_pitch"]
    out["service_churn_rate"] = churn * out["churn_share_service"]
    out["neglect_churn_rate"] = churn * out["churn_share_neglect"]
    series = record["series"]
    events = np.diff(np.array([series[c] for c in CAUSE_SERIES]), axis=1, prepend=0.0)
    exposure = np.array(series["exposure"])
    measured = np.arange(exposure.size) - burn_in
    for y in (0, 1):
        weeks = (measured >= 0) & (np.minimum(1, measured // WEEKS_PER_YEAR) == y)
        annual, service_share = _cause_rates(events[:, weeks].sum(axis=1), float(exposure[weeks].sum()))
        out[f"service_churn_rate_year{y + 1}"] = annual * service_share if exposure[weeks].sum() > 0 else NAN
    return out


# --- size of the runs and the cache shared between patterns -------------------------------------------


@dataclass(frozen=True)
class Settings:
    """How big and how many: the size every arm is run at, its length and the replications."""

    n_accounts: int = 2000
    n_reps: int = 20
    n_managers: int = 3
    weeks: int = 39 + 104  # the default burn-in, then two measured years
    replications: int = 20
    root_seed: int = 1

    @property
    def size(self) -> dict[str, int]:
        return {"n_accounts": self.n_accounts, "n_reps": self.n_reps, "n_managers": self.n_managers}

    def describe(self) -> str:
        return (f"{self.n_accounts:,} accounts, {self.n_reps} reps, {self.n_managers} managers, "
                f"{self.weeks} weeks, {self.replications} paired replications (root seed {self.root_seed})")


FULL = Settings()
QUICK = Settings(n_accounts=800, n_reps=8, n_managers=2, weeks=39 + 78, replications=10)


@dataclass(frozen=True)
class Arm:
    """One scenario with optional overrides, as one side of a comparison."""

    scenario: str
    overrides: tuple[tuple[str, Any], ...] = ()

    @property
    def label(self) -> str:
        if not self.overrides:
            return self.scenario
        return f"{self.scenario} ({', '.join(f'{k}={v}' for k, v in self.overrides)})"


def arm(scenario: str, **overrides: Any) -> Arm:
    """An :class:`Arm` from keyword overrides (kept in the order given)."""
    return Arm(scenario, tuple(overrides.items()))


class Runs:
    """Replicated runs of arms at one :class:`Settings`, computed once and shared.

    Arms are identified by their fully resolved parameters, so two arms that
    resolve to the same parameters (``banner_mandate`` and ``banner_mandate``
    with ``enforcement=1.0``) are run once.

    Args:
        settings: size, length, replications and root seed.
        executor: an executor of :mod:`sim.experiment.executors`; runs in this process if omitted.
        progress: show progress of each batch on stderr.
    """

    def __init__(self, settings: Settings, executor: Any = None, progress: bool = False) -> None:
        self.settings = settings
        self.executor = executor
        self.progress = progress
        self._params: dict[Arm, dict[str, Any]] = {}
        self._done: dict[str, dict[str, np.ndarray]] = {}

    def params(self, a: Arm) -> dict[str, Any]:
        """The arm's resolved parameters at this size (a bad scenario or override raises UserError)."""
        if a not in self._params:
            from sim.scenario import load_scenario

            sc = load_scenario(a.scenario, {**dict(a.overrides), **self.settings.size})
            if self.settings.weeks <= sc.params.burn_in_weeks:
                raise UserError(f"{self.settings.weeks} weeks is not longer than the burn-in of {a.label} "
                                f"({sc.params.burn_in_weeks} weeks), so nothing would be measured.")
            self._params[a] = sc.params.model_dump()
        return self._params[a]

    def _key(self, a: Arm) -> str:
        return json.dumps(self.params(a), sort_keys=True, default=str)

    def get(self, arms: Iterable[Arm]) -> list[dict[str, np.ndarray]]:
        """Every statistic of every replication of each arm (one array per statistic), in order."""
        arms = list(arms)
        keys = [self._key(a) for a in arms]
        self.prefetch(arms)
        return [self._done[k] for k in keys]

    def prefetch(self, arms: Iterable[Arm]) -> None:
        """Run, through the experiment runner, every replication of the arms not yet run."""
        import tempfile
        from pathlib import Path

        from sim.experiment.executors import SerialExecutor
        from sim.experiment.jobs import Job, params_hash
        from sim.experiment.runner import run_jobs
        from sim.experiment.store import Store

        s = self.settings
        todo: dict[str, dict[str, Any]] = {}
        for a in arms:
            key = self._key(a)
            if key not in self._done:
                todo[key] = self.params(a)
        if not todo:
            return
        jobs = {key: [Job(label=f"arm-{params_hash(params)}", params=params, replication=k,
                          seed=job_seed(s.root_seed, k), weeks=s.weeks) for k in range(s.replications)]
                for key, params in todo.items()}
        flat = [j for js in jobs.values() for j in js]
        with tempfile.TemporaryDirectory(prefix="salesim-validation-") as folder, Store(Path(folder)) as store:
            store.open({"validation": s.describe(), "jobs": [j.id for j in flat]}, resume=False)
            records = run_jobs(flat, store, self.executor or SerialExecutor(), progress=self.progress,
                               desc="validation runs")
        by_id = {j.id: r for j, r in zip(flat, records, strict=True)}
        for key, js in jobs.items():
            rows = [derived_stats(by_id[j.id], todo[key]["burn_in_weeks"]) for j in js]
            self._done[key] = {n: np.array([r[n] for r in rows]) for n in rows[0]}


# --- patterns ------------------------------------------------------------------------------------------

# Declared non-inferiority margins of the no-loss checks (each Check says why), chosen before the results.
BANNER_BONUS_REVENUE_MARGIN = 0.005  # share of the reference arm's revenue
FIX_FIRST_CHURN_MARGIN = 0.005  # points of annual churn (absolute)
NO_LOSS = {"not_lower": "lower", "not_higher": "higher"}  # expectation -> the direction that is a loss

EXPECT = {
    "higher": "> 0",
    "lower": "< 0",
    "not_higher": "< +{m}",
    "not_lower": "> −{m}",
    "zero": "= 0 in every run",
    "below": "< {t:g}",
}


@dataclass(frozen=True)
class Check:
    """One expected direction within a pattern.

    With ``ref`` set, the statistic is the paired difference, replication by
    replication, of ``arm``'s ``statistic`` minus ``ref``'s ``ref_statistic``
    (the same statistic unless given). Without ``ref``, it is ``arm``'s level.

    ``expect``: ``higher`` (the interval's low end above 0), ``lower`` (high end
    below 0), ``not_higher`` and ``not_lower`` (no-loss claims, judged as
    non-inferiority: the interval's high end below ``+margin``, or its low end
    above ``-margin``; an interval that merely straddles 0 is no evidence of no
    loss), ``zero`` (exactly 0 in every replication) or ``below`` (a level
    whose interval lies below ``threshold``).

    A no-loss check declares its ``margin`` before the result, with its
    ``margin_reason``: a share of the reference arm's mean when
    ``relative_margin``, else in the statistic's unit.

    Replications where the statistic is undefined (e.g. no banner was raised,
    so there is no season factor at a banner) are left out of the interval;
    a check needs at least two defined replications. A check with
    ``required=False`` is exploratory: it is reported but does not decide
    whether the pattern holds.
    """

    statistic: str
    expect: str
    arm: int
    ref: int | None = None
    ref_statistic: str | None = None
    threshold: float = 0.0
    required: bool = True
    margin: float = 0.0
    relative_margin: bool = False
    margin_reason: str = ""

    def __post_init__(self) -> None:
        if self.expect not in EXPECT:
            raise ValueError(f"unknown expectation {self.expect!r}; one of {', '.join(EXPECT)}")
        if self.expect in NO_LOSS and not (self.margin > 0 and self.margin_reason and self.ref is not None):
            raise ValueError(f"a no-loss check ({self.expect}) compares two arms and declares a positive margin "
                             "with its reason")
        for s in (self.statistic, self.ref_statistic):
            if s is not None and s not in KPIS and s not in DERIVED:
                raise ValueError(f"unknown statistic {s!r}")

    def margin_of(self, ref_mean: float) -> float:
        """The margin in the statistic's unit, for a reference arm whose mean is ``ref_mean``."""
        return self.margin * abs(ref_mean) if self.relative_margin else self.margin

    @property
    def margin_text(self) -> str:
        """The margin as the report writes it."""
        return f"{self.margin:.1%} of the reference" if self.relative_margin else f"{self.margin:g}"


@dataclass(frozen=True)
class Pattern:
    """A seed article's qualitative claim, the scenarios that test it and the directions expected."""

    name: str
    claim: str
    source: str
    arms: tuple[Arm, ...]
    checks: tuple[Check, ...]

    def describe(self, c: Check) -> str:
        """A check in words, e.g. ``revenue: banner_mandate - baseline < 0``."""
        a = self.arms[c.arm].label
        expect = EXPECT[c.expect].format(t=c.threshold, m=c.margin_text)
        if c.ref is None:
            return f"`{c.statistic}` of {a} {expect}"
        rs = c.ref_statistic or c.statistic
        if rs == c.statistic:
            return f"`{c.statistic}`: {a} − {self.arms[c.ref].label} {expect}"
        same = c.ref == c.arm
        return f"`{c.statistic}` − `{rs}`{'' if same else ' of ' + self.arms[c.ref].label} in {a} {expect}"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: estimate, 95 % interval and whether the expected direction holds."""

    pattern: Pattern
    check: Check
    estimate: float
    low: float
    high: float
    passed: bool
    n: int  # replications in the interval (those where the statistic is defined)
    of: int  # replications run
    values: np.ndarray = field(repr=False, compare=False)

    @property
    def text(self) -> str:
        return self.pattern.describe(self.check)

    @property
    def verdict(self) -> str:
        if self.check.required:
            return "pass" if self.passed else "**FAIL**"
        return "shown (exploratory)" if self.passed else "not shown (exploratory)"


@dataclass(frozen=True)
class PatternResult:
    pattern: Pattern
    checks: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks if c.check.required)


def _judge(c: Check, values: np.ndarray, margin: float) -> tuple[float, float, float, bool]:
    if values.size < 2:
        return float("nan"), float("nan"), float("nan"), False
    m, lo, hi = mean_ci(values)
    if c.expect == "higher":
        ok = lo > 0
    elif c.expect == "lower":
        ok = hi < 0
    elif c.expect == "not_higher":
        ok = hi < margin
    elif c.expect == "not_lower":
        ok = lo > -margin
    elif c.expect == "zero":
        ok = bool(np.all(values == 0))
    else:  # below
        ok = hi < c.threshold
    return m, lo, hi, bool(ok)


def evaluate_pattern(pattern: Pattern, settings: Settings = FULL, runs: Runs | None = None) -> PatternResult:
    """Run a pattern's arms (``settings.replications`` paired replications each) and judge its checks."""
    runs = runs or Runs(settings)
    data = runs.get(pattern.arms)
    out = []
    for c in pattern.checks:
        x = data[c.arm][c.statistic]
        ref = data[c.ref][c.ref_statistic or c.statistic] if c.ref is not None else None
        values = x - ref if ref is not None else x
        values = values[np.isfinite(values)]
        margin = c.margin_of(float(np.nanmean(ref))) if ref is not None and c.expect in NO_LOSS else 0.0
        m, lo, hi, ok = _judge(c, values, margin)
        out.append(CheckResult(pattern, c, m, lo, hi, ok, values.size, x.size, values))
    return PatternResult(pattern, tuple(out))


def evaluate_patterns(patterns: Iterable[Pattern] | None = None, settings: Settings = FULL,
                      runs: Runs | None = None) -> list[PatternResult]:
    """Evaluate several patterns (all by default), running every arm they need in one batch."""
    patterns = list(PATTERNS if patterns is None else patterns)
    runs = runs or Runs(settings)
    runs.prefetch(a for p in patterns for a in p.arms)
    return [evaluate_pattern(p, settings, runs) for p in patterns]


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "mandate_inflates_reported_rate",
        "A banner close-rate mandate raises the banner close rate management sees while revenue falls.",
        "seed 000",
        (arm("baseline"), arm("banner_mandate")),
        (Check("reported_banner_close_rate", "higher", arm=1, ref=0),
         Check("revenue", "lower", arm=1, ref=0)),
    ),
    Pattern(
        "avoidance_grows_with_enforcement",
        "The harder the close-rate target is enforced, the more banner accounts reps leave unopened.",
        "seed 000",
        (arm("banner_mandate", enforcement=0.0), arm("banner_mandate", enforcement=0.5),
         arm("banner_mandate", enforcement=1.0)),
        (Check("banner_avoidance_rate", "higher", arm=1, ref=0),
         Check("banner_avoidance_rate", "higher", arm=2, ref=1)),
    ),
    Pattern(
        "fix_first_lowers_pitch_churn",
        "Withholding sales pitches from detractors until their problem is fixed lowers the churn that "
        "unwanted pitches cause, without raising churn overall.",
        "seed 004; Ascarza, Iyengar & Schleicher 2016",
        (arm("closed_loop_fix_first", crm_rule="spend_drop", detractor_policy="sell_to_all"),
         arm("closed_loop_fix_first", crm_rule="spend_drop")),
        (Check("pitch_churn_rate", "lower", arm=1, ref=0),
         Check("annual_churn_rate", "not_higher", arm=1, ref=0, margin=FIX_FIRST_CHURN_MARGIN,
               margin_reason="half a point of annual churn: 0.5 % more of the book lost a year, the size of "
                             "the revenue margin of banners_help_without_policing")),
    ),
    Pattern(
        "closed_loop_lowers_service_churn",
        "A closed feedback loop (fixing problems by frequency x severity, following up, and fixing root "
        "causes) lowers churn from service failures. Exploratory: service churn under the loop is lower in "
        "the second measured year than in the first.",
        "seed 004",
        (arm("baseline"), arm("closed_loop_fix_first")),
        (Check("service_churn_rate", "lower", arm=1, ref=0),
         Check("service_churn_rate_year2", "lower", arm=1, ref=1, ref_statistic="service_churn_rate_year1",
               required=False)),
    ),
    Pattern(
        "concessions_without_power",
        "When service is poor and reps lack official power they grant hidden concessions; reps who may "
        "fix problems officially grant fewer.",
        "seed 003",
        (arm("baseline"), arm("poor_service_no_empowerment"), arm("empowered_reps")),
        (Check("hidden_concession_share", "higher", arm=1, ref=0),
         Check("hidden_concession_share", "lower", arm=2, ref=1)),
    ),
    Pattern(
        "customer_centric_coaching_helps",
        "Under the same mandate, 'How are you helping?' coaching with one-to-ones and managers on calls "
        "lowers rep stress and banner avoidance.",
        "seed 001",
        (arm("banner_mandate"), arm("customer_centric_coaching")),
        (Check("rep_stress_mean", "lower", arm=1, ref=0),
         Check("banner_avoidance_rate", "lower", arm=1, ref=0)),
    ),
    Pattern(
        "naive_triggers_fire_on_seasonal_dips",
        "A CRM rule that flags any drop in spend fires on seasonal troughs. Without supply disruptions a "
        "seasonality-aware rule finds (almost) nothing to flag; with them, it flags accounts in more "
        "ordinary weeks of their season than the naive rule.",
        "seed 004",
        (arm("naive_crm_triggers", crm_rule="spend_drop", disruption_rate=0.0),
         arm("naive_crm_triggers", crm_rule="seasonality_aware", disruption_rate=0.0),
         arm("naive_crm_triggers", crm_rule="spend_drop"),
         arm("naive_crm_triggers", crm_rule="seasonality_aware")),
        (Check("season_at_banner", "below", arm=0, threshold=1.0),
         Check("banner_rate", "lower", arm=1, ref=0),
         Check("season_at_banner", "higher", arm=3, ref=2)),
    ),
    Pattern(
        "promoters_worth_more",
        "Customers who start as promoters bring more net revenue over the run than those who start as "
        "detractors.",
        "seed 004; Reichheld 2006",
        (arm("baseline"),),
        (Check("value_per_promoter", "higher", arm=0, ref=0, ref_statistic="value_per_detractor"),),
    ),
    Pattern(
        "email_only_raises_neglect_churn",
        "Keeping customers at a digital arm's length (every proactive contact by e-mail) raises churn "
        "from neglect.",
        "seed 001",
        (arm("baseline"), arm("email_only")),
        (Check("neglect_churn_rate", "higher", arm=1, ref=0),),
    ),
    Pattern(
        "banners_help_without_policing",
        "Paying for banner closes instead of policing the rate loses no more than 0.5 % of revenue (a "
        "non-inferiority margin), "
        "and banners then add revenue over having none.",
        "seed 000",
        (arm("baseline"), arm("banner_bonus"), arm("no_banners")),
        (Check("revenue", "not_lower", arm=1, ref=0, margin=BANNER_BONUS_REVENUE_MARGIN, relative_margin=True,
               margin_reason="half of the ~1 % that banners add over having none (the second check): a bonus "
                             "that lost more would give back most of what banners bring"),
         Check("revenue", "higher", arm=1, ref=2)),
    ),
)

PATTERNS_BY_NAME = {p.name: p for p in PATTERNS}


# --- calibration targets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetResult:
    """A published figure beside the simulated mean and its 95 % interval."""

    target: Any  # sim.calibrate.Target
    mean: float
    low: float
    high: float
    values: np.ndarray = field(repr=False, compare=False)

    @property
    def within(self) -> bool:
        """The simulated mean lies within the target's range."""
        return bool(self.target.within(self.mean))

    @property
    def interval_within(self) -> bool:
        """The whole 95 % interval lies within the target's range."""
        return bool(self.target.within(self.low) and self.target.within(self.high))


def evaluate_targets(scenario: str = "baseline", settings: Settings = FULL, runs: Runs | None = None,
                     targets_path: Any = None) -> list[TargetResult]:
    """Run ``scenario`` (a name or path) and compare each calibration target with the simulated mean.

    The targets file defaults to ``calibration/targets.toml``; the scenario
    argument replaces the one the file names, so a calibrated scenario can be
    checked against the same figures.
    """
    from sim.calibrate import load_targets

    cal = load_targets(targets_path)
    runs = runs or Runs(settings)
    (data,) = runs.get([Arm(scenario)])
    out = []
    for t in cal.targets:
        m, lo, hi = mean_ci(data[t.kpi])
        out.append(TargetResult(t, m, lo, hi, data[t.kpi]))
    return out


# --- the report ---------------------------------------------------------------------------------------


def fmt(x: float, unit: str, diff: bool = False) -> str:
    """A number for the report in the format its unit implies (:mod:`sim.formatting`); ``diff`` signs it."""
    return formatting.value(x, unit_format(unit), signed=diff)


def _ci(m: float, lo: float, hi: float, unit: str, diff: bool) -> str:
    return formatting.estimate(m, lo, hi, unit_format(unit), signed=diff)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def targets_table(results: list[TargetResult]) -> str:
    lines = ["| target | KPI | source | range | simulated mean [95 % CI] | result |",
             "|---|---|---|---|---|---|"]
    for r in results:
        t = r.target
        unit = KPIS[t.kpi].unit
        rng = f"{fmt(t.low, unit)} – {fmt(t.high, unit)} (published {fmt(t.value, unit)})"
        res = "within" if r.interval_within else "within (interval crosses a bound)"
        res = res if r.within else "**outside**"
        lines.append(f"| {t.name} | `{t.kpi}` | {_cell(t.source)} | {rng} | "
                     f"{_ci(r.mean, r.low, r.high, unit, False)} | {res} |")
    return "\n".join(lines)


def patterns_table(results: list[PatternResult]) -> str:
    lines = ["| pattern | claim | source | test | estimate [95 % CI] | result |", "|---|---|---|---|---|---|"]
    for pr in results:
        for i, c in enumerate(pr.checks):
            p = pr.pattern
            head = (f"**{p.name}**", _cell(p.claim), _cell(p.source)) if i == 0 else ("", "", "")
            diff = c.check.ref is not None
            est = _ci(c.estimate, c.low, c.high, stat_unit(c.check.statistic), diff)
            if c.n < c.of:
                est += f" (n = {c.n} of {c.of})"
            lines.append(f"| {' | '.join(head)} | {_cell(c.text)} | {est} | {c.verdict} |")
    return "\n".join(lines)


def _honest(targets: list[TargetResult], patterns: list[PatternResult], scenario: str) -> str:
    out = []
    outside = [r for r in targets if not r.within]
    crossing = [r for r in targets if r.within and not r.interval_within]
    if outside:
        out.append("Targets outside their range: " + "; ".join(
            f"{r.target.name} (simulated {_ci(r.mean, r.low, r.high, KPIS[r.target.kpi].unit, False)}, range "
            f"{fmt(r.target.low, KPIS[r.target.kpi].unit)} – {fmt(r.target.high, KPIS[r.target.kpi].unit)})"
            for r in outside) + f". The `{scenario}` scenario does not reproduce "
            + ("this figure at this size; it is a candidate" if len(outside) == 1 else
               "these figures at this size; they are candidates")
            + " for calibration (or the published range is narrower than the evidence behind it).")
    else:
        out.append(f"All {len(targets)} targets have their simulated mean within the published range.")
    if crossing:
        out.append("Within range, but with a 95 % interval reaching past a bound (close to the edge): "
                   + ", ".join(r.target.name for r in crossing) + ".")
    failed = [c for pr in patterns for c in pr.checks if not c.passed and c.check.required]
    unshown = [c for pr in patterns for c in pr.checks if not c.passed and not c.check.required]
    if failed:
        out.append("Failed pattern checks: " + "; ".join(
            f"{c.pattern.name}: {c.text} (estimate {_ci(c.estimate, c.low, c.high, stat_unit(c.check.statistic), c.check.ref is not None)})"  # noqa: E501
            for c in failed) + ". The model does not show these claims at this size and number of replications.")
    else:
        n = sum(c.check.required for pr in patterns for c in pr.checks)
        out.append(f"All {len(patterns)} patterns hold: every required check ({n}) has its expected direction "
                   "supported by its 95 % interval.")
    for c in unshown:
        unit = stat_unit(c.check.statistic)
        lean = c.estimate > 0 if c.check.expect in ("higher", "not_lower") else c.estimate < 0
        how = ("the estimate has the expected sign but its interval includes zero" if lean
               else "the estimate does not have the expected sign")
        out.append(f"Not shown (exploratory, {c.pattern.name}): {c.text}. The estimate is "
                   f"{_ci(c.estimate, c.low, c.high, unit, c.check.ref is not None)}: {how}, so this part of "
                   "the claim is not supported at this size and number of replications.")
    return "\n\n".join(out)


def report_markdown(targets: list[TargetResult], patterns: list[PatternResult], settings: Settings,
                    scenario: str, command: str, created: str, elapsed_s: float | None = None,
                    field: tuple[str, str] = ("", "")) -> str:
    """``docs/validation.md``: how it was produced, the targets table, the patterns table, what fails; then
    ``field`` (a summary phrase and Markdown sections, see :mod:`sim.field_validation`) if given."""
    took = f" in {elapsed_s:.0f} s" if elapsed_s is not None else ""
    n_pass = sum(r.within for r in targets)
    p_pass = sum(pr.passed for pr in patterns)
    return f"""# Validation

<!-- generated by `salesim validation-report`; do not edit by hand -->

Produced by `{command}` on {created}{took}: {settings.describe()}. Replication k of every
scenario uses the same seed (common random numbers), so pattern estimates are paired differences.
Intervals are 95 % t intervals over replications. The targets are evaluated on the scenario
`{scenario}`; the patterns compare the shipped scenarios named in each row.

**Summary:** {n_pass} of {len(targets)} calibration targets within their published range;
{p_pass} of {len(patterns)} patterns hold{"; " + field[0] if field[0] else ""}.

{_honest(targets, patterns, scenario)}

## Calibration targets

Each target (from `calibration/targets.toml`) is a published figure and the range the simulated
scenario's mean should fall in; "within" compares the mean with the range, and notes when the
interval reaches past a bound.

{targets_table(targets)}

## Patterns

Each pattern is a qualitative claim of a seed article (see `calibration/sources.md`), defined in
`sim/validation.py` and tested at a smaller size by `tests/validation/test_patterns.py`. A row is
one check: a paired difference between two scenarios (or two statistics of one scenario) with the
direction expected, or a level. Derived statistics: {"; ".join(f"`{d.name}` = {d.doc}" for d in DERIVED.values())}.

{patterns_table(patterns)}
{chr(10) + field[1] if field[1] else ""}"""


def with_replications(settings: Settings, replications: int | None) -> Settings:
    return settings if replications is None else replace(settings, replications=replications)
