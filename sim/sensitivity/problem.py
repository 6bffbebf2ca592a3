"""Sensitivity problems: which parameters vary, over what, and which KPIs are analysed.

A problem is a TOML file (``scenarios/problems/*.toml``)::

    title = "Which levers drive revenue lost under the mandate?"
    scenario = "banner_mandate"        # the base every sample point starts from
    kpis = ["revenue_lost", "banner_avoidance_rate", "annual_churn_rate"]
    weeks = 104
    [parameters.enforcement]
    bounds = [0.0, 1.0]                # for dist "unif" (default): low, high
    [parameters.pressure_stake]
    bounds = [50.0, 400.0]
    dist = "triang"                    # SALib dists: unif, triang, norm, truncnorm, lognorm, logunif
    [parameters.coaching_style]
    levels = ["close_focused", "neutral", "customer_focused"]   # a choice: sampled uniformly

Integer parameters are rounded; on/off and choice parameters are sampled as
levels. Every problem is validated against the parameter declarations before
anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import UserError
from sim.kpis import KPIS
from sim.limits import WEEKS
from sim.params import param_info
from sim.tomlfile import did_you_mean, read_toml
from sim.tomlfile import field_error as _err

PROBLEMS_DIR = Path(__file__).resolve().parent.parent.parent / "scenarios" / "problems"
DISTS = ("unif", "triang", "norm", "truncnorm", "lognorm", "logunif")
BOUNDS_LENGTH = {"unif": 2, "logunif": 2, "triang": 3, "norm": 2, "lognorm": 2, "truncnorm": 4}
TOP_KEYS = ("title", "question", "scenario", "kpis", "weeks", "parameters")


@dataclass(frozen=True)
class Problem:
    """A sensitivity problem in SALib's terms, plus how to turn a sample row into model parameters."""

    names: tuple[str, ...]
    bounds: tuple[tuple[float, ...], ...]
    dists: tuple[str, ...]
    kpis: tuple[str, ...] = ()
    scenario: str = "baseline"
    weeks: int = 104
    title: str = ""
    question: str = ""
    levels: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    integers: frozenset[str] = frozenset()
    path: Path | None = None

    @property
    def salib(self) -> dict[str, Any]:
        """The problem as SALib's dictionary."""
        return {"num_vars": len(self.names), "names": list(self.names),
                "bounds": [list(b) for b in self.bounds], "dists": list(self.dists)}

    def values(self, row: np.ndarray) -> dict[str, Any]:
        """Parameter values for one sample row: levels picked, integers rounded."""
        out: dict[str, Any] = {}
        for name, x in zip(self.names, row, strict=True):
            if name in self.levels:
                lv = self.levels[name]
                out[name] = lv[min(int(np.floor(x)), len(lv) - 1)]
            else:
                out[name] = _clip_to_range(name, float(x))
                if name in self.integers:
                    out[name] = int(round(out[name]))
        return out

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> Problem:
        """A problem from SALib's dictionary (names, bounds, optional dists), for plain callables."""
        names = tuple(spec["names"])
        dists = tuple(spec.get("dists") or ["unif"] * len(names))
        return cls(names=names, bounds=tuple(tuple(map(float, b)) for b in spec["bounds"]), dists=dists,
                   kpis=tuple(spec.get("outputs", ())))


def _clip_to_range(name: str, x: float) -> float:
    """Keep draws of unbounded distributions (norm, lognorm) inside the parameter's declared range."""
    pi = param_info().get(name)
    if pi is None:
        return x
    lo = pi.ge if pi.ge is not None else -np.inf
    hi = pi.le if pi.le is not None else np.inf
    return float(min(max(x, lo), hi))


def problem_names() -> list[str]:
    return sorted(p.stem for p in PROBLEMS_DIR.glob("*.toml"))


def load_problem(name_or_path: str | Path) -> Problem:
    """Read and validate a problem file (a name in scenarios/problems/ or a path)."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = PROBLEMS_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        raise UserError(f"problem file {name_or_path!s} not found; shipped problems: {', '.join(problem_names())} "
                        f"(in {PROBLEMS_DIR}), or give a path to a .toml file.")
    data = read_toml(path, TOP_KEYS, "Problem file")
    kpis = data.get("kpis", ["revenue_lost", "banner_avoidance_rate", "annual_churn_rate"])
    if not (isinstance(kpis, list) and kpis and all(isinstance(k, str) for k in kpis)):
        raise _err(path, "kpis", kpis, 'a non-empty list of KPI names in quotes, e.g. kpis = ["revenue_lost"]')
    for k in kpis:
        if k not in KPIS:
            raise _err(path, "kpis", k, f"{did_you_mean(k, KPIS)}see 'salesim reference kpis' for the KPI names")
    weeks = data.get("weeks", 104)
    if not isinstance(weeks, int) or isinstance(weeks, bool) or not 2 <= weeks <= WEEKS.limit:
        raise _err(path, "weeks", weeks, f"a whole number of weeks from 2 to {WEEKS.limit:,}")
    for key in ("title", "question", "scenario"):
        if not isinstance(data.get(key, ""), str):
            raise _err(path, key, data[key], "text in quotes")
    params = data.get("parameters")
    if not isinstance(params, dict) or len(params) < 2:
        raise _err(path, "parameters", params, "a table of at least two parameters, each with bounds or levels")
    info = param_info()
    names: list[str] = []
    bounds: list[tuple[float, ...]] = []   # 2 to 4 numbers, depending on dist
    dists: list[str] = []
    levels: dict[str, tuple[Any, ...]] = {}
    integers: set[str] = set()
    for name, spec in params.items():
        field_ = f"parameters.{name}"
        if name not in info:
            raise _err(path, field_, name,
                       f"{did_you_mean(name, info)}not a parameter; see 'salesim reference parameters'")
        pi = info[name]
        if pi.group == "size":
            raise _err(path, field_, name, "size parameters cannot be varied in a sensitivity problem")
        if not isinstance(spec, dict):
            raise _err(path, field_, spec, "a table with bounds = [low, high] (numbers) or levels = [...]")
        if pi.choices or pi.kind == "bool":
            allowed_levels = list(pi.choices) if pi.choices else [False, True]
            lv = spec.get("levels", allowed_levels)
            bad = [v for v in lv if v not in allowed_levels] if isinstance(lv, list) else [lv]
            if bad or len(lv) < 2:
                raise _err(path, f"{field_}.levels", lv, f"two or more of {allowed_levels}")
            levels[name] = tuple(lv)
            names.append(name)
            bounds.append((0.0, float(len(lv))))
            dists.append("unif")
            continue
        b = spec.get("bounds")
        dist = spec.get("dist", "unif")
        if dist not in DISTS:
            raise _err(path, f"{field_}.dist", dist, f"one of {', '.join(DISTS)}")
        if not (isinstance(b, list) and len(b) == BOUNDS_LENGTH[dist] and all(_is_number(x) for x in b)):
            raise _err(path, f"{field_}.bounds", b, f"for dist = '{dist}', a list of {BOUNDS_LENGTH[dist]} finite "
                       "numbers: [low, high] (unif, logunif), [low, high, peak fraction] (triang), [mean, sd] "
                       "(norm, lognorm), [low, high, mean, sd] (truncnorm)")
        _check_shape(path, f"{field_}.bounds", dist, b)
        if dist in ("unif", "logunif", "triang", "truncnorm"):
            lo, hi = float(b[0]), float(b[1])
            if not lo < hi:
                raise _err(path, f"{field_}.bounds", b, "low must be below high")
            if (pi.ge is not None and lo < pi.ge) or (pi.le is not None and hi > pi.le):
                raise _err(path, f"{field_}.bounds", b, f"within the parameter's range {pi.ge:g} to {pi.le:g} "
                           f"({pi.unit})")
        names.append(name)
        bounds.append(tuple(float(x) for x in b))
        dists.append(dist)
        if pi.kind == "int":
            integers.add(name)
    return Problem(names=tuple(names), bounds=tuple(bounds), dists=tuple(dists), kpis=tuple(kpis),
                   scenario=str(data.get("scenario", "baseline")), weeks=weeks, title=str(data.get("title", "")),
                   question=str(data.get("question", "")), levels=levels, integers=frozenset(integers), path=path)


def _check_shape(path: Path, field_: str, dist: str, b: list[float]) -> None:
    """Refuse parameters SALib cannot sample: a spread of zero or less, a peak outside [0, 1], logunif <= 0."""
    if dist in ("norm", "lognorm") and not b[1] > 0:
        raise _err(path, field_, b, f"[mean, sd] with sd > 0 for dist = '{dist}'")
    if dist == "truncnorm" and not b[3] > 0:
        raise _err(path, field_, b, "[low, high, mean, sd] with sd > 0 for dist = 'truncnorm'")
    if dist == "triang" and not 0 <= b[2] <= 1:
        raise _err(path, field_, b, "[low, high, peak fraction] with the peak fraction between 0 and 1")
    if dist == "logunif" and not b[0] > 0:
        raise _err(path, field_, b, "[low, high] with low > 0 for dist = 'logunif' (a log scale)")


def _is_number(x: object) -> bool:
    """A finite int or float (TOML's true and false are not numbers)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and np.isfinite(x)
