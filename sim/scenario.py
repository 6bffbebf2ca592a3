"""Scenario files: a titled question plus the parameter values that pose it.

A scenario is a TOML file in the ``scenarios/`` folder of the repository (or in
the folder named by the environment variable ``SALESIM_SCENARIOS``)::

    title = "Banner close-rate mandate"
    question = "What happens when managers enforce a 90 % banner close rate?"
    mechanisms = ["M1", "M2", "M3"]
    extends = "baseline"     # optional: a scenario name or a relative path
    notice = "..."           # optional: what to notice (for workshops)
    try = ["...", "..."]     # optional: things to try
    book = "data/our_book"   # optional: a book of business to start from (docs/book.md), relative path
    [parameters]
    banner_target = 0.9
    enforcement = 1.0
    [pay]                    # optional: the pay plan (sim.params.PAY_PLAN_FIELDS)
    accelerator = 2.0

A child's parameters override its parent's; ``--set`` overrides are applied
last. ``mechanisms`` is inherited when a child omits it; title, question,
notice and things to try belong to each file. Every problem is reported as a
:class:`~sim.errors.ScenarioError` whose message names the file, the field,
the value and what is allowed, so no traceback ever reaches a user.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.params import PAY_PLAN_FIELDS, ParamInfo, Params, param_info
from sim.safepath import excerpt, is_within, pseudo_root, read_text, resolve

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "scenarios"
ENV_DIR = "SALESIM_SCENARIOS"

TOP_LEVEL_KEYS = ("title", "question", "mechanisms", "extends", "notice", "try", "book", "parameters", "pay")
_TEXT_KEYS = ("title", "question", "extends", "notice", "book")
_LIST_KEYS = ("mechanisms", "try")
_REQUIRED = {"title": "a one-line title", "question": "the question the scenario answers"}
_TYPE_ERRORS = {"float_type", "float_parsing", "int_type", "int_parsing", "int_from_float", "bool_type",
                "bool_parsing", "string_type", "finite_number"}
_RANGE_ERRORS = {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}


@dataclass(frozen=True)
class Scenario:
    """One loaded scenario: its question, where it came from and its validated parameters."""

    name: str
    title: str
    question: str
    mechanisms: tuple[str, ...]
    extends: str | None
    path: Path | None
    params: Params
    overrides: dict[str, Any]
    notice: str = ""
    things_to_try: tuple[str, ...] = ()


# --- public API ---------------------------------------------------------------


def scenarios_dir() -> Path:
    """The folder holding scenario files: ``$SALESIM_SCENARIOS`` or the repository's ``scenarios/``."""
    env = os.environ.get(ENV_DIR)
    return Path(env).expanduser() if env else DEFAULT_DIR


def scenario_names() -> list[str]:
    """Names of the scenario files in :func:`scenarios_dir`, sorted with ``baseline`` first."""
    folder = scenarios_dir()
    names = [p.stem for p in folder.glob("*.toml") if p.is_file()] if folder.is_dir() else []
    return sorted(names, key=lambda n: (n != "baseline", n))


def list_scenarios() -> list[Scenario]:
    """Load every scenario in :func:`scenarios_dir`, baseline first; a broken file raises ScenarioError."""
    folder = scenarios_dir()
    return [load_scenario(folder / f"{name}.toml") for name in scenario_names()]


def load_scenario(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load a scenario by name or path, resolve its ``extends`` chain and apply ``overrides`` last."""
    path = _locate(name_or_path)
    chain = _read_chain(path)
    values, origin = _merge_parameters(chain)
    if overrides:
        extra = check_overrides(overrides)
        values.update(extra)
        origin.update(dict.fromkeys(extra, "--set"))
    book = _book_values(chain)
    values.update(book)
    origin.update(dict.fromkeys(book, "the scenario's book"))
    shown = _show_path(path)
    params = _build_params(values, origin, f"Invalid scenario file {shown}", f"Scenario file {shown} has")
    return _make_scenario(path, chain, params)


def check_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``--set`` values, normalised and checked one by one (name, type, range, choice); raises ScenarioError."""
    extra = _normalise_overrides(overrides)
    _raise_if(parameter_problems(extra, "--set "), "Invalid --set override", "The --set overrides have")
    return extra


def mid_run_levers() -> tuple[str, ...]:
    """Parameters a running model may change between weeks: the levers and the pay plan's fields."""
    levers = [name for name, info in param_info().items() if info.group == "lever"]
    return tuple(dict.fromkeys([*levers, *PAY_PLAN_FIELDS]))


def changed_params(params: Params, changes: Mapping[str, Any]) -> Params:
    """``params`` with ``changes`` (``--set`` style, levers only) applied, every rule checked as for ``--set``.

    Raises:
        ScenarioError: with the ``--set`` messages, or naming a behaviour parameter that is not a lever.
    """
    extra = check_overrides(changes)
    allowed = mid_run_levers()
    fixed = [name for name in extra if name not in allowed]
    if fixed:
        _raise_if([f"--set {name} = {_show(extra[name])} is a {param_info()[name].group} parameter, not a lever: "
                   "it is fixed for the whole run; set it when the run starts." for name in fixed],
                  "Invalid --set override", "The --set overrides have")
    values = {**params.model_dump(), **extra}
    origin = {**dict.fromkeys(values, "the running model"), **dict.fromkeys(extra, "--set")}
    return _build_params(values, origin, "Invalid --set override", "The --set overrides have")


def parse_set(items: list[str] | None) -> dict[str, Any]:
    """Turn ``lever=value`` strings into a dict; values are TOML literals, else bare strings."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ScenarioError(
                f"--set expects lever=value, for example --set enforcement=1.0 or "
                f"--set crm_rule=spend_drop, but got {item!r}.")
        out[key] = _parse_literal(raw.strip())
    return out


# --- locating files -------------------------------------------------------------


def _looks_like_path(text: str) -> bool:
    """A reference with a slash or a .toml suffix is a path; anything else is a scenario name."""
    return "/" in text or os.sep in text or text.endswith(".toml")


def _locate(name_or_path: str | Path) -> Path:
    """Find the file a command-line scenario reference points to."""
    if isinstance(name_or_path, Path) or _looks_like_path(name_or_path):
        path = Path(name_or_path).expanduser()
        real = resolve(path, "Scenario file", ScenarioError)
        if pseudo_root(real) is not None:
            raise ScenarioError(f"Scenario file {_show_path(path)} lies in {pseudo_root(real)}, a system folder, "
                                f"not a scenario file. {_available_text(path.stem)}")
        if real.is_dir():
            raise ScenarioError(f"{_show_path(path)} is a folder, not a scenario file. "
                                f"{_available_text(path.stem)}")
        if not real.is_file():
            raise ScenarioError(f"Scenario file {_show_path(path)} does not exist. "
                                f"{_available_text(path.stem)}")
        return real
    path = scenarios_dir() / f"{name_or_path}.toml"
    if not path.is_file():
        raise ScenarioError(f"Scenario '{excerpt(str(name_or_path))}' not found: there is no file "
                            f"{_show_path(path)}. {_available_text(name_or_path)}")
    return resolve(path, "Scenario file", ScenarioError)


def _locate_parent(ref: str, child: Path, roots: tuple[Path, ...]) -> Path:
    """Find the file an ``extends`` value points to: a name, or a relative path inside ``roots``.

    ``roots`` are the scenario folder and the folder of the file the user named; an absolute
    path, a ``~`` path, a path that is not a .toml file, or one that leads out of every root
    (``../..``, or a symbolic link elsewhere) is refused, so a scenario cannot make the
    simulator read, and quote, other files.
    """
    if _looks_like_path(ref):
        _check_extends_path(ref, child, roots)
        candidates = [child.parent / ref]
    else:
        candidates = [child.parent / f"{ref}.toml", scenarios_dir() / f"{ref}.toml"]
    for candidate in candidates:
        real = resolve(candidate, f"Invalid scenario file {_show_path(child)}: extends = {_show(ref)} leads to",
                       ScenarioError)
        if real.is_file():
            if not any(is_within(real, root) for root in roots):
                raise ScenarioError(_extends_refusal(ref, child, roots, "leads out of the scenario folders "
                                                     "(through a symbolic link)"))
            return real
    looked = " or ".join(_show_path(c) for c in dict.fromkeys(candidates))
    raise ScenarioError(f"Invalid scenario file {_show_path(child)}: extends = {_show(ref)} names no "
                        f"scenario (looked for {looked}). {_available_text(Path(ref).stem)}")


def _check_extends_path(ref: str, child: Path, roots: tuple[Path, ...]) -> None:
    """Refuse an ``extends`` path that is absolute, not a .toml file, or leads out of the allowed folders."""
    if ref.startswith("~") or Path(ref).is_absolute():
        raise ScenarioError(_extends_refusal(ref, child, roots, "is an absolute path"))
    if not ref.endswith(".toml"):
        raise ScenarioError(_extends_refusal(ref, child, roots, "is not a .toml file"))
    target = Path(os.path.normpath(child.parent / ref))
    if not any(is_within(target, root) for root in roots):
        raise ScenarioError(_extends_refusal(ref, child, roots, "leads out of the scenario folders"))


def _extends_refusal(ref: str, child: Path, roots: tuple[Path, ...], why: str) -> str:
    """The message for a refused ``extends`` path: what was given, why, and what is allowed."""
    folders = " or ".join(_show_path(r) if _show_path(r) != "." else "the current folder"
                          for r in dict.fromkeys(roots))
    return (f"Invalid scenario file {_show_path(child)}: extends = {_show(ref)} {why}. extends takes a scenario "
            f"name (e.g. \"baseline\") or a relative path to a .toml file inside {folders} (the scenario folder "
            "and the folder of the file you named); absolute paths and paths leading out of those folders are "
            "refused.")


def _available_text(wanted: str) -> str:
    """A sentence listing the available scenario names, with a did-you-mean when one is close."""
    names = scenario_names()
    if not names:
        folder = _show_path(scenarios_dir())
        return f"No scenarios are available in {folder} (set {ENV_DIR} to another folder)."
    return f"{_did_you_mean(wanted, names)}Available scenarios: {', '.join(names)}."


# --- reading and checking one file ----------------------------------------------


def _read_chain(path: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Read a file and its ancestors; return them root first, refusing cycles and escapes."""
    chain: list[tuple[Path, dict[str, Any]]] = []
    seen: list[Path] = []
    folder = resolve(scenarios_dir(), "Scenario folder", ScenarioError)
    roots = (folder, path.parent)
    current = path
    while True:
        if current in seen:
            loop = " -> ".join(_show_path(p) for p in [*seen[seen.index(current):], current])
            raise ScenarioError(f"Invalid scenario file {_show_path(path)}: its extends chain loops "
                                f"({loop}). Remove one of the extends lines to break the loop.")
        seen.append(current)
        data = _read_file(current, quote=current == path or is_within(current, folder))
        chain.append((current, data))
        if data.get("extends") is None:
            return chain[::-1]
        current = _locate_parent(data["extends"], current, roots)


def _read_file(path: Path, quote: bool = True) -> dict[str, Any]:
    """Parse one scenario file and check everything that can be checked without its parents."""
    data = _read_toml(path, quote)
    problems = _top_level_problems(data)
    if isinstance(data.get("parameters"), dict):
        problems += parameter_problems(data["parameters"], "parameters.")
    if isinstance(data.get("pay"), dict):
        problems += _pay_problems(data["pay"], data.get("parameters"))
    _raise_if(problems, f"Invalid scenario file {_show_path(path)}", f"Scenario file {_show_path(path)} has")
    return data


def _read_toml(path: Path, quote: bool = True) -> dict[str, Any]:
    """Read a TOML file, turning I/O and syntax errors into one-paragraph ScenarioErrors.

    ``quote`` allows the message to quote (a short excerpt of) the offending line; it is off for
    files reached through ``extends`` outside the scenario folder.
    """
    shown = _show_path(path)
    text = read_text(path, "Scenario file", ScenarioError, shown=shown)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _quote_line(text, str(exc)) if quote else ""
        raise ScenarioError(
            f"Scenario file {shown} is not valid TOML: {exc}{line}. "
            "Check for a missing '=', unbalanced quotes or brackets, and that text values are quoted."
        ) from None


def _quote_line(text: str, message: str) -> str:
    """The offending line of a TOML syntax error, quoted, so users need not count lines."""
    match = re.search(r"line (\d+)", message)
    lines = text.splitlines()
    if not match or not 1 <= int(match.group(1)) <= len(lines):
        return ""
    line = lines[int(match.group(1)) - 1].strip()
    return f"; the line reads: {excerpt(line)}" if line else ""


def _top_level_problems(data: dict[str, Any]) -> list[str]:
    """Unknown, missing or mistyped top-level keys."""
    problems = [_unknown_top_level(key, data[key]) for key in data if key not in TOP_LEVEL_KEYS]
    for key, what in _REQUIRED.items():
        if key not in data or (isinstance(data[key], str) and not data[key].strip()):
            problems.append(f"'{key}' is missing: every scenario needs {what}, e.g. {key} = \"...\".")
    for key in _TEXT_KEYS:
        if key in data and not isinstance(data[key], str):
            problems.append(f"{key} = {_show(data[key])} has the wrong type: expected text in quotes.")
    for key in _LIST_KEYS:
        if key in data and not _is_text_list(data[key]):
            problems.append(f"{key} = {_show(data[key])} has the wrong type: expected a list of texts, "
                            f'e.g. {key} = ["...", "..."].')
    if "pay" in data and not isinstance(data["pay"], dict):
        problems.append(f"pay = {_show(data['pay'])} has the wrong type: expected a [pay] table with one "
                        "'name = value' line per element of the pay plan.")
    if "parameters" in data and not isinstance(data["parameters"], dict):
        problems.append(f"parameters = {_show(data['parameters'])} has the wrong type: expected a "
                        "[parameters] table with one 'name = value' line per parameter.")
    return problems


def _unknown_top_level(key: str, value: Any) -> str:
    """Explain an unknown top-level key, spotting parameters written above the [parameters] header."""
    allowed = f"Allowed top-level keys are: {', '.join(TOP_LEVEL_KEYS)}."
    if key in param_info():
        return (f"'{key}' is a parameter, not a top-level key: move '{key} = {_show(value)}' "
                f"below the [parameters] line. {allowed}")
    return f"'{key}' is not a known key. {_did_you_mean(key, TOP_LEVEL_KEYS)}{allowed}"


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# --- checking parameter values --------------------------------------------------


def parameter_problems(values: dict[str, Any], prefix: str) -> list[str]:
    """Unknown names and per-field type, range and choice errors, each labelled ``prefix + name``; cross-field
    rules come later."""
    info = param_info()
    problems = [_unknown_parameter(prefix + key, key, value, info)
                for key, value in values.items() if key not in info]
    known = {k: v for k, v in values.items() if k in info}
    try:
        Params.model_validate(known, strict=True)
    except ValidationError as exc:
        for err in exc.errors():
            if err["loc"] and err["loc"][0] in known:
                name = str(err["loc"][0])
                problems.append(_field_problem(prefix + name, known[name], err, info[name]))
    return problems


def _pay_problems(values: dict[str, Any], parameters: Any) -> list[str]:
    """A [pay] table holds pay-plan fields only, each set once in the file, with valid values."""
    allowed = f"The [pay] table takes: {', '.join(PAY_PLAN_FIELDS)}."
    problems = []
    for key, value in values.items():
        if key in PAY_PLAN_FIELDS:
            if isinstance(parameters, dict) and key in parameters:
                problems.append(f"pay.{key} is also set under [parameters] in the same file: keep one of them.")
            continue
        where = " It is a parameter, not part of the pay plan: move it under [parameters]." if key in param_info() \
            else f" {_did_you_mean(key, PAY_PLAN_FIELDS)}".rstrip()
        problems.append(f"pay.{key} = {_show(value)} is not an element of the pay plan.{where} {allowed}")
    plan = {k: v for k, v in values.items() if k in PAY_PLAN_FIELDS}
    return problems + parameter_problems(plan, "pay.")


def _unknown_parameter(label: str, key: str, value: Any, info: dict[str, ParamInfo]) -> str:
    """Explain an unknown parameter name with the closest known name."""
    hint = _did_you_mean(key, list(info)) or "No parameter has a similar name; sim/params.py lists them all."
    return f"{label} = {_show(value)} is not a known parameter. {hint}".rstrip()


def _field_problem(label: str, value: Any, err: Mapping[str, Any], info: ParamInfo) -> str:
    """One sentence on a bad parameter value: what was given and what is allowed."""
    kind = err["type"]
    if kind in _RANGE_ERRORS:
        return f"{label} = {_show(value)} is out of range: it must be {_range_text(info)}."
    if kind == "literal_error":
        choices = ", ".join(f"'{c}'" for c in info.choices or ())
        close = _did_you_mean(str(value), info.choices or ()) if isinstance(value, str) else ""
        return f"{label} = {_show(value)} is not an allowed choice. {close}Choose one of: {choices}."
    if kind in _TYPE_ERRORS:
        hint = " Write numbers without quotes." if _is_quoted_number(value) else ""
        return f"{label} = {_show(value)} has the wrong type: expected {_expected_text(info)}.{hint}"
    return f"{label} = {_show(value)} is not allowed: {err['msg']}."


def _expected_text(info: ParamInfo) -> str:
    """What a valid value of one parameter looks like, in words."""
    if info.choices:
        return "one of " + ", ".join(f"'{c}'" for c in info.choices)
    if info.kind == "bool":
        return "true or false (without quotes)"
    noun = "a whole number" if info.kind == "int" else "a number"
    return f"{noun} {_range_text(info)}" if info.ge is not None or info.le is not None else noun


def _range_text(info: ParamInfo) -> str:
    """'between 0 and 1 (fraction)', or a one-sided bound, with the parameter's unit."""
    if info.ge is not None and info.le is not None:
        bounds = f"between {_num(info.ge)} and {_num(info.le)}"
    elif info.ge is not None:
        bounds = f"at least {_num(info.ge)}"
    elif info.le is not None:
        bounds = f"at most {_num(info.le)}"
    else:
        return info.unit
    return f"{bounds} ({info.unit})" if info.unit else bounds


def _is_quoted_number(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


# --- merging and building -------------------------------------------------------


def _book_values(chain: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """The book the chain names (the last file naming one wins; its path is relative to that file), checked,
    as parameter values: its folder and the unit's size."""
    named = [(path, data["book"]) for path, data in chain if data.get("book")]
    if not named:
        return {}
    from sim.book import load_book

    path, ref = named[-1]
    folder = (path.parent / ref).resolve()
    book = load_book(folder)
    return {"book": str(folder), "n_accounts": book.n_accounts, "n_reps": book.n_reps,
            "n_managers": book.n_managers}


def _merge_parameters(chain: list[tuple[Path, dict[str, Any]]]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parameters of a chain, root first so children win, and the file each value came from."""
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for path, data in chain:
        for key, value in [*data.get("parameters", {}).items(), *data.get("pay", {}).items()]:
            values[key] = value
            origin[key] = _show_path(path)
    return values, origin


def _normalise_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Accept ``parameters.x`` for ``x`` (names copied from files) and numpy scalars (from sweeps)."""
    return {str(k).removeprefix("parameters."): v.item() if isinstance(v, np.generic) else v
            for k, v in overrides.items()}


def _build_params(values: dict[str, Any], origin: dict[str, str], one: str, many: str) -> Params:
    """Validate the merged values together; cross-field errors name each value's source."""
    try:
        return Params.model_validate(values, strict=True)
    except ValidationError as exc:
        info = param_info()
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            if name in info and name in values:
                label = f"{name} (from {origin[name]})"
                problems.append(_field_problem(label, values[name], err, info[name]))
            else:
                problems.append(_cross_field_problem(err, values, origin))
        _raise_if(problems, one, many)
        raise  # unreachable: problems is never empty when validation fails


def _cross_field_problem(err: Mapping[str, Any], values: dict[str, Any], origin: dict[str, str]) -> str:
    """Explain a broken cross-field rule and where each value involved was set."""
    cause = err.get("ctx", {}).get("error")
    message = str(cause) if cause is not None else err["msg"]
    info = param_info()
    names = [n for n in info if re.search(rf"\b{re.escape(n)}\b", message)]
    sources = [f"{n} = {_show(values[n])} from {origin[n]}" if n in values
               else f"{n} = {_show(info[n].default)} by default" for n in names]
    where = f". The values involved: {', '.join(sources)}" if sources else ""
    return f"the parameters contradict each other: {message}{where}."


def _make_scenario(path: Path, chain: list[tuple[Path, dict[str, Any]]], params: Params) -> Scenario:
    """Assemble the Scenario record; only ``mechanisms`` is inherited from ancestors."""
    data = chain[-1][1]
    mechanisms: list[str] = []
    for _, ancestor in chain:
        mechanisms = ancestor.get("mechanisms", mechanisms)
    defaults = Params().model_dump()
    overrides = {k: v for k, v in params.model_dump().items() if v != defaults[k]}
    return Scenario(
        name=path.stem, title=data["title"].strip(), question=data["question"].strip(),
        mechanisms=tuple(mechanisms), extends=data.get("extends"), path=path, params=params,
        overrides=overrides, notice=data.get("notice", "").strip(), things_to_try=tuple(data.get("try", ())),
    )


# --- small helpers --------------------------------------------------------------


def _raise_if(problems: list[str], one: str, many: str) -> None:
    """Raise one ScenarioError: a single sentence, or a header and one problem per line."""
    if len(problems) == 1:
        raise ScenarioError(f"{one}: {problems[0]}")
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise ScenarioError(f"{many} {len(problems)} problems:\n{lines}")


def _did_you_mean(wanted: str, options: Any) -> str:
    """'Did you mean 'x'? ' for the closest option, or an empty string."""
    close = difflib.get_close_matches(wanted, list(options), n=1, cutoff=0.6)
    return f"Did you mean '{close[0]}'? " if close else ""


def _parse_literal(raw: str) -> Any:
    """A TOML literal (0.9, true, "x", 3) if ``raw`` is one, else ``raw`` itself as a string."""
    if "\n" in raw or "\r" in raw:
        return raw
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _show(value: Any) -> str:
    """A value as it would be written in TOML, so messages match what users typed."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return excerpt(json.dumps(value, ensure_ascii=False))
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _num(x: float) -> str:
    """A bound without a spurious '.0': 1 rather than 1.0, 0.01 as is."""
    return str(int(x)) if float(x).is_integer() else str(x)


def _show_path(path: Path) -> str:
    """A path relative to the working directory when it lies below it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop, up to Python 3.12
        return str(path)
