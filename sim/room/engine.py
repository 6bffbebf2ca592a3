"""A table's run: the room's unit warmed up, then the table's policy quarter by quarter.

Everything here is a plain function of its arguments, so a worker process can compute it and a
restarted server can recompute it: a table's results for quarters 1..q follow from the room's
parameters, its seed and the table's policy sequence alone. A run resumed from a snapshot (the
pickled model after quarter q - 1) gives the same numbers as a replay from week 0; a test checks it.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.kpis import CHURN_CAUSES, reported_close_rate, true_conversion
from sim.model import SalesModel
from sim.params import Params
from sim.room.settings import WEEKS_PER_QUARTER

# The per-quarter outcomes a table sees: name -> (label, format used by the pages).
OUTCOMES: dict[str, tuple[str, str]] = {
    "profit": ("Profit", "money"),
    "customers_lost": ("Customers lost", "count"),
    "rep_quits": ("Reps who quit", "count"),
    "reported_close_rate": ("Banner close rate, as reported", "percent"),
    "true_close_rate": ("Banner close rate, true", "percent"),
}
_COUNTS = ("banner_opened", "banner_closed", "banner_expired")


@dataclass(frozen=True)
class QuarterResult:
    """What one quarter of one table's unit did: money and counts over its 13 weeks."""

    profit: float
    customers_lost: int
    rep_quits: int
    banner_opened: int
    banner_closed: int
    banner_expired: int

    @property
    def reported_close_rate(self) -> float:
        """:func:`sim.kpis.reported_close_rate` of the quarter: what the close-rate report shows."""
        return reported_close_rate(self.banner_closed, self.banner_opened)

    @property
    def true_close_rate(self) -> float:
        """:func:`sim.kpis.true_conversion` of the quarter: closes over every banner raised."""
        return true_conversion(self.banner_closed, self.banner_opened, self.banner_expired)

    def outcome(self, name: str) -> float:
        return float(getattr(self, name))

    def as_row(self) -> dict[str, Any]:
        return {
            "profit": self.profit,
            "customers_lost": self.customers_lost,
            "rep_quits": self.rep_quits,
            **{k: getattr(self, k) for k in _COUNTS},
        }


def total(results: Sequence[QuarterResult]) -> QuarterResult:
    """Quarters added up (rates of the sum, not the mean of rates)."""
    return QuarterResult(
        float(sum(r.profit for r in results)),
        sum(r.customers_lost for r in results),
        sum(r.rep_quits for r in results),
        *(sum(getattr(r, k) for r in results) for k in _COUNTS),
    )


@dataclass(frozen=True)
class TableJob:
    """One table's next quarter, as a worker needs it.

    Attributes:
        table: the table's id (carried back with the answer).
        params: the room's unit (preset and size), before any table's choice.
        seed: the room's seed; the same for every table.
        warmup_weeks: weeks the unit runs under the preset before quarter 1.
        policies: the table's lever values for quarters 1..q, in model units; the last is the quarter to run.
        snapshot: a pickled model that has played ``snapshot_quarter`` quarters (0: just warmed up), or None:
            start from week 0. The quarters between the snapshot and the last are replayed.
        snapshot_quarter: the quarters the snapshot has played.
    """

    table: int
    params: Params
    seed: int
    warmup_weeks: int
    policies: tuple[Mapping[str, Any], ...]
    snapshot: bytes | None = None
    snapshot_quarter: int = 0


@dataclass(frozen=True)
class TableAnswer:
    """A worker's answer: the quarter's result, the model after it, and how long the work took."""

    table: int
    quarter: int
    result: QuarterResult
    snapshot: bytes
    seconds: float
    replayed_weeks: int


def start(params: Params, seed: int, warmup_weeks: int) -> SalesModel:
    """The room's unit after its warm-up: every table starts from this same state."""
    return SalesModel(params, rng=seed).run(warmup_weeks)


def play_quarter(model: SalesModel, levers: Mapping[str, Any]) -> QuarterResult:
    """Set the table's levers from this week on and run one quarter; return what the quarter did."""
    diff = {name: value for name, value in levers.items() if getattr(model.p, name) != value}
    if diff:
        model.change_levers(diff)
    first = model.week
    model.run(WEEKS_PER_QUARTER.default)
    return quarter_result(model, first)


def quarter_result(model: SalesModel, first: int) -> QuarterResult:
    """The weeks from ``first`` to now, added up."""
    rows = model.weekly().iloc[first : model.week]
    lost = sum(rows[c.count].to_numpy(np.float64).sum() for c in CHURN_CAUSES)
    return QuarterResult(
        float(rows["profit"].sum()),
        int(round(lost)),
        int(round(rows["quits"].sum())),
        *(int(round(rows[k].sum())) for k in _COUNTS),
    )


def run_table(job: TableJob) -> TableAnswer:
    """Compute the last quarter of ``job.policies``: from the snapshot when given (replaying any quarters between
    it and the last), else from week 0."""
    t0 = time.perf_counter()
    quarter = len(job.policies)
    if job.snapshot is not None:
        model = pickle.loads(job.snapshot)  # noqa: S301 - the server's own snapshot, never read from a file
        done, replayed = job.snapshot_quarter, 0
    else:
        model = start(job.params, job.seed, job.warmup_weeks)
        done, replayed = 0, job.warmup_weeks
    for levers in job.policies[done:-1]:
        play_quarter(model, levers)
        replayed += WEEKS_PER_QUARTER.default
    result = play_quarter(model, job.policies[-1])
    return TableAnswer(job.table, quarter, result, snapshot(model), time.perf_counter() - t0, replayed)


def snapshot(model: SalesModel) -> bytes:
    """The model as bytes, to be resumed by :func:`run_table` in any worker."""
    return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)


def warmed_up(params: Params, seed: int, warmup_weeks: int) -> bytes:
    """The room's unit after its warm-up, as a snapshot: computed once, every table's quarter 1 starts from it."""
    return snapshot(start(params, seed, warmup_weeks))


def run_all(params: Params, seed: int, warmup_weeks: int, policies: Sequence[Mapping[str, Any]]) -> list[QuarterResult]:
    """Every quarter of one policy sequence in one process (for checks and the debrief's replays)."""
    model = start(params, seed, warmup_weeks)
    return [play_quarter(model, levers) for levers in policies]
