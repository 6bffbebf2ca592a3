"""Decision problem files: an optimisation of levers, or a scenario discovery over uncertain assumptions.

An optimisation file (``experiments/decisions/optimize_mandate.toml``)::

    title = "Which mandate settings trade profit against churn and rep turnover?"
    scenario = "banner_mandate"     # base scenario every candidate starts from (a name or a path)
    objectives = ["profit", "annual_churn_rate", "rep_turnover_rate"]   # KPIs; direction from sim/kpis.py
    trials = 48                     # candidates NSGA-II evaluates
    population = 12                 # candidates per generation
    replications = 3                # runs per candidate (common random numbers); objective = their mean
    weeks = 78
    [set]                           # optional overrides of the base scenario (e.g. a smaller unit)
    n_accounts = 1000
    [reevaluate]                    # the top candidates run again on fresh seeds (the winner's curse)
    top = 5
    replications = 10
    [levers.banner_target]
    range = [0.3, 1.0]              # numbers: low, high (inside the declared range in sim/params.py)
    [levers.coaching_style]
    choices = ["close_focused", "customer_focused"]   # choices and on/off levers: the values to try

A discovery file (``experiments/decisions/discover_mandate.toml``) replaces levers and objectives by ``samples``,
``[uncertainties.NAME]`` (behaviour or economics parameters, same ``range``/``choices`` syntax) and a
``[threshold]``: ``kpi``, ``fails = "below"`` or ``"above"``, and either ``value`` (a number) or
``reference`` (a scenario evaluated in the same world, e.g. "baseline": "profit below the baseline's"),
with an optional ``margin`` ("profit more than 500,000 below the baseline's": ``margin = 500000``).
``from = "runs/.../runs.parquet"`` (or ``salesim discover FILE --from RUNS``) finds the boxes in an existing
sample instead of running one (:mod:`sim.decide.given`).

Every problem is one :class:`~sim.errors.UserError` naming the file, the field, the value and what is allowed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import UserError
from sim.kpis import KPIS
from sim.limits import DESIGN_POINTS, REPLICATIONS, WEEKS
from sim.params import param_info
from sim.scenario import Scenario, load_scenario, parameter_problems
from sim.tomlfile import did_you_mean, field_error, read_toml

OPTIMIZE_KEYS = ("title", "question", "scenario", "objectives", "trials", "population", "replications", "weeks",
                 "seed", "set", "reevaluate", "levers")
DISCOVER_KEYS = ("title", "question", "scenario", "samples", "replications", "weeks", "seed", "set", "threshold",
                 "uncertainties", "prim", "from")
THRESHOLD_KEYS = ("kpi", "fails", "value", "reference", "margin")
PRIM_KEYS = ("min_density", "max_boxes", "peel_alpha")
ROBUST_KEYS = ("title", "question", "policies", "kpi", "samples", "replications", "weeks", "seed", "set",
               "uncertainties", "posterior")
MAX_TRIALS = 100_000


@dataclass(frozen=True)
class Dimension:
    """One searched or sampled parameter: a numeric range (``low``..``high``) or listed ``choices``."""

    name: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    integer: bool = False


@dataclass(frozen=True)
class _Problem:
    """What every decision problem has: its file, title, question, replications, weeks and root seed."""

    path: Path
    title: str
    question: str
    replications: int
    weeks: int
    seed: int


@dataclass(frozen=True)
class OptimizeProblem(_Problem):
    """A validated optimisation: base scenario, levers searched, objectives and budgets."""

    base: Scenario
    levers: tuple[Dimension, ...]
    objectives: tuple[str, ...]
    trials: int
    population: int
    top: int
    reevaluate_replications: int

    @property
    def directions(self) -> tuple[str, ...]:
        """Optuna's direction of each objective, from the KPI's declared ``better``."""
        return tuple("maximize" if KPIS[k].better > 0 else "minimize" for k in self.objectives)


@dataclass(frozen=True)
class DiscoverProblem(_Problem):
    """A validated scenario discovery: the policy, the uncertainty sample and the failure threshold."""

    base: Scenario
    uncertainties: tuple[Dimension, ...]
    samples: int
    kpi: str
    fails: str
    value: float | None = None
    reference: Scenario | None = None
    margin: float = 0.0
    prim: dict[str, float] = field(default_factory=dict)
    sample: Path | None = None  # an existing runs.parquet to find boxes in, instead of running the worlds

    @property
    def threshold_text(self) -> str:
        """The failure condition in words, e.g. 'profit below baseline's'."""
        k = KPIS[self.kpi]
        if self.reference is None:
            return f"{k.label} {self.fails} {k.format(float(self.value or 0.0))}"
        by = f"more than {k.format(self.margin)} " if self.margin else ""
        return f"{k.label} {by}{self.fails} {self.reference.name}'s"


@dataclass(frozen=True)
class RobustProblem(_Problem):
    """A validated robustness check: candidate policies (scenarios), one KPI, and the uncertainty sample."""

    policies: tuple[Scenario, ...]
    kpi: str
    samples: int
    uncertainties: tuple[Dimension, ...] = ()
    posterior: Path | None = None  # a calibration folder: its posterior draws are the worlds


def load_robust(path: str | Path, **overrides: Any) -> RobustProblem:
    """Read and validate a robustness file; ``overrides`` (see :func:`_common`) come from the command line."""
    path = Path(path)
    data = read_toml(path, ROBUST_KEYS, "Robustness file")
    names = data.get("policies")
    if not (isinstance(names, list) and len(names) >= 2 and all(isinstance(n, str) and n for n in names)) \
            or len(set(names)) < len(names):
        raise field_error(path, "policies", names, 'two or more different scenario names or paths, e.g. '
                          'policies = ["banner_mandate", "banner_bonus"]')
    first, common = _common(path, {**data, "scenario": names[0]}, **overrides)
    cli = overrides.get("overrides") or {}
    policies = (first, *(load_scenario(_near(path, n), {**data.get("set", {}), **cli} or None) for n in names[1:]))
    kpi = data.get("kpi")
    if kpi not in KPIS or KPIS[kpi].better == 0:
        raise field_error(path, "kpi", kpi, f"{did_you_mean(kpi, KPIS)}a KPI with a declared direction; see "
                          "'salesim reference kpis'")
    samples = _whole(path, data, "samples", 50, 2, DESIGN_POINTS.limit)
    if ("posterior" in data) == ("uncertainties" in data):
        raise field_error(path, "uncertainties", data.get("uncertainties"), "exactly one of [uncertainties.NAME] "
                          'tables (a Latin hypercube) or posterior = "calibration/fitted/targets" (its draws)')
    if "posterior" in data:
        folder = data["posterior"]
        found = [p for p in (Path(str(folder)), path.parent / str(folder)) if (p / "posterior.csv").is_file()]
        if not isinstance(folder, str) or not found:
            raise field_error(path, "posterior", folder, "a calibration folder holding posterior.csv (as 'salesim "
                              "calibrate' writes it), e.g. \"calibration/fitted/targets\"")
        return RobustProblem(path=path, policies=policies, kpi=kpi, samples=samples, posterior=found[0], **common)
    uncertainties = _dimensions(path, data, "uncertainties", ("behaviour", "economics"), first)
    return RobustProblem(path=path, policies=policies, kpi=kpi, uncertainties=uncertainties, samples=samples,
                         **common)


def load_optimize(path: str | Path, **overrides: Any) -> OptimizeProblem:
    """Read and validate an optimisation file; ``overrides`` (see :func:`_common`) come from the command line."""
    path = Path(path)
    data = read_toml(path, OPTIMIZE_KEYS, "Optimisation file")
    base, common = _common(path, data, **overrides)
    objectives = data.get("objectives")
    if not (isinstance(objectives, list) and objectives and all(isinstance(k, str) for k in objectives)):
        raise field_error(path, "objectives", objectives, 'a non-empty list of KPI names, e.g. objectives = '
                          '["profit", "annual_churn_rate"]')
    for k in objectives:
        if k not in KPIS:
            raise field_error(path, "objectives", k, f"{did_you_mean(k, KPIS)}a KPI name; see 'salesim reference "
                              "kpis'")
        if KPIS[k].better == 0:
            raise field_error(path, "objectives", k, "a KPI with a declared direction (better higher or lower); "
                              f"{k} has none, so it cannot be optimised")
    if len(set(objectives)) != len(objectives):
        raise field_error(path, "objectives", objectives, "each KPI once")
    trials = _whole(path, data, "trials", 40, 2, MAX_TRIALS)
    population = _whole(path, data, "population", min(10, trials), 2, trials)
    re = data.get("reevaluate", {})
    if not isinstance(re, dict) or set(re) - {"top", "replications"}:
        raise field_error(path, "reevaluate", re, "a table with top and replications, e.g. [reevaluate] top = 5")
    top = _whole(path, re, "top", 5, 1, trials, "reevaluate.")
    rerep = _whole(path, re, "replications", 10, 2, REPLICATIONS.limit, "reevaluate.")
    levers = _dimensions(path, data, "levers", ("lever",), base)
    return OptimizeProblem(path=path, base=base, levers=levers, objectives=tuple(objectives), trials=trials,
                           population=population, top=top, reevaluate_replications=rerep, **common)


def load_discover(path: str | Path, sample: str | Path | None = None, **overrides: Any) -> DiscoverProblem:
    """Read and validate a discovery file; ``overrides`` (see :func:`_common`) come from the command line.

    ``sample`` (``--from``), or the file's ``from``, names an existing runs table (a sweep's, a discovery's or
    a robustness check's ``runs.parquet``) to find the boxes in without running anything; then
    ``[uncertainties]`` is optional and only chooses stored columns (levers too; ranges come from the data):
    without it, every stored lever or parameter column that varies is a dimension.
    """
    path = Path(path)
    data = read_toml(path, DISCOVER_KEYS, "Discovery file")
    base, common = _common(path, data, **overrides)
    if sample is None and "from" in data:
        sample = _existing_file(path, "from", data["from"], "the runs.parquet of an existing sweep, discovery or "
                                "robustness check, e.g. from = \"runs/sweep-banner_mandate-enforcement/runs.parquet\"")
    samples = _whole(path, data, "samples", 200, 10, DESIGN_POINTS.limit)
    th = data.get("threshold")
    if not isinstance(th, dict):
        raise field_error(path, "threshold", th, 'a [threshold] table: kpi = "profit", fails = "below", and '
                          'reference = "baseline" or value = a number')
    for key in th:
        if key not in THRESHOLD_KEYS:
            raise field_error(path, f"threshold.{key}", th[key], f"{did_you_mean(key, THRESHOLD_KEYS)}allowed "
                              f"keys are {', '.join(THRESHOLD_KEYS)}")
    kpi = th.get("kpi")
    if kpi not in KPIS:
        raise field_error(path, "threshold.kpi", kpi, f"{did_you_mean(kpi, KPIS)}a KPI name; see 'salesim "
                          "reference kpis'")
    fails = th.get("fails")
    if fails not in ("below", "above"):
        raise field_error(path, "threshold.fails", fails, '"below" or "above": the side of the threshold where '
                          "the policy fails")
    if ("value" in th) == ("reference" in th):
        raise field_error(path, "threshold", th, "exactly one of value (a number) or reference (a scenario "
                          "evaluated in the same world)")
    value = reference = None
    if "value" in th:
        value = th["value"]
        if not _is_number(value):
            raise field_error(path, "threshold.value", value, f"a number in {KPIS[kpi].unit}")
        value = float(value)
    else:
        ref = th["reference"]
        if not isinstance(ref, str):
            raise field_error(path, "threshold.reference", ref, 'a scenario name or path, e.g. "baseline"')
        reference = load_scenario(_near(path, ref), {**data.get("set", {}), **(overrides.get("overrides") or {})}
                                  or None)
        if reference.name == base.name:
            raise field_error(path, "threshold.reference", ref, f"a scenario other than the policy ({base.name})")
    margin = th.get("margin", 0.0)
    if not _is_number(margin) or margin < 0 or (margin and reference is None):
        raise field_error(path, "threshold.margin", margin, f"a number of 0 or more in {KPIS[kpi].unit}, with a "
                          "reference: the policy fails when it is worse than the reference by more than this")
    prim = data.get("prim", {})
    if not isinstance(prim, dict):
        raise field_error(path, "prim", prim, f"a table with {', '.join(PRIM_KEYS)}")
    for key, v in prim.items():
        if key not in PRIM_KEYS:
            raise field_error(path, f"prim.{key}", v, f"{did_you_mean(key, PRIM_KEYS)}allowed keys are "
                              f"{', '.join(PRIM_KEYS)}")
    opts = {"min_density": 0.8, "max_boxes": 3, "peel_alpha": 0.05, **prim}
    for key, lo, hi in (("min_density", 0.0, 1.0), ("peel_alpha", 0.01, 0.5), ("max_boxes", 1, 10)):
        v = opts[key]
        if not _is_number(v) or not lo <= v <= hi or (key == "max_boxes" and not isinstance(v, int)):
            raise field_error(path, f"prim.{key}", v, f"a {'whole ' if key == 'max_boxes' else ''}number from "
                              f"{lo:g} to {hi:g}")
    # On a stored sample [uncertainties] only chooses columns, so a sweep's levers may be among them too.
    groups = ("behaviour", "economics", "lever") if sample is not None else ("behaviour", "economics")
    uncertainties = () if sample is not None and "uncertainties" not in data else _dimensions(
        path, data, "uncertainties", groups, base)
    return DiscoverProblem(path=path, base=base, uncertainties=uncertainties, samples=samples, kpi=kpi,
                           fails=fails, value=value, reference=reference, margin=float(margin),
                           prim={k: float(v) for k, v in opts.items()},
                           sample=Path(sample) if sample is not None else None, **common)


def _existing_file(path: Path, key: str, value: Any, allowed: str) -> Path:
    """A file a field names: as given (from the working folder), else beside the problem file."""
    found = [p for p in (Path(str(value)), path.parent / str(value)) if p.is_file()] if isinstance(value, str) \
        and value else []
    if not found:
        raise field_error(path, key, value, f"an existing file: {allowed}")
    return found[0]


def _common(path: Path, data: dict[str, Any], overrides: dict[str, Any] | None = None,
            replications: int | None = None, seed: int | None = None) -> tuple[Scenario, dict[str, Any]]:
    """The fields both kinds share: title, question, base scenario with [set], replications, weeks, seed.

    ``overrides`` (``--set``) apply after the file's [set]; ``replications`` and ``seed``, when given, replace
    the file's.
    """
    for key in ("title", "question"):
        if not isinstance(data.get(key, ""), str):
            raise field_error(path, key, data[key], "text in quotes")
    scenario = data.get("scenario")
    if not isinstance(scenario, str) or not scenario:
        raise field_error(path, "scenario", scenario, 'a scenario name or path in quotes, e.g. scenario = '
                          '"banner_mandate"')
    overrides_in_file = data.get("set", {})
    if not isinstance(overrides_in_file, dict):
        raise field_error(path, "set", overrides_in_file, "a [set] table of parameter = value")
    problems = parameter_problems(overrides_in_file, "set.")
    if problems:
        raise UserError(f"{path}: {problems[0]}")
    base = load_scenario(_near(path, scenario), {**overrides_in_file, **(overrides or {})} or None)
    replications = replications or _whole(path, data, "replications", 3, 1, REPLICATIONS.limit)
    weeks = _whole(path, data, "weeks", 104, base.params.burn_in_weeks + 1, WEEKS.limit)
    seed = _whole(path, data, "seed", 1, 0, 2**63 - 1) if seed is None else seed
    return base, {"title": str(data.get("title", path.stem)), "question": str(data.get("question", "")),
                  "replications": replications, "weeks": weeks, "seed": seed}


def _near(path: Path, ref: str) -> str:
    """A relative .toml path is read from the problem file's folder; a name is a shipped scenario."""
    if ref.endswith(".toml") and not Path(ref).is_absolute():
        return str(path.parent / ref)
    return ref


def _whole(path: Path, data: dict[str, Any], key: str, default: int, lo: int, hi: int, prefix: str = "") -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise field_error(path, prefix + key, value, f"a whole number from {lo:,} to {hi:,}")
    return value


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _dimensions(path: Path, data: dict[str, Any], table: str, groups: tuple[str, ...],
                base: Scenario) -> tuple[Dimension, ...]:
    """The parameters of a [table.NAME] section, each checked against its declaration in sim/params.py."""
    spec = data.get(table)
    if not isinstance(spec, dict) or not spec:
        raise field_error(path, table, spec, f"a table of one or more parameters, e.g. [{table}.enforcement] "
                          "range = [0.0, 1.0]")
    info = param_info()
    out = []
    for name, entry in spec.items():
        where = f"{table}.{name}"
        if name not in info:
            raise field_error(path, where, name, f"{did_you_mean(name, info)}a parameter name; see 'salesim "
                              "reference parameters'")
        pi = info[name]
        if pi.group not in groups:
            raise field_error(path, where, name, f"a parameter of group {' or '.join(groups)}; {name} is a "
                              f"{pi.group} parameter")
        if not isinstance(entry, dict) or len(entry) != 1 or not set(entry) <= {"range", "choices"}:
            raise field_error(path, where, entry, "a table with either range = [low, high] (numbers) or "
                              "choices = [...] (choices and on/off parameters)")
        if "choices" in entry:
            out.append(_choices(path, where, pi, entry["choices"], base))
        else:
            out.append(_range(path, where, pi, entry["range"], base))
    return tuple(out)


def _choices(path: Path, where: str, pi: Any, values: Any, base: Scenario) -> Dimension:
    allowed: list[Any] = list(pi.choices) if pi.choices else [False, True] if pi.kind == "bool" else []
    if not allowed:
        raise field_error(path, f"{where}.choices", values, f"a range = [low, high]: {pi.name} is a number")
    if not (isinstance(values, list) and len(values) >= 2 and all(v in allowed and type(v) is type(allowed[0])
                                                                  for v in values)) or len(set(values)) < len(values):
        raise field_error(path, f"{where}.choices", values, f"two or more different values of {allowed}")
    for v in values:
        _fits(path, f"{where}.choices", pi.name, v, base)
    return Dimension(pi.name, choices=tuple(values))


def _range(path: Path, where: str, pi: Any, values: Any, base: Scenario) -> Dimension:
    if pi.kind not in ("int", "float"):
        raise field_error(path, f"{where}.range", values, f"choices = [...]: {pi.name} is a {pi.kind}")
    if not (isinstance(values, list) and len(values) == 2 and all(_is_number(v) for v in values)):
        raise field_error(path, f"{where}.range", values, "[low, high], two numbers")
    lo, hi = float(values[0]), float(values[1])
    inside = (pi.ge is None or lo >= pi.ge) and (pi.le is None or hi <= pi.le)
    if not lo < hi or not inside:
        raise field_error(path, f"{where}.range", values, f"low below high, within the declared range "
                          f"{pi.ge:g} to {pi.le:g} ({pi.unit})")
    integer = pi.kind == "int"
    if integer and not (float(lo).is_integer() and float(hi).is_integer()):
        raise field_error(path, f"{where}.range", values, f"whole numbers: {pi.name} is a whole number")
    for v in (lo, hi):
        _fits(path, f"{where}.range", pi.name, int(v) if integer else v, base)
    return Dimension(pi.name, low=lo, high=hi, integer=integer)


def _fits(path: Path, where: str, name: str, value: Any, base: Scenario) -> None:
    """The base scenario with this one value must still be a valid parameter set (cross-field rules)."""
    try:
        base.params.replace(**{name: value})
    except ValueError as e:
        msg = e.errors()[0].get("ctx", {}).get("error") or e.errors()[0]["msg"] if hasattr(e, "errors") else e
        raise field_error(path, where, value, f"a value the base scenario {base.name!r} accepts ({msg})") from None
