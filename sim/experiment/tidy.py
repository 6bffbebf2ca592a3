"""Parquet tables that explain themselves: every column carries its label, unit and definition.

The meaning of a column is looked up where it is declared once — a KPI (:data:`sim.kpis.KPIS`, per year or
a share of the measured weeks), a weekly series (:data:`sim.kpis.WEEKLY`, per week), a parameter
(:func:`sim.params.param_info`) or one of the identifying columns below — and written into the Parquet
schema's field metadata, so a file read years later, or by another tool, still says what a column is.

Weekly and annual quantities never share a name in a tidy file: a weekly series whose name is also a KPI's
(or a parameter's) gets the suffix ``_week`` (``revenue_week``, currency a week, in ``series.parquet`` and
``timeseries.csv``; ``revenue``, currency a year, in ``runs.parquet``). The model keeps its own names
(``SalesModel.timeseries()``); :func:`tidy_series` maps them at the boundary and :func:`model_name` back.

One row per column (label, unit, definition)::

    describe("runs/compare/runs.parquet")
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

# Columns that identify a row rather than measure something.
ID_COLUMNS = {
    "scenario": ("Scenario", "name", "the scenario the run belongs to"),
    "replication": ("Replication", "index", "replication k; replication k of every scenario or point shares a "
                                            "seed (common random numbers)"),
    "seed": ("Seed", "integer", "the run's random seed, derived from the root seed and the replication"),
    "point": ("Design point", "index", "the sweep's design point; its lever values are in the lever columns"),
    "week": ("Week", "weeks since the start", "the week of the run, 0 first"),
    "burn_in": ("In the burn-in", "on/off", "true for weeks before the scenario's burn_in_weeks: the KPIs leave "
                                            "these weeks out"),
    "posterior_draw": ("Posterior draw", "index", "the calibration's posterior draw this run's parameters are"),
}


WEEK_SUFFIX = "_week"
"""Added in tidy files to a weekly series whose name is also a KPI's or a parameter's, so no name means two
things."""


def tidy_name(name: str) -> str:
    """The name of the model's weekly series ``name`` in a tidy file: ``revenue`` -> ``revenue_week``.

    A series that shares its name with a KPI (a year's revenue) or a parameter (the lever ``failure_rate``,
    against the realised weekly ``failure_rate_week``) takes the suffix; every other name is kept.
    """
    from sim.kpis import KPIS, WEEKLY
    from sim.params import param_info

    return name + WEEK_SUFFIX if name in WEEKLY and (name in KPIS or name in param_info()) else name


def model_name(name: str) -> str:
    """The model's name of a tidy weekly column (the inverse of :func:`tidy_name`): ``revenue_week`` ->
    ``revenue``; any other name is returned as it is."""
    base = name.removesuffix(WEEK_SUFFIX)
    return base if base != name and tidy_name(base) == name else name


def tidy_series(frame: pd.DataFrame) -> pd.DataFrame:
    """A weekly table (e.g. ``SalesModel.timeseries()``) with its columns named as tidy files name them."""
    return frame.rename(columns=tidy_name)


def column_meta(name: str, table: str = "runs") -> dict[str, str] | None:
    """Label, unit and definition of a column from where it is declared, or None if it is not declared.
    In a weekly table (``table="series"``) columns are tidy names (:func:`tidy_name`) of weekly series."""
    from sim.kpis import KPIS, WEEKLY
    from sim.params import param_info

    if name in ID_COLUMNS:
        label, unit, doc = ID_COLUMNS[name]
        return {"label": label, "unit": unit, "definition": doc, "kind": "identifier"}
    weekly = model_name(name) if table == "series" else name
    if weekly in WEEKLY and (table == "series" or name not in KPIS):
        w = WEEKLY[weekly]
        return {"label": w.label, "unit": w.unit, "definition": f"{w.label} ({w.kind})", "kind": "weekly series"}
    if name in KPIS:
        k = KPIS[name]
        return {"label": k.label, "unit": k.unit, "definition": k.doc, "kind": "kpi", "direction": k.direction}
    info = param_info()
    if name in info:
        p = info[name]
        return {"label": name, "unit": p.unit, "definition": p.help, "kind": p.group}
    return None


def write_parquet(frame: pd.DataFrame, path: Path, table: str, described: dict[str, dict[str, str]] | None = None,
                  ) -> None:
    """Write ``frame`` to ``path`` with each column's meaning in its field metadata; ``table`` names what a
    row is (``runs``, ``series``, ``trial_rows``...), ``described`` adds meanings for columns declared
    elsewhere (e.g. a trial's outcomes)."""
    t = pa.Table.from_pandas(frame, preserve_index=False)
    fields = []
    for f in t.schema:
        meta = (described or {}).get(f.name) or column_meta(f.name, table)
        fields.append(f.with_metadata({k.encode(): v.encode() for k, v in meta.items()}) if meta else f)
    from sim import __version__

    schema_meta = dict(t.schema.metadata or {})
    schema_meta[b"salesim"] = json.dumps({"table": table, "version": __version__}).encode()
    pq.write_table(t.cast(pa.schema(fields, metadata=schema_meta)), path)


def describe(path: str | Path) -> pd.DataFrame:
    """What each column of a salesim Parquet file means: one row per column (label, unit, definition)."""
    schema = pq.read_schema(path)
    rows = []
    for f in schema:
        meta = {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}
        rows.append({"column": f.name, "type": str(f.type), **meta})
    return pd.DataFrame(rows)
