"""Sweeps: vary levers over a grid or a Latin hypercube, through the same runner and store."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError
from scipy.stats import qmc

from sim.errors import UserError
from sim.experiment.jobs import Job, job_seed
from sim.experiment.runner import run_jobs
from sim.experiment.store import Store
from sim.experiment.sweep_answer import ANSWER_CSV, point_differences, reference_point
from sim.experiment.tables import runs_frame, series_frame
from sim.experiment.tidy import write_parquet
from sim.kpis import KPIS
from sim.limits import DESIGN_POINTS, Estimate
from sim.params import param_info
from sim.scenario import Scenario
from sim.stats import mean_ci

_RANGE = re.compile(r"^\s*([^=\s]+)\s*=\s*([^:]+):([^:]+):(\d+)\s*$")
_LIST = re.compile(r"^\s*([^=\s]+)\s*=\s*(.+)$")


@dataclass(frozen=True)
class Vary:
    """One varied lever: its name and the values (or the bounds, for a Latin hypercube) to use."""

    name: str
    values: tuple[Any, ...]
    low: float | None = None
    high: float | None = None


def parse_vary(text: str, cost: Callable[[int], Estimate] | None = None) -> Vary:
    """Parse ``lever=LOW:HIGH:STEPS`` (numbers) or ``lever=a,b,c`` (choices, on/off, or listed numbers).

    ``cost`` estimates the work of a number of design points, for the message refusing too many STEPS.
    """
    info = param_info()
    m = _RANGE.match(text)
    listed = None if m else _LIST.match(text)
    name = (m or listed or [None, None])[1]
    if name is None:
        raise UserError(f"--vary {text!r} is malformed: write lever=LOW:HIGH:STEPS (e.g. enforcement=0:1:5) "
                        "or lever=a,b,c (e.g. crm_rule=spend_drop,advocacy_aware).")
    if name not in info:
        import difflib

        near = difflib.get_close_matches(name, info, n=1)
        hint = f" Did you mean {near[0]!r}?" if near else ""
        raise UserError(f"--vary {text!r}: {name!r} is not a parameter.{hint} "
                        "See 'salesim reference parameters'.")
    pi = info[name]
    if m:
        if pi.kind not in ("int", "float"):
            raise UserError(f"--vary {text!r}: {name} is a {pi.kind}; list its values instead, "
                            f"e.g. {name}={','.join(map(str, pi.choices or ('true', 'false')))}.")
        try:
            low, high = float(m[2]), float(m[3])
        except ValueError:
            raise UserError(f"--vary {text!r}: LOW and HIGH must be numbers.") from None
        steps = int(m[4])
        if steps < 1:
            raise UserError(f"--vary {text!r}: STEPS must be at least 1.")
        DESIGN_POINTS.check(steps, f"--vary {text!r}: STEPS", cost(steps) if cost else None)
        values = np.linspace(low, high, steps)
        vals = tuple(dict.fromkeys(int(round(v)) for v in values)) if pi.kind == "int" else tuple(
            float(v) for v in values)
        _check_values(name, (low, high), text)
        return Vary(name, vals, low, high)
    assert listed is not None  # not a range, and a text neither pattern matches was refused above
    raw = [v.strip() for v in listed[2].split(",") if v.strip()]
    vals = tuple(_coerce(name, pi.kind, v, text) for v in raw)
    _check_values(name, vals, text)
    return Vary(name, vals)


def _coerce(name: str, kind: str, raw: str, text: str) -> Any:
    try:
        if kind == "bool":
            if raw.lower() not in ("true", "false", "on", "off"):
                raise ValueError
            return raw.lower() in ("true", "on")
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        return raw
    except ValueError:
        raise UserError(f"--vary {text!r}: {raw!r} is not a valid {kind} for {name}; write "
                        f"{name}=LOW:HIGH:STEPS for a range or {name}=a,b,c for listed values.") from None


def _check_values(name: str, values: tuple[Any, ...], text: str) -> None:
    from sim.params import Params

    pi = param_info()[name]
    for v in values:
        value: Any = int(v) if pi.kind == "int" else v  # checked by Params, whatever the field's type
        try:
            Params(**{name: value})
        except ValidationError as e:
            allowed = (f"one of {', '.join(pi.choices)}" if pi.choices
                       else f"between {pi.ge:g} and {pi.le:g} ({pi.unit})")
            msg = e.errors()[0]["msg"]
            raise UserError(f"--vary {text!r}: value {v!r} for {name} is not allowed ({msg}); "
                            f"it must be {allowed}.") from None


def design(varies: list[Vary], method: str, samples: int, root_seed: int) -> list[dict[str, Any]]:
    """Design points: the full grid of listed values, or a Latin hypercube between the bounds."""
    if method == "grid":
        return [dict(zip([v.name for v in varies], combo, strict=True))
                for combo in itertools.product(*[v.values for v in varies])]
    if method != "lhs":
        raise UserError(f"--design {method!r} is not known; use grid or lhs.")
    if samples < 2:
        raise UserError(f"--samples must be at least 2 for a Latin hypercube, got {samples}.")
    u = qmc.LatinHypercube(d=len(varies), rng=np.random.default_rng(root_seed)).random(samples)
    info = param_info()
    points = []
    for row in u:
        point = {}
        for x, v in zip(row, varies, strict=True):
            if v.low is not None and v.high is not None:  # a range (parse_vary sets both bounds)
                val = v.low + x * (v.high - v.low)
                point[v.name] = int(round(val)) if info[v.name].kind == "int" else float(val)
            else:
                point[v.name] = v.values[min(int(x * len(v.values)), len(v.values) - 1)]
        points.append(point)
    return points


def sweep_jobs(base: Scenario, points: list[dict[str, Any]], replications: int, weeks: int,
               root_seed: int) -> list[Job]:
    """One job per (design point, replication); replication k of every point shares a seed."""
    jobs = []
    for i, point in enumerate(points):
        try:
            params = base.params.replace(**point).model_dump()
        except ValidationError as e:
            raise UserError(f"design point {point} is not a valid parameter set: "
                            f"{e.errors()[0]['msg']}.") from None
        jobs += [Job(label=base.name, params=params, replication=k, seed=job_seed(root_seed, k), weeks=weeks,
                     point=i, tags=point) for k in range(replications)]
    return jobs


def sweep(base: Scenario, varies: list[Vary], method: str, samples: int, replications: int, weeks: int,
          root_seed: int, executor: Any, out: Path, resume: bool = False, progress: bool = True,
          reference: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run a sweep and write ``runs.parquet``, ``series.parquet``, ``sweep.csv`` and ``sweep_vs_reference.csv``
    (each point's paired difference against the point at the base scenario's levers, or at ``reference``'s
    values for the levers it names, see :mod:`sim.experiment.sweep_answer`; also in
    ``runs.attrs["vs_reference"]`` as records); return the runs table.

    Computation only: :func:`sim.report.sweep_figure.plot_sweep` draws ``sweep.png`` from the runs.
    """
    points = design(varies, method, samples, root_seed)
    jobs = sweep_jobs(base, points, replications, weeks, root_seed)
    with Store(out) as store:
        store.open({"kind": "sweep", "scenario": base.name, "design": method, "replications": replications,
                    "weeks": weeks, "root_seed": root_seed, "jobs": [j.id for j in jobs]}, resume)
        t0 = time.perf_counter()
        records = run_jobs(jobs, store, executor, progress=progress)
        runs = runs_frame(records)
        write_parquet(runs, out / "runs.parquet", "runs")
        write_parquet(series_frame(records, burn_in={base.name: base.params.burn_in_weeks}), out / "series.parquet",
                      "series")
        summary = summarise(runs, [v.name for v in varies])
        summary.to_csv(out / "sweep.csv", index=False)
        ref = reference_point(points, {**base.params.model_dump(), **(reference or {})})
        diffs = point_differences(runs, [v.name for v in varies], ref)
        diffs.to_csv(out / ANSWER_CSV, index=False)
        runs.attrs["vs_reference"] = diffs.to_dict("records")  # plain records: attrs must compare with ==
        runs.attrs["elapsed_s"] = time.perf_counter() - t0
    return runs


def summarise(runs: pd.DataFrame, levers: list[str]) -> pd.DataFrame:
    """Mean and 95 % interval of every KPI at each design point."""
    rows = []
    for point, sub in runs.groupby("point", sort=True):
        row = {"point": point, **{k: sub[k].iloc[0] for k in levers}, "replications": len(sub)}
        for k in KPIS:
            m, lo, hi = mean_ci(sub[k].to_numpy(float))
            row.update({k: m, f"{k}_ci_low": lo, f"{k}_ci_high": hi})
        rows.append(row)
    return pd.DataFrame(rows)
