"""Calibration targets from a book with history: the firm's own churn, win rate, NPS, quota attainment and
rep turnover over the year before the export, each with its provenance, in calibration/targets.toml's format.

Only counts and rates leave the book: no id or name is written.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from sim.book.model import Book
from sim.calibrate.targets import Target

WINDOW_DAYS = 365  # the year before the export that rates are measured over
Z95 = 1.96  # normal quantile of a two-sided 95 % interval
TOLERANCE = 0.15  # least half-width of a target's range, relative to its value: a model of a firm is not
# expected to match it closer than this (and a range narrower than the run-to-run noise cannot be hit)
FLOOR = 0.02  # least half-width as a share of the figure's scale (rates: 0.02; NPS: 4 points)
PROMOTER, DETRACTOR = 9, 6  # NPS definition: promoters score 9-10, detractors 0-6


OWN_RECORDS = "the firm's own records (as exported)"  # the trust of every figure from a book


def _target(name: str, kpi: str, value: float, low: float, high: float, statistic: str, source: str) -> Target:
    """One of the firm's own figures, as a calibration target."""
    return Target(name, kpi, value, low, high, statistic, source, OWN_RECORDS)


def _range(value: float, se: float, lo: float = 0.0, hi: float = 1.0) -> tuple[float, float]:
    half = max(Z95 * se, TOLERANCE * abs(value), FLOOR * (hi - lo))
    return max(lo, value - half), min(hi, value + half)


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s)


def book_targets(book: Book) -> list[Target]:
    """The figures the book's history supports (a figure whose columns are absent is left out)."""
    end = pd.Timestamp(book.as_of)
    start = end - pd.Timedelta(days=WINDOW_DAYS)
    period = f"{start.date()} to {end.date()}"
    acc, reps, out = book.accounts, book.reps, []
    if "churned_on" in acc.columns:
        when = _dates(acc["churned_on"])
        lost = int(((when > start) & (when <= end)).sum())
        base = int(when.isna().sum()) + lost
        rate = lost / base
        out.append(_target("annual_churn", "annual_churn_rate", rate,
                              *_range(rate, math.sqrt(rate * (1 - rate) / base)),
                              "accounts lost in the year / accounts at its start (current + lost)",
                              f"book accounts file: {lost:,} of {base:,} accounts churned, {period}"))
    opp = book.opportunities
    if opp is not None:
        when = _dates(opp["closed_on"])
        closed = opp[(when > start) & (when <= end)]
        won, n = int((closed["outcome"] == "won").sum()), len(closed)
        if n:
            rate = won / n
            out.append(_target("win_rate", "win_rate_purchase", rate,
                                  *_range(rate, math.sqrt(rate * (1 - rate) / n)),
                                  "opportunities won / opportunities closed in the year",
                                  f"book opportunities file: {won:,} won of {n:,} closed, {period}"))
    if "nps_score" in acc.columns:
        current = acc["churned_on"].isna() if "churned_on" in acc.columns else pd.Series(True, index=acc.index)
        score = pd.to_numeric(acc.loc[current, "nps_score"]).dropna().to_numpy()
        if score.size:
            p, d = float((score >= PROMOTER).mean()), float((score <= DETRACTOR).mean())
            nps = 100.0 * (p - d)
            se = 100.0 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / score.size)
            out.append(_target("nps", "nps", nps, *_range(nps, se, -100.0, 100.0),
                                  "% promoters (9-10) minus % detractors (0-6) among current accounts surveyed",
                                  f"book accounts file: {score.size:,} current accounts with a score, "
                                  f"{100 * p:.1f} % promoters, {100 * d:.1f} % detractors, as of {end.date()}"))
    in_post = reps["left_on"].isna() if "left_on" in reps.columns else pd.Series(True, index=reps.index)
    if "quota_attainment" in reps.columns:
        att = pd.to_numeric(reps.loc[in_post, "quota_attainment"]).dropna().to_numpy()
        if att.size:
            rate = float((att >= 1.0).mean())
            out.append(_target("quota_attainment", "quota_attainment", rate,
                                  *_range(rate, math.sqrt(rate * (1 - rate) / att.size)),
                                  "share of reps in post whose last attainment reached quota (>= 1.0)",
                                  f"book reps file: {int((att >= 1.0).sum())} of {att.size} reps at quota"))
    if "left_on" in reps.columns:
        when = _dates(reps["left_on"])
        quits, heads = int(((when > start) & (when <= end)).sum()), int(in_post.sum())
        rate = quits / heads
        out.append(_target("rep_turnover", "rep_turnover_rate", rate,
                              *_range(rate, math.sqrt(max(quits, 1)) / heads, 0.0, 5.0),
                              "reps who left in the year / reps in post (rep-years, headcount held by hiring)",
                              f"book reps file: {quits} left, {heads} in post, {period}"))
    return out


def targets_toml(targets: list[Target], scenario: str, priors: dict[str, tuple[float, float]],
                 title: str, weeks: int = 104) -> str:
    """A targets file (calibration/targets.toml's format) for these figures."""
    lines = ["# Calibration targets computed from a book of business by 'salesim targets-from-book'.",
             "# Each range is the figure's 95 % sampling interval, widened to at least "
             f"+/-{TOLERANCE:.0%} of its value.", "", f"title = {_q(title)}", f"scenario = {_q(scenario)}",
             f"weeks = {weeks}", ""]
    for t in targets:
        lines += ["[[target]]", f"name = {_q(t.name)}", f"kpi = {_q(t.kpi)}", f"value = {_num(t.value)}",
                  f"low = {_num(t.low)}", f"high = {_num(t.high)}", f"statistic = {_q(t.statistic)}",
                  f"source = {_q(t.source)}", f"trust = {_q(t.trust)}", ""]
    for name, (lo, hi) in priors.items():
        lines += [f"[priors.{name}]", f"bounds = [{_num(lo)}, {_num(hi)}]", ""]
    return "\n".join(lines)


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _num(x: float) -> str:
    return repr(round(float(x), 6))


def stamp(as_of: dt.date) -> str:
    """The title's date stamp."""
    return as_of.isoformat()


__all__ = ["book_targets", "stamp", "targets_toml"]
