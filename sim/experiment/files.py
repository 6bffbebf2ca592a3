"""Saved experiment files: a comparison, a sweep or a trial named once, in TOML, and run by ``salesim batch``.

An experiment file lives under ``experiments/``::

    title = "The flagship comparison"
    question = "Does a close-rate mandate pay, and which remedy recovers what it loses?"
    kind = "compare"                  # compare | sweep | trial
    scenarios = ["baseline", "banner_mandate"]   # compare: names, or .toml paths relative to this file
    replications = 20
    weeks = 104
    seed = 1
    out = "runs/flagship"             # relative to the folder salesim runs in, as --out is
    posterior = "calibration/fitted/targets"     # compare, optional: replicate over posterior draws
    [set]                             # optional: override parameters in every run, as --set does
    n_accounts = 1000

A sweep names ``scenario`` (the base), ``design`` (grid or lhs), ``samples`` (lhs) and a ``[vary]`` table,
each lever a range ``{ low = 0.0, high = 1.0, steps = 5 }`` or a list of values, and optionally a
``[reference]`` table (varied levers' values of the point differences are taken against, as
``--reference`` does; default: the base scenario's own). A trial names ``trial``,
a trial file (``experiments/trials/``). The file becomes the arguments of ``salesim compare``, ``sweep`` or
``trial`` (:func:`command_args`), so it runs through the same runner and store, ``--resume`` works, and the
runs equal those of the command typed by hand. Every problem is reported as one :class:`ExperimentError`
naming the file, the field, the value and what is allowed.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import UserError
from sim.tomlfile import did_you_mean, field_error, read_toml

KINDS = {"compare": "paired replications of scenarios (salesim compare)",
         "sweep": "levers of one scenario varied over a grid or a Latin hypercube (salesim sweep)",
         "trial": "a randomised field trial inside the model (salesim trial)",
         "optimize": "a multi-objective search over levers (salesim optimize, a problem file)",
         "discover": "scenario discovery with PRIM (salesim discover, a problem file)",
         "robust": "candidate policies across uncertain worlds (salesim robust, a problem file)"}
# The decision commands read their own problem files (experiments/decisions/); a batch file names one.
DECISIONS = ("optimize", "discover", "robust")
COMMON = ("title", "question", "kind", "replications", "seed", "out", "set")
FIELDS: dict[str, tuple[str, ...]] = {
    "compare": (*COMMON, "scenarios", "weeks", "posterior"),
    "sweep": (*COMMON, "scenario", "weeks", "vary", "design", "samples", "reference"),
    "trial": (*COMMON, "trial"),
    **{kind: (*COMMON, "problem") for kind in DECISIONS},
}
TOP_KEYS = tuple(dict.fromkeys(k for keys in FIELDS.values() for k in keys))
DESIGNS = ("grid", "lhs")
RANGE_KEYS = ("low", "high", "steps")
# What a field falls back to when the file leaves it out: the commands' own defaults.
DEFAULTS: dict[str, dict[str, Any]] = {
    "compare": {"replications": 20, "weeks": 104, "seed": 1},
    "sweep": {"replications": 5, "weeks": 104, "seed": 1, "design": "grid", "samples": 20},
    "trial": {"replications": 20, "seed": 1},
    **{kind: {} for kind in DECISIONS},  # replications and seed: the problem file's own unless given
}


class ExperimentError(UserError):
    """An experiment file is invalid."""


@dataclass(frozen=True)
class Experiment:
    """One validated experiment file: what to run and the command-line arguments that run it."""

    path: Path
    kind: str
    title: str
    question: str
    values: dict[str, Any] = field(default_factory=dict)


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file; raise :class:`ExperimentError` naming each problem found."""
    path = Path(path)
    try:
        data = read_toml(path, TOP_KEYS, "Experiment file")
    except UserError as e:
        raise ExperimentError(str(e)) from None
    kind = data.get("kind")
    if kind not in KINDS:
        raise _error([field_error(path, "kind", kind, f"{did_you_mean(kind, KINDS)}choose one of "
                                  + "; ".join(f"'{k}' ({v})" for k, v in KINDS.items()))])
    problems = [field_error(path, k, data[k], f"a {kind} does not use it; its fields are "
                            f"{', '.join(FIELDS[kind])}") for k in data if k not in FIELDS[kind]]
    values = {**DEFAULTS[kind], **{k: v for k, v in data.items() if k in FIELDS[kind]}}
    problems += _check_common(path, values)
    checks = {"compare": _check_compare, "sweep": _check_sweep, "trial": _check_trial,
              **dict.fromkeys(DECISIONS, _check_problem)}
    problems += checks[kind](path, values)
    if problems:
        raise _error(problems)
    return Experiment(path, kind, str(values.get("title", "")), str(values.get("question", "")), values)


def command_args(exp: Experiment, options: argparse.Namespace) -> argparse.Namespace:
    """The arguments of ``salesim <kind>`` that run ``exp``; ``options`` adds how and where to run (workers,
    scheduler, --resume, --quiet, --large, and --out, which wins over the file's ``out``)."""
    v = exp.values
    out = options.out or (Path(v["out"]) if "out" in v else Path("runs") / exp.path.stem)
    args = {"replications": v.get("replications"), "seed": v.get("seed"), "set": _set_items(v.get("set", {})),
            "workers": options.workers, "scheduler": options.scheduler, "dask_local": options.dask_local,
            "resume": options.resume, "out": out, "quiet": options.quiet, "large": options.large}
    if exp.kind == "compare":
        args.update(scenarios=[_ref(exp.path, s) for s in v["scenarios"]], weeks=v["weeks"],
                    posterior=Path(v["posterior"]) if v.get("posterior") else None)
    elif exp.kind == "sweep":
        args.update(scenario=_ref(exp.path, v["scenario"]), weeks=v["weeks"], design=v["design"],
                    samples=v["samples"], vary=[vary_text(k, r) for k, r in v["vary"].items()],
                    reference=_set_items(v.get("reference", {})))
    elif exp.kind in DECISIONS:
        problem = _relative(exp.path, v["problem"])  # the default folder is the command's own for that file
        args.update(file=problem, command=exp.kind, out=options.out or (Path(v["out"]) if "out" in v else
                                                                         Path("runs") / f"{exp.kind}-{problem.stem}"))
    else:
        args.update(file=_relative(exp.path, v["trial"]))
    return argparse.Namespace(**args)


def vary_text(lever: str, spec: Any) -> str:
    """A ``[vary]`` entry as the ``--vary`` text the sweep parses: ``lever=LOW:HIGH:STEPS`` or ``lever=a,b``."""
    if isinstance(spec, dict):
        return f"{lever}={_literal(spec['low'])}:{_literal(spec['high'])}:{spec['steps']}"
    return f"{lever}={','.join(_literal(x) for x in spec)}"


# --- checks -----------------------------------------------------------------------------


def _check_common(path: Path, v: dict[str, Any]) -> list[UserError]:
    from sim.cli_common import replications_arg, seed_arg, weeks_arg

    out = []
    for key in ("title", "question", "out", "posterior", "scenario", "trial"):
        if key in v and (not isinstance(v[key], str) or not v[key].strip()):
            out.append(field_error(path, key, v[key], "it must be non-empty text"))
    for key, check in (("replications", replications_arg), ("weeks", weeks_arg), ("seed", seed_arg)):
        if key in v:
            try:
                check(_whole(v[key]))
            except argparse.ArgumentTypeError as e:
                out.append(field_error(path, key, v[key], f"it {e}"))
    overrides = v.get("set", {})
    if not isinstance(overrides, dict) or any(isinstance(x, dict | list) for x in overrides.values()):
        out.append(field_error(path, "set", overrides, "it must be a [set] table of parameter = value, e.g. "
                               "n_accounts = 1000"))
    return out


def _check_compare(path: Path, v: dict[str, Any]) -> list[UserError]:
    names = v.get("scenarios")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        return [field_error(path, "scenarios", names, "it must be a non-empty list of scenario names or .toml "
                            "paths, e.g. scenarios = [\"baseline\", \"banner_mandate\"]; the first is the reference")]
    out = [field_error(path, "scenarios", names, f"scenario {n!r} is named twice; name each once")
           for n in sorted({n for n in names if names.count(n) > 1})]
    for i, n in enumerate(names):
        out += _check_scenario(path, f"scenarios[{i}]", n, v)
    if isinstance(v.get("posterior"), str) and not (Path(v["posterior"]) / "posterior.csv").is_file():
        out.append(field_error(path, "posterior", v["posterior"], "it must be a calibration folder holding "
                               "posterior.csv (as 'salesim calibrate' writes it), e.g. calibration/fitted/targets"))
    return out


def _check_sweep(path: Path, v: dict[str, Any]) -> list[UserError]:
    out = []
    if "scenario" not in v:
        out.append(field_error(path, "scenario", None, "a sweep needs its base scenario, e.g. scenario = "
                               "\"banner_mandate\""))
    elif isinstance(v["scenario"], str):
        out += _check_scenario(path, "scenario", v["scenario"], v)
    if v.get("design") not in DESIGNS:
        out.append(field_error(path, "design", v.get("design"), f"{did_you_mean(v.get('design'), DESIGNS)}"
                               f"choose one of {', '.join(DESIGNS)}"))
    if not isinstance(v.get("samples"), int) or isinstance(v.get("samples"), bool) or v["samples"] < 1:
        out.append(field_error(path, "samples", v.get("samples"), "it must be a whole number of at least 1 "
                               "(design points of a Latin hypercube)"))
    vary = v.get("vary")
    if not isinstance(vary, dict) or not vary:
        return [*out, field_error(path, "vary", vary, "a sweep needs a [vary] table with one entry a lever, e.g. "
                                  "enforcement = { low = 0.0, high = 1.0, steps = 5 } or "
                                  "coaching_style = [\"close_focused\", \"customer_focused\"]")]
    from sim.experiment.sweep import parse_vary

    reference = v.get("reference", {})
    if not isinstance(reference, dict) or any(k not in vary or isinstance(x, dict | list)
                                              for k, x in reference.items()):
        out.append(field_error(path, "reference", reference, "it must be a [reference] table giving varied levers "
                               f"a value each (the point differences are taken against), e.g. "
                               f"{next(iter(vary))} = ...; varied here: {', '.join(vary)}"))
    for lever, spec in vary.items():
        where = f"vary.{lever}"
        if isinstance(spec, dict):
            if set(spec) != set(RANGE_KEYS):
                out.append(field_error(path, where, spec, "a range needs exactly low, high and steps, e.g. "
                                       "{ low = 0.0, high = 1.0, steps = 5 }"))
                continue
        elif not isinstance(spec, list) or not spec or any(isinstance(x, dict | list) for x in spec):
            out.append(field_error(path, where, spec, "it must be a range { low = ..., high = ..., steps = ... } "
                                   "or a non-empty list of values"))
            continue
        try:
            parse_vary(vary_text(lever, spec))
        except UserError as e:
            out.append(field_error(path, where, spec, _strip_option(str(e))))
    return out


def _check_trial(path: Path, v: dict[str, Any]) -> list[UserError]:
    ref = v.get("trial")
    if not isinstance(ref, str) or not ref.strip():
        return [] if "trial" in v else [field_error(path, "trial", None, "a trial needs its trial file, e.g. "
                                                    "trial = \"trials/ascarza_outreach.toml\"")]
    if not _relative(path, ref).is_file():
        return [field_error(path, "trial", ref, "it must name an existing trial file, relative to this file "
                            "(e.g. trials/ascarza_outreach.toml)")]
    from sim.trials import load_trial

    try:
        load_trial(_relative(path, ref))
    except UserError as e:
        return [field_error(path, "trial", ref, str(e))]
    return []


def _check_problem(path: Path, v: dict[str, Any]) -> list[UserError]:
    """A decision experiment names a problem file that loads with its command's own checks."""
    kind, ref = v["kind"], v.get("problem")
    example = f"decisions/{kind}_mandate.toml"
    if not isinstance(ref, str) or not ref.strip():
        return [field_error(path, "problem", ref, f"a {kind} needs its problem file, e.g. problem = \"{example}\"")]
    if not _relative(path, ref).is_file():
        return [field_error(path, "problem", ref, f"it must name an existing problem file, relative to this file "
                            f"(e.g. {example})")]
    from sim.decide.problem import load_discover, load_optimize, load_robust

    loaders: dict[str, Callable[..., Any]] = {"optimize": load_optimize, "discover": load_discover,
                                              "robust": load_robust}
    load = loaders[kind]
    try:
        load(_relative(path, ref))
    except UserError as e:
        return [field_error(path, "problem", ref, str(e))]
    return []


def _check_scenario(path: Path, where: str, ref: str, v: dict[str, Any]) -> list[UserError]:
    """A scenario reference that loads with the file's [set], and whose runs are longer than its burn-in."""
    from sim.scenario import load_scenario, parse_set

    try:
        scenario = load_scenario(_ref(path, ref), parse_set(_set_items(v.get("set", {})))
                                 if isinstance(v.get("set", {}), dict) else None)
    except UserError as e:
        return [field_error(path, where, ref, _strip_option(str(e)))]
    weeks = v.get("weeks")
    burn = scenario.params.burn_in_weeks
    if isinstance(weeks, int) and weeks <= burn:
        return [field_error(path, "weeks", weeks, f"it must be longer than the burn-in of {ref} "
                            f"(burn_in_weeks = {burn}), or no week would be measured")]
    return []


# --- small helpers ---------------------------------------------------------------------


def _error(problems: list[UserError]) -> ExperimentError:
    if len(problems) == 1:
        return ExperimentError(str(problems[0]))
    return ExperimentError(f"{len(problems)} problems:\n  - " + "\n  - ".join(str(p) for p in problems))


def _ref(path: Path, ref: str) -> str:
    """A scenario reference: a name as written, a .toml path relative to the experiment file."""
    return str(_relative(path, ref)) if ref.endswith(".toml") or "/" in ref else ref


def _relative(path: Path, ref: str) -> Path:
    p = Path(ref).expanduser()
    return p if p.is_absolute() else path.parent / p


def _set_items(overrides: dict[str, Any]) -> list[str]:
    """``[set]`` as the ``--set lever=value`` texts the commands parse."""
    return [f"{k}={_literal(x)}" for k, x in overrides.items()]


def _literal(x: Any) -> str:
    """A TOML value as it would be typed on the command line (strings bare, booleans lower case)."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, str):
        return x
    return json.dumps(x)


def _whole(x: Any) -> str:
    """A value for the commands' argument checks, which read text: whole numbers only pass as whole numbers."""
    return str(x) if isinstance(x, int) and not isinstance(x, bool) else repr(x)


def _strip_option(message: str) -> str:
    """A command-line message re-used for a file field: without the option it quotes, or a final full stop."""
    return re.sub(r"^--[\w-]+ '[^']*': ", "", message).rstrip(".")
