"""One replication of a trial, for each unit of randomisation: accounts, reps (sales slots) or the whole firm.

Each function builds the firm on the replication's seed, runs it to the start week, treats the units the
design picks and follows both arms through the observation window. It returns plain rows (one per cluster
and arm, JSON-safe, for the store) and one measure week by week per arm for the report.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from sim import kpis

# Where the randomisation's random numbers come from: a child of the run's seed that no model stream uses.
ASSIGNMENT_KEY = 0x7121A1


def assign(strata: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Treat ``share`` of the units within each stratum (rounded down, at least one where two or more), at random."""
    treated = np.zeros(strata.size, bool)
    order = np.lexsort((rng.random(strata.size), strata))
    start = 0
    for count in np.bincount(strata)[np.unique(strata)] if strata.size else []:
        group = order[start:start + count]
        k = int(math.floor(share * count)) or (1 if count >= 2 else 0)
        treated[group[:k]] = True
        start += count
    return treated


def _terciles(values: np.ndarray) -> np.ndarray:
    """Tercile (0, 1, 2) of each value among all of them."""
    return np.searchsorted(np.quantile(values, [1 / 3, 2 / 3]), values, side="right").astype(np.int64)


def account_strata(model: Any, units: np.ndarray, how: str) -> np.ndarray:
    """Stratum of each account: its rep, its size tercile, its known NPS class (unknown as its own), or one."""
    a = model.acc
    if how == "rep":
        return a.rep[units].astype(np.int64)
    if how == "size":
        return _terciles(a.spend_of(units))
    if how == "nps":
        score = a.known_score[units]
        return np.where(score < 0, 0, np.where(score <= 6, 1, np.where(score <= 8, 2, 3))).astype(np.int64)
    return np.zeros(units.size, np.int64)


def slot_strata(model: Any, how: str) -> np.ndarray:
    """Stratum of each sales slot: its manager's team, the size tercile of its book's spend, or one."""
    n = model.p.n_reps
    if how == "manager":
        return np.array([model.managers.index(model._manager_of[s]) for s in range(n)], np.int64)
    if how == "size":
        a = model.acc
        live = np.flatnonzero(a.active)
        return _terciles(np.bincount(a.rep[live], weights=a.spend_of(live), minlength=n))
    return np.zeros(n, np.int64)


def _model(params: dict[str, Any], seed: int) -> Any:
    from sim.model import SalesModel
    from sim.params import Params

    return SalesModel(Params(**params), rng=seed)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(ASSIGNMENT_KEY,)))


def _rows(cluster: np.ndarray, treated: np.ndarray, outcome: dict[str, np.ndarray], names: list[str],
          key: str) -> list[dict[str, Any]]:
    """One row per (cluster, arm): the units in it and the mean of each outcome over them."""
    rows = []
    for c in np.unique(cluster):
        for arm, mask in (("treated", treated), ("control", ~treated)):
            sel = mask & (cluster == c)
            if not sel.any():
                continue
            row: dict[str, Any] = {key: int(c), "arm": arm, "units": int(sel.sum())}
            for name in names:
                vals = outcome[name][sel]
                row[name] = float(np.nanmean(vals)) if np.isfinite(vals).any() else None
            rows.append(row)
    return rows


def _arm_means(values: np.ndarray, treated: np.ndarray) -> dict[str, float]:
    return {"treated": float(values[treated].mean()) if treated.any() else math.nan,
            "control": float(values[~treated].mean()) if (~treated).any() else math.nan}


def accounts(params: dict[str, Any], seed: int, design: dict[str, Any], weeks: int) -> dict[str, Any]:
    """Accounts randomised within the design's strata; rows per (rep, arm); churn so far by week per arm."""
    model = _model(params, seed)
    start, duration, observe = design["start_week"], design["duration_weeks"], design["observe_weeks"]
    model.run(start)
    a = model.acc
    units = np.flatnonzero(a.active)
    treated = assign(account_strata(model, units, design["stratify"]), design["share_treated"], _rng(seed))
    gone = np.zeros(units.size, bool)
    by_week: dict[str, list[float]] = {"treated": [], "control": []}
    for w in range(observe):
        if w == 0 and design["kind"] == "contact":
            a.follow_up[units[treated]] = True
        a.campaign[units[treated]] = design["kind"] == "pitch" and w < duration
        model.step()
        gone |= ~a.active[units]
        for arm, v in _arm_means(gone, treated).items():
            by_week[arm].append(v)
    a.campaign[:] = False
    model.run(max(0, weeks - start - observe))
    outcome = {"churn": gone.astype(float),
               "spend": np.where(gone, 0.0, a.spend_of(units)),
               "satisfaction": np.where(gone, np.nan, a.sat[units])}
    return {"rows": _rows(a.rep[units].astype(np.int64), treated, outcome, design["outcomes"], "rep"),
            "over_time": by_week}


def reps(params: dict[str, Any], seed: int, design: dict[str, Any], weeks: int) -> dict[str, Any]:
    """Sales slots randomised within the design's strata, the treated put on the trial's plan; rows per
    (slot, arm); deal revenue per slot and week by arm."""
    model = _model(params, seed)
    start, observe = design["start_week"], design["observe_weeks"]
    lead = min(start, observe)  # the window before the start a slot's change is measured from
    model.run(start - lead)
    sales_lead, pay_lead = model.slot_sales.copy(), model.slot_pay.copy()
    model.run(lead)
    a = model.acc
    treated = assign(slot_strata(model, design["stratify"]), design["share_treated"], _rng(seed))
    if design["kind"] == "plan":
        model.switch_plan(np.flatnonzero(treated), design["pay"])
    customers = np.flatnonzero(a.active)
    owner = a.rep[customers]
    first = list(model.slot_rep)
    sales0, pay0 = model.slot_sales.copy(), model.slot_pay.copy()
    gone = np.zeros(customers.size, bool)
    quit_ = np.zeros(model.p.n_reps, bool)
    by_week: dict[str, list[float]] = {"treated": [], "control": []}
    for _ in range(observe):
        before = model.slot_sales.copy()
        model.step()
        gone |= ~a.active[customers]
        quit_ |= np.array([now is not then for now, then in zip(model.slot_rep, first, strict=True)])
        for arm, v in _arm_means(model.slot_sales - before, treated).items():
            by_week[arm].append(v)
    model.run(max(0, weeks - start - observe))
    lost = np.bincount(owner, weights=gone, minlength=model.p.n_reps)
    book = np.bincount(owner, minlength=model.p.n_reps)
    sales, pay = (model.slot_sales - sales0) / observe, (model.slot_pay - pay0) / observe
    outcome = {"sales": sales, "pay": pay,
               "sales_vs_before": sales - (sales0 - sales_lead) / lead,
               "pay_vs_before": pay - (pay0 - pay_lead) / lead,
               "churn": np.divide(lost, book, out=np.full(book.size, np.nan), where=book > 0),
               "quits": quit_.astype(float)}
    # measured at the window's end: the run goes on to `weeks` only so every job has the same length
    return {"rows": _rows(np.arange(model.p.n_reps), treated, outcome, design["outcomes"], "slot"),
            "over_time": by_week}


def _window(total_after: dict[str, float], total_before: dict[str, float], weeks: int,
            churn: float) -> dict[str, float]:
    """The firm's outcomes over a window, from the ledger's running totals at its start and end."""
    d = {k: total_after[k] - total_before[k] for k in total_after}
    return {"revenue": d["revenue"] / weeks,
            "profit": (d["revenue"] - sum(d[k] for k in kpis.COST_KEYS)) / weeks,
            "pay_cost": sum(d[k] for k in kpis.PAY_KEYS) / weeks,
            "deal_revenue": d["deal_revenue"] / weeks,
            "quarter_end_share": d["deal_revenue_quarter_end"] / d["deal_revenue"] if d["deal_revenue"] > 0
            else math.nan,
            "timing_discount_share": d["timing_discounts"] / d["revenue_gross"] if d["revenue_gross"] > 0
            else math.nan,
            "churn": churn}


def _follow(model: Any, weeks: int, series: list[float]) -> tuple[dict[str, float], float]:
    """Run ``weeks`` weeks, appending each week's revenue; the ledger's totals at the start, and the share of
    the customers at the start that left."""
    a = model.acc
    customers = np.flatnonzero(a.active)
    totals = dict(model.ledger.total)
    for _ in range(weeks):
        model.step()
        series.append(float(model.ledger.week["revenue"]))
    return totals, float((~a.active[customers]).mean()) if customers.size else math.nan


def firm(params: dict[str, Any], seed: int, design: dict[str, Any], weeks: int) -> dict[str, Any]:
    """The whole sales force changes plan (or the firm its levers) at the start week, against the same firm on
    the same random numbers without the change; also the changed firm's window before the change (what the
    firm itself compares). Rows per arm: treated (after, changed), control (after, unchanged), before (the
    window before)."""
    start, observe = design["start_week"], design["observe_weeks"]
    unchanged = _model(params, seed)
    unchanged.run(start - observe)
    before: list[float] = []
    totals, churn = _follow(unchanged, observe, before)
    rows = [{"arm": "before", **_window(unchanged.ledger.total, totals, observe, churn)}]
    changed = copy.deepcopy(unchanged)  # the two arms share everything up to the change, random state included
    if design["kind"] == "levers":
        changed.change_levers(design["levers"])
    else:
        changed.switch_plan(np.arange(changed.p.n_reps), design["pay"])
    series = {}
    for arm, model in (("control", unchanged), ("treated", changed)):
        series[arm] = list(before)
        totals, churn = _follow(model, observe, series[arm])
        rows.append({"arm": arm, **_window(model.ledger.total, totals, observe, churn)})
        model.run(max(0, weeks - start - observe))
    keep = ("arm", *design["outcomes"])
    rows = [{"slot": 0, "units": 1, **{k: v for k, v in r.items() if k in keep}} for r in rows]
    return {"rows": rows, "over_time": series, "over_time_from": start - observe}


REPLICATE = {"accounts": accounts, "reps": reps, "firm": firm}
