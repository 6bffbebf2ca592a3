"""Given-data sensitivity: analyse runs that already exist (a sweep's runs.parquet) without running again."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.sensitivity.core import GIVEN_DATA_METHODS, analyse
from sim.sensitivity.problem import Problem


def given_data(problem: Problem, runs: pd.DataFrame, method: str = "delta", seed: int = 0) -> pd.DataFrame:
    """Indices of each of the problem's KPIs from existing runs, with RBD-FAST, delta or PAWN.

    The runs table needs one column per problem parameter (choices and on/off are mapped to level
    numbers) and one per KPI; replications of a point are used as separate samples.
    """
    if method not in GIVEN_DATA_METHODS:
        raise UserError(f"--method {method!r} cannot analyse given data; use one of "
                        f"{', '.join(GIVEN_DATA_METHODS)}.")
    missing = [c for c in (*problem.names, *problem.kpis) if c not in runs.columns]
    if missing:
        raise UserError(f"the runs table has no column for {', '.join(missing)}; it has "
                        f"{', '.join(map(str, runs.columns))}. Analyse a sweep that varied these parameters.")
    X = np.column_stack([_numeric(problem, name, runs[name]) for name in problem.names])
    frames = [analyse(problem, X, runs[k].to_numpy(float), method, seed, k) for k in problem.kpis]
    return pd.concat(frames, ignore_index=True)


def _numeric(problem: Problem, name: str, col: pd.Series) -> np.ndarray:
    if name in problem.levels:
        index = {v: i + 0.5 for i, v in enumerate(problem.levels[name])}
        return col.map(index).to_numpy(float)
    return col.to_numpy(float)
