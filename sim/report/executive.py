"""The report's first section: the answer (ranking on profit, paired differences), the caveats, the pairs.

Renders :class:`sim.experiment.summary.Answer` and the run's ``meta`` (calibration facts, posterior,
horizon); computes nothing. Labels, directions and formats come from :mod:`sim.kpis`, numbers from
:mod:`sim.formatting`.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from sim import formatting as fm
from sim.experiment.summary import RANK_KPIS, Answer, distinct
from sim.kpis import KPIS, display_format, label

# The plain words a difference gets: the runs tell it from zero (higher / lower), or they cannot.
WORD_HIGHER = "higher — the runs tell it from zero"
WORD_LOWER = "lower — the runs tell it from zero"
WORD_UNCLEAR = "the runs cannot tell it from zero"
WORD_NONE = "no difference in any run"
# A single run's spread is worth a caveat when one run's standard deviation exceeds this share of the
# smallest profit difference the ranking reports (presentation threshold, not a model number).
SPREAD_WARN_RATIO = 1.0

POSTERIOR_TEXT = (
    "Intervals include <b>parameter uncertainty</b>: replication k of every scenario ran with posterior draw k "
    "of the calibration in <code>{fit}</code> (the behavioural assumptions fitted to published figures), and "
    "with the same seed. A difference the runs tell from zero holds across the plausible values of those "
    "assumptions, not only at their medians; such intervals are usually wider than seed noise alone would give."
)
NO_POSTERIOR_TEXT = (
    "Intervals carry <b>seed noise only</b>: every run used the same parameter values, so they say how sure the "
    "model is at these assumptions, not how sure we are of the assumptions. Run the comparison with "
    "<code>--posterior calibration/fitted/targets</code> to replicate over posterior draws instead."
)


def verdict(kpi: str, diff: Any) -> str:
    """'better' or 'worse' for KPIs with a preferred direction, '' otherwise."""
    d, direction = fm.finite(diff), KPIS[kpi].better if kpi in KPIS else 0
    if d is None or d == 0 or direction == 0:
        return ""
    return "better" if d * direction > 0 else "worse"


def word(diff: Any, is_distinct: bool, low: Any = None, high: Any = None) -> str:
    """The plain word on a paired difference (``low`` and ``high``, its interval, tell 'none at all')."""
    d = fm.finite(diff)
    if d == 0 and fm.finite(low) == 0 and fm.finite(high) == 0:
        return WORD_NONE
    if not is_distinct or d is None:
        return WORD_UNCLEAR
    return WORD_HIGHER if d > 0 else WORD_LOWER


def executive_section(answer: Answer | None, names: list[str], meta: dict, scenarios: list[dict]) -> str:
    """The answer first: a lead sentence, the ranking table, the caveats and the all-pairs profit matrix."""
    if answer is None or answer.ranking.empty:
        return ""
    reps = _int(meta.get("replications"))
    parts = ["<section><h2>The answer</h2>", f"<p class='lead'>{_lead(answer.ranking, names)}</p>",
             _ranking_table(answer.ranking, names),
             "<h3>Standing caveats</h3>", "<ul class='caveats'>",
             *(f"<li>{c}</li>" for c in caveats(answer, names, meta, scenarios)), "</ul>"]
    if len(names) > 2:
        parts.append(_pairs_table(answer.pairs, names, reps))
    parts.append("</section>")
    return "\n".join(parts)


def _lead(ranking: pd.DataFrame, names: list[str]) -> str:
    """One sentence per scenario against the reference: does it pay?"""
    ref = names[0]
    top = ranking.iloc[0]
    if len(names) < 2:
        return f"One scenario, <b>{esc(ref)}</b>: profit {esc(KPIS['profit'].format(top['profit']))} per year."
    sentences = [f"Ranked on profit, <b>{esc(top['scenario'])}</b> comes first."]
    for _, r in ranking.iterrows():
        if r["scenario"] == ref:
            continue
        d = fm.finite(r["profit_diff"])
        amount = _estimate("profit", r["profit_diff"], r["profit_diff_low"], r["profit_diff_high"], signed=True)
        if r["profit_distinct"] and d is not None:
            how = "pays more than" if d > 0 else "earns less than"
            sentences.append(f"<b>{esc(r['scenario'])}</b> {how} <b>{esc(ref)}</b>: {amount} a year.")
        else:
            sentences.append(f"<b>{esc(r['scenario'])}</b> against <b>{esc(ref)}</b>: {amount} a year; "
                             f"{WORD_UNCLEAR}.")
    return " ".join(sentences)


def _ranking_table(ranking: pd.DataFrame, names: list[str]) -> str:
    """Rank, scenario, profit, and each ranking KPI's paired difference against the reference with a word."""
    kpis = [k for k in RANK_KPIS if k in ranking.columns]
    head = ("<tr><th>rank</th><th class='kpi'>scenario</th>"
            + "".join(f"<th title='{esc(KPIS[k].doc)}'>{esc(label(k))}</th>" for k in kpis) + "</tr>")
    rows = []
    for _, r in ranking.iterrows():
        reference = r["scenario"] == names[0]
        cells = f"<td>{int(r['rank'])}</td><td class='text'><b>{esc(r['scenario'])}</b>"
        cells += "<br><small>reference</small></td>" if reference else "</td>"
        for k in kpis:
            cells += f"<td>{_rank_cell(k, r, reference)}</td>"
        rows.append(f"<tr>{cells}</tr>")
    return (f"<table class='ranking'>{head}{''.join(rows)}</table>\n<p><small>Sorted on profit; revenue, churn "
            f"and rep turnover break ties. Δ = paired difference against <b>{esc(names[0])}</b> with its 95 % "
            "interval.</small></p>")


def _rank_cell(kpi: str, r: pd.Series, reference: bool) -> str:
    fmt = display_format(kpi)
    cell = f"<span class='val'>{esc(fm.value(r[kpi], fmt))}</span>"
    if reference:
        return cell
    is_distinct = bool(r[f"{kpi}_distinct"])
    cls = "diff sig " + verdict(kpi, r[f"{kpi}_diff"]) if is_distinct else "diff"
    return (cell + f"<span class='{cls.rstrip()}'>Δ "
            f"{_estimate(kpi, r[f'{kpi}_diff'], r[f'{kpi}_diff_low'], r[f'{kpi}_diff_high'], signed=True)}"
            f"<br><small>{esc(word(r[f'{kpi}_diff'], is_distinct, r[f'{kpi}_diff_low'], r[f'{kpi}_diff_high']))}"
            "</small></span>")


def _pairs_table(pairs: pd.DataFrame, names: list[str], reps: int) -> str:
    """Every pair's paired profit difference: row minus column."""
    table = pairs.set_index(["scenario", "versus"])
    head = "<tr><th class='kpi'>row − column</th>" + "".join(f"<th>{esc(n)}</th>" for n in names) + "</tr>"
    rows = []
    for a in names:
        cells = f"<td class='text'><b>{esc(a)}</b></td>"
        for b in names:
            if a == b:
                cells += "<td>–</td>"
                continue
            p = table.loc[(a, b)]
            cls = " class='sig " + verdict("profit", p["diff"]) + "'" if distinct(p["ci_low"], p["ci_high"], reps) \
                else ""
            cells += f"<td{cls}>{_estimate('profit', p['diff'], p['ci_low'], p['ci_high'], signed=True)}</td>"
        rows.append(f"<tr>{cells}</tr>")
    return ("<h3>Every pair: profit difference per year</h3>\n<p>Each cell is the row's profit minus the column's, "
            "averaged over paired replications, with its paired 95 % interval; a highlighted cell is one the runs "
            f"tell from zero.</p>\n<table class='pairs'>{head}{''.join(rows)}</table>")


def caveats(answer: Answer, names: list[str], meta: dict, scenarios: list[dict]) -> list[str]:
    """The standing caveats, each an HTML sentence written from this run's meta, scenarios and spread."""
    burn_in = {s.get("burn_in_weeks") for s in scenarios}
    cal = meta.get("calibration")
    out = [_calibration_caveat(cal, names), _spread_caveat(answer, names, meta),
           _horizon_caveat(meta, burn_in.pop() if len(burn_in) == 1 else None), _identifiability_caveat(cal),
           POSTERIOR_TEXT.format(fit=esc((cal or {}).get("fit", meta.get("posterior"))))
           if meta.get("posterior") else NO_POSTERIOR_TEXT]
    return [c for c in out if c]


def _calibration_caveat(cal: dict | None, names: list[str]) -> str:
    if not cal:
        return "<b>Calibration:</b> not recorded for this comparison (it predates the record)."
    done = [n for n in names if n in cal.get("calibrated", [])]
    rest = [n for n in names if n not in done]
    if cal.get("posterior"):
        return (f"<b>Calibration:</b> every scenario ran over posterior draws of <code>{esc(cal.get('fit'))}</code>; "
                "each scenario's own levers are applied on top of the fitted assumptions.")
    if not done:
        return (f"<b>Calibration:</b> no scenario here runs at the fitted values of "
                f"<code>{esc(cal.get('fit'))}</code>; "
                "all use the model's default behavioural assumptions, which are plausible but not fitted to data. "
                "Read the differences as what the mechanisms produce, not as forecasts.")
    return (f"<b>Calibration:</b> {_names(done)} {'runs' if len(done) == 1 else 'run'} at the fitted values of "
            f"<code>{esc(cal.get('fit'))}</code>; {_names(rest) or 'none'} "
            f"{'uses' if len(rest) == 1 else 'use'} the model's default behavioural assumptions, not fitted to data.")


def _identifiability_caveat(cal: dict | None) -> str:
    if not cal or not cal.get("parameters"):
        return ""
    n, ok = len(cal["parameters"]), cal.get("identified", [])
    count = "none" if not ok else "all" if len(ok) == n else str(len(ok))
    text = (f"<b>Identifiability:</b> {count} of the {n} fitted parameters {'is' if count == 'none' else 'are'} "
            "pinned down by the published figures (95 % interval under half the prior range)")
    if len(ok) < n:
        text += "; several combinations of assumptions fit those figures about equally well, so "
        text += ("these intervals, which replicate over posterior draws, are the ones to trust" if cal.get("posterior")
                 else "a result that matters should be checked with <code>--posterior</code>")
    return text + "."


def _spread_caveat(answer: Answer, names: list[str], meta: dict) -> str:
    spread = answer.spread[answer.spread["kpi"] == "profit"]
    if spread.empty:
        return ""
    reps = _int(meta.get("replications"))
    if reps < 2:
        return ("<b>Seed spread:</b> one replication per scenario, so no interval can be given and no difference "
                "can be told from noise; run at least two (20 is the default).")
    widest = spread.loc[spread["sd"].idxmax()] if spread["sd"].notna().any() else spread.iloc[0]
    text = (f"<b>Seed spread of single runs:</b> one run's profit varies from seed to seed by "
            f"{esc(KPIS['profit'].format(widest['sd']))} a year (standard deviation, <b>{esc(widest['scenario'])}</b>; "
            f"its runs range from {esc(KPIS['profit'].format(widest['low']))} to "
            f"{esc(KPIS['profit'].format(widest['high']))}). ")
    diffs = answer.ranking["profit_diff"].abs() if "profit_diff" in answer.ranking else pd.Series(dtype=float)
    diffs = diffs[diffs > 0]
    if not diffs.empty and fm.finite(widest["sd"]) and widest["sd"] > SPREAD_WARN_RATIO * diffs.min():
        text += ("That is more than the smallest difference above: a single run, or unpaired runs, could rank these "
                 "scenarios either way; the paired intervals here are what can tell them apart.")
    else:
        text += f"The {reps} paired replications average this out; a single run would not."
    return text


def _horizon_caveat(meta: dict, burn: Any) -> str:
    weeks = _int(meta.get("weeks"))
    text = f"<b>Horizon:</b> each run simulates {weeks} weeks"
    if isinstance(burn, int):
        text += (f"; the first {burn} are a burn-in and not measured, so yearly values come from the last "
                 f"{max(weeks - burn, 0)} weeks")
    return text + (". Effects that take longer to show (reputation, the slow loss of neglected accounts, the rep "
                   "pool after many quits) are only partly in the numbers.")


def _estimate(kpi: str, x: Any, low: Any, high: Any, signed: bool = False) -> str:
    fmt = display_format(kpi)
    return (f"{esc(fm.value(x, fmt, signed))} <span class='ci'>{esc(fm.interval(low, high, fmt, signed))}"
            "</span>")


def _names(names: list[str]) -> str:
    return ", ".join(f"<b>{esc(n)}</b>" for n in names)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def esc(value: Any) -> str:
    """Escape any value for HTML text and attributes."""
    return html.escape(str(value), quote=True)
