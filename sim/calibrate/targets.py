"""Calibration targets and priors: read, validated against the KPI and parameter declarations."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from sim.errors import UserError
from sim.kpis import KPIS
from sim.limits import WEEKS
from sim.params import param_info
from sim.tomlfile import did_you_mean as _hint
from sim.tomlfile import field_error as _err
from sim.tomlfile import read_toml

DEFAULT_TARGETS = Path(__file__).resolve().parent.parent.parent / "calibration" / "targets.toml"
TARGET_KEYS = ("name", "kpi", "value", "low", "high", "statistic", "source", "trust")
TOP_KEYS = ("title", "scenario", "weeks", "target", "priors")


@dataclass(frozen=True)
class Target:
    """One published figure the simulated baseline should reproduce."""

    name: str
    kpi: str
    value: float
    low: float
    high: float
    statistic: str
    source: str
    trust: str

    def within(self, x: float) -> bool:
        return self.low <= x <= self.high


@dataclass(frozen=True)
class Calibration:
    """Targets, the scenario they apply to, and the priors of the parameters ABC may move."""

    title: str
    scenario: str
    weeks: int
    targets: tuple[Target, ...]
    priors: dict[str, tuple[float, float]]
    path: Path


def load_targets(path: str | Path | None = None) -> Calibration:
    """Read a targets file (default: calibration/targets.toml) and check every field."""
    path = Path(path) if path else DEFAULT_TARGETS
    if not path.is_file():
        raise UserError(f"targets file {path} not found; the shipped one is {DEFAULT_TARGETS}.")
    data = read_toml(path, TOP_KEYS, "Targets file")
    entries = data.get("target", [])
    if not isinstance(entries, list):
        raise _err(path, "target", entries, "a list of [[target]] tables, each with " + ", ".join(TARGET_KEYS))
    targets = [_target(path, i, t) for i, t in enumerate(entries)]
    if len(targets) < 2:
        raise _err(path, "target", len(targets), "at least two [[target]] entries")
    table = data.get("priors", {})
    if not isinstance(table, dict):
        raise _err(path, "priors", table, "a table of [priors.NAME] entries, each with bounds = [low, high]")
    priors = {name: _prior(path, name, spec) for name, spec in table.items()}
    if not priors:
        raise _err(path, "priors", None, "at least one [priors.NAME] with bounds = [low, high]")
    weeks = data.get("weeks", 104)
    if not _is_int(weeks) or weeks < 2 or weeks > WEEKS.limit:
        raise _err(path, "weeks", weeks, f"a whole number of weeks from 2 to {WEEKS.limit:,}")
    for key in ("title", "scenario"):
        if not isinstance(data.get(key, ""), str):
            raise _err(path, key, data[key], "text in quotes")
    scenario = str(data.get("scenario", "baseline"))
    if scenario.endswith(".toml") and not Path(scenario).is_absolute():
        scenario = str((path.parent / scenario).resolve())  # a scenario file beside the targets file
    return Calibration(title=str(data.get("title", "")), scenario=scenario,
                       weeks=weeks, targets=tuple(targets), priors=priors, path=path)


def _target(path: Path, i: int, t: object) -> Target:
    """One [[target]] entry, checked: known keys, a KPI name, texts, and numbers low <= value <= high."""
    where = f"target[{i}]"
    if not isinstance(t, dict):
        raise _err(path, where, t, "a [[target]] table with " + ", ".join(TARGET_KEYS))
    for key in t:
        if key not in TARGET_KEYS:
            raise _err(path, f"{where}.{key}", t[key], f"{_hint(key, TARGET_KEYS)}allowed: {', '.join(TARGET_KEYS)}")
    missing = [k for k in TARGET_KEYS if k not in t]
    if missing:
        raise _err(path, where, t.get("name", i), f"every target needs {', '.join(missing)}")
    for key in ("name", "kpi", "statistic", "source", "trust"):
        if not isinstance(t[key], str):
            raise _err(path, f"{where}.{key}", t[key], "text in quotes")
    if t["kpi"] not in KPIS:
        raise _err(path, f"{where}.kpi", t["kpi"], f"{_hint(t['kpi'], KPIS)}a KPI name (salesim reference kpis)")
    nums = (t["low"], t["value"], t["high"])
    if not all(_is_number(x) for x in nums) or not (t["low"] <= t["value"] <= t["high"] and t["low"] < t["high"]):
        raise _err(path, where, nums, "finite numbers (low, value, high) with low <= value <= high")
    return Target(**{k: t[k] for k in TARGET_KEYS})


def _prior(path: Path, name: str, spec: object) -> tuple[float, float]:
    """The uniform bounds of one [priors.NAME] entry, within the parameter's declared range."""
    info = param_info()
    field = f"priors.{name}"
    if name not in info:
        raise _err(path, field, name, f"{_hint(name, info)}a parameter name (salesim reference parameters)")
    if info[name].group != "behaviour":
        raise _err(path, field, name, f"only behavioural assumptions are calibrated, and {name} is a "
                   f"{info[name].group} parameter")
    b = spec.get("bounds") if isinstance(spec, dict) else None
    pi = info[name]
    if not (isinstance(b, list) and len(b) == 2 and all(_is_number(x) for x in b)
            and b[0] < b[1] and b[0] >= pi.ge and b[1] <= pi.le):
        raise _err(path, f"{field}.bounds", b, f"[low, high] with {pi.ge:g} <= low < high <= {pi.le:g} ({pi.unit})")
    return float(b[0]), float(b[1])


def _is_number(x: object) -> bool:
    """A finite int or float (TOML's true and false are not numbers)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)
