"""The self-contained HTML report of a scenario comparison (``salesim compare``).

One file, no external resources: CSS inline and every chart a base64 PNG, so it
opens offline and can be forwarded by e-mail. Sections: what was run and how to
read it, the answer (scenarios ranked on profit with paired differences, the standing caveats and
every pair's profit difference, :mod:`sim.report.executive`), the scenarios and the levers they change, the
headline KPI table (mean with 95 % interval and the paired difference against
the first scenario, significant differences highlighted), why pairing matters
(paired against unpaired intervals), every KPI with its definition, the charts,
and each run's seed. All text from the inputs is escaped with :func:`html.escape`.

Call :func:`write_report`; the figures are drawn by :mod:`sim.report.compare_plots`. What each KPI
means (label, direction, display format, headline or not) comes from :mod:`sim.kpis`, and every
number is written by :mod:`sim.formatting`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from sim import formatting as fm
from sim.experiment.summary import Answer
from sim.kpis import HEADLINE, KPIS, ROLLING_WEEKS, display_format, headline_kpis, label
from sim.params import param_info
from sim.report import compare_plots as cp
from sim.report.executive import esc as _e
from sim.report.executive import executive_section
from sim.report.executive import verdict as _verdict

log = logging.getLogger(__name__)

# KPIs whose paired and unpaired intervals are drawn side by side.
PAIRING_KPIS = ("revenue", "profit", "annual_churn_rate")

HOW_TO_READ = (
    "Every scenario was run {reps} times ({weeks} weeks each). Replication k of every scenario uses the same "
    "seed, so all scenarios meet the same customers, needs, failures and shocks (common random numbers). "
    "Each value is the mean over replications with its 95 % interval in brackets."
)
HOW_TO_READ_DIFFS = (
    " Each difference (Δ) is the scenario minus the first scenario, <b>{ref}</b>, averaged over paired "
    "replications, with its paired 95 % interval: because luck is shared, this interval is much narrower than "
    "the one you would get by comparing independent runs (see “Why pairing matters”). A highlighted difference "
    "has an interval that excludes zero: the model reliably produces it, which is not the same as saying a "
    "real sales force would."
)

CSS = """
body { font-family: "Segoe UI", Helvetica, Arial, sans-serif; font-size: 18px; line-height: 1.45; color: #1b1b1b;
       max-width: 1400px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 34px; margin-bottom: 4px; } h2 { font-size: 27px; margin-top: 44px;
     border-bottom: 3px solid #0072B2; padding-bottom: 4px; } h3 { font-size: 22px; margin: 0 0 6px; }
code { font-size: 16px; background: #f2f2f2; padding: 1px 5px; border-radius: 3px; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 12px 0; }
.meta dt { font-weight: 600; color: #555; } .meta dd { margin: 0; }
.howto { background: #eef5fb; border-left: 6px solid #0072B2; padding: 12px 18px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 18px; }
.card { border: 1px solid #ccc; border-top: 8px solid var(--c); border-radius: 6px; padding: 14px 18px; }
.card .q { font-style: italic; } .card .notice { background: #fafafa; padding: 6px 10px; border-radius: 4px; }
.badge { font-size: 14px; background: #555; color: white; border-radius: 10px; padding: 1px 9px;
         vertical-align: middle; }
.swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; background: var(--c);
          margin-right: 6px; vertical-align: baseline; }
table { border-collapse: collapse; margin: 10px 0 18px; }
th, td { border: 1px solid #d0d0d0; padding: 6px 10px; vertical-align: top; text-align: right; }
th { background: #f3f3f3; } th.kpi, td.kpi, td.text { text-align: left; }
td.kpi small, td.text small { color: #666; }
.ci { color: #555; font-size: 15px; white-space: nowrap; } .val { white-space: nowrap; }
.diff { display: block; margin-top: 4px; padding: 2px 5px; border-radius: 4px; white-space: nowrap; }
.sig { font-weight: 700; background: #f5efc8; } .better { background: #cfe5f5; } .worse { background: #f9d3bd; }
.tag { font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .04em; margin-left: 4px; }
.legend span { display: inline-block; padding: 2px 10px; border-radius: 4px; margin: 0 6px; }
.levers td, .levers th { font-size: 16px; }
details { margin: 14px 0; } summary { font-size: 20px; font-weight: 600; cursor: pointer; }
figure { margin: 24px 0 36px; } figure img { max-width: 100%; height: auto; border: 1px solid #e4e4e4; }
figcaption { color: #444; margin-top: 6px; }
ul.caveats li { margin-bottom: 6px; } p.lead { font-size: 21px; }
.error { color: #a00; font-weight: 600; }
@media print { body { font-size: 12pt; } details { display: block; } }
"""


# --- public API -------------------------------------------------------------------------


def write_report(out_dir: Path, scenarios: list[dict], comparison: pd.DataFrame, runs: pd.DataFrame,
                 series: pd.DataFrame, meta: dict, answer: Answer | None = None) -> Path:
    """Write the comparison report to ``out_dir / "report.html"`` (creating the folder) and return its path.

    ``series`` is the weekly table as ``series.parquet`` names it (``revenue_week``, see
    :func:`sim.experiment.tidy.tidy_series`). ``answer`` (:func:`sim.experiment.summary.answer`) fills the
    first section; without it the report starts with the scenarios.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.html"
    path.write_text(render_report(scenarios, comparison, runs, series, meta, answer), encoding="utf-8")
    return path


def render_report(scenarios: list[dict], comparison: pd.DataFrame, runs: pd.DataFrame, series: pd.DataFrame,
                  meta: dict, answer: Answer | None = None) -> str:
    """The whole report as one HTML string (see :func:`write_report` for the inputs)."""
    names = scenario_order(scenarios, comparison)
    colors = cp.scenario_colors(names)
    by_name = {s.get("name"): s for s in scenarios}
    body = "\n".join([
        _header(names, meta),
        executive_section(answer, names, meta, [by_name.get(n, {}) for n in names]),
        _scenarios_section(names, by_name, colors),
        _headline_section(comparison, names, colors, meta),
        _pairing_section(comparison, names, meta),
        _full_table_section(comparison, names, colors, meta),
        _charts_section(comparison, runs, series, colors),
        _runs_section(runs, names),
    ])
    title = "salesim comparison: " + " vs ".join(names)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def scenario_order(scenarios: list[dict], comparison: pd.DataFrame) -> list[str]:
    """Scenario names in comparison order: the ``scenarios`` list, then any others the table holds."""
    names = [str(s.get("name")) for s in scenarios]
    if comparison is not None and "scenario" in comparison.columns:
        names += [str(n) for n in pd.unique(comparison["scenario"]) if str(n) not in names]
    return names


def excludes_zero(low: Any, high: Any) -> bool:
    """Whether an interval lies wholly above or wholly below zero."""
    lo, hi = fm.finite(low), fm.finite(high)
    return lo is not None and hi is not None and (lo > 0 or hi < 0)


# --- sections ------------------------------------------------------------------------------


def _header(names: list[str], meta: dict) -> str:
    """Title, what was run (command, replications, weeks, seed, time) and how to read the report."""
    items = [
        ("Created", meta.get("created", "")), ("Command", meta.get("command", "")),
        ("Scenarios", ", ".join(names)), ("Replications", meta.get("replications", "")),
        ("Weeks", meta.get("weeks", "")), ("Root seed", meta.get("root_seed", "")),
        ("Run time", _duration(meta.get("elapsed_s"))), ("salesim version", meta.get("salesim_version", "")),
    ]
    if meta.get("reference"):
        items.append(("Reference", f"{meta['reference']} (re-rendered from the stored runs by salesim report, "
                                   "no rerun)"))
    rows = "".join(
        f"<dt>{_e(k)}</dt><dd>{'<code>' + _e(v) + '</code>' if k == 'Command' else _e(v)}</dd>" for k, v in items
    )
    ref = names[0] if names else "the first scenario"
    howto = HOW_TO_READ.format(reps=_e(meta.get("replications", "several")), weeks=_e(meta.get("weeks", "")))
    if len(names) > 1:
        howto += HOW_TO_READ_DIFFS.format(ref=_e(ref))
    return (f"<header><h1>Scenario comparison: {_e(' vs '.join(names))}</h1>\n"
            f'<dl class="meta">{rows}</dl>\n<p class="howto"><b>How to read this.</b> {howto}</p></header>')


def _scenarios_section(names: list[str], by_name: dict, colors: dict[str, str]) -> str:
    """One card per scenario: title, question, mechanisms, what to notice and the levers it changes."""
    cards = [_scenario_card(n, by_name.get(n, {}), colors[n], i == 0) for i, n in enumerate(names)]
    return f'<section><h2>The scenarios</h2>\n<div class="cards">{"".join(cards)}</div></section>'


def _scenario_card(name: str, s: dict, color: str, reference: bool) -> str:
    """The card of one scenario."""
    badge = ' <span class="badge">reference</span>' if reference else ""
    parts = [f'<div class="card" style="--c:{color}">',
             f'<h3><span class="swatch"></span>{_e(s.get("title") or name)}{badge}</h3>',
             f"<p><code>{_e(name)}</code></p>"]
    if s.get("question"):
        parts.append(f'<p class="q">{_e(s["question"])}</p>')
    mechanisms = s.get("mechanisms") or []
    if mechanisms:
        parts.append(f"<p><b>Mechanisms:</b> {_e(', '.join(str(m) for m in mechanisms))}</p>")
    if s.get("notice"):
        parts.append(f'<p class="notice"><b>What to notice:</b> {_e(s["notice"])}</p>')
    parts.append(_levers_table(s.get("overrides") or {}))
    parts.append("</div>")
    return "\n".join(parts)


def _levers_table(overrides: dict) -> str:
    """Parameters the scenario sets away from their defaults, with default and unit."""
    if not overrides:
        return "<p><b>Levers:</b> none changed (model defaults).</p>"
    info = param_info()
    rows = []
    for key, value in overrides.items():
        p = info.get(key)
        default = _e(p.default) if p else ""
        unit = _e(p.unit) if p else ""
        helptext = f' title="{_e(p.help)}"' if p and p.help else ""
        rows.append(f'<tr><td class="text"{helptext}><code>{_e(key)}</code></td><td>{_e(value)}</td>'
                    f"<td>{default}</td><td class='text'>{unit}</td></tr>")
    return ('<table class="levers"><tr><th class="kpi">lever</th><th>value</th><th>default</th>'
            f'<th class="kpi">unit</th></tr>{"".join(rows)}</table>')


def _headline_section(comparison: pd.DataFrame, names: list[str], colors: dict[str, str], meta: dict) -> str:
    """Rows = headline KPIs, columns = scenarios: mean [95 % interval] and the paired difference."""
    kpis = [k for k in HEADLINE if k in set(comparison["kpi"])]
    table = _kpi_table(comparison, kpis, names, colors, meta, definitions=False)
    return (f"<section><h2>Headline KPIs</h2>\n{_legend(names)}\n{table}\n"
            "<p>Hover over a KPI name for its definition; all KPIs are in the full table below.</p></section>")


def _pairing_section(comparison: pd.DataFrame, names: list[str], meta: dict) -> str:
    """Paired against unpaired 95 % intervals of each headline difference, and how much wider the latter is."""
    if len(names) < 2:
        return ""
    head = ("<tr><th class='kpi'>scenario</th><th class='kpi'>KPI</th><th>difference</th>"
            "<th>paired 95 % interval</th><th>unpaired 95 % interval</th><th>unpaired ÷ paired width</th></tr>")
    rows = []
    for name in names[1:]:
        for kpi, r in _rows(comparison, name, HEADLINE):
            rows.append(_pairing_row(name, kpi, r, meta))
    return ("<section><h2>Why pairing matters</h2>\n<p>The same difference with two intervals: paired "
            "(replication k of both scenarios shares a seed, so shared luck cancels) and unpaired (as if the "
            "runs were independent). A highlighted interval excludes zero. Where only the paired interval is "
            "highlighted, pairing is what makes the difference visible at this number of replications.</p>\n"
            f'<table>{head}{"".join(rows)}</table></section>')


def _pairing_row(name: str, kpi: str, r: pd.Series, meta: dict) -> str:
    """One row of the pairing table."""
    fmt = display_format(kpi)
    enough = _replications(meta) >= 2
    paired_cls = " class='sig'" if enough and excludes_zero(r["diff_ci_low"], r["diff_ci_high"]) else ""
    unpaired_cls = (" class='sig'" if enough and excludes_zero(r["unpaired_diff_ci_low"], r["unpaired_diff_ci_high"])
                    else "")
    paired_w = _width(r["diff_ci_low"], r["diff_ci_high"])
    unpaired_w = _width(r["unpaired_diff_ci_low"], r["unpaired_diff_ci_high"])
    ratio = f"{unpaired_w / paired_w:.1f}×" if paired_w and unpaired_w is not None else "–"
    return (f"<tr><td class='text'>{_e(name)}</td>{_kpi_cell(kpi, definitions=False)}"
            f"<td class='val'>{_e(fm.value(r['diff_vs_first'], fmt, signed=True))}</td>"
            f"<td{paired_cls}>{_e(fm.interval(r['diff_ci_low'], r['diff_ci_high'], fmt, signed=True))}</td>"
            f"<td{unpaired_cls}>"
            f"{_e(fm.interval(r['unpaired_diff_ci_low'], r['unpaired_diff_ci_high'], fmt, signed=True))}</td>"
            f"<td>{_e(ratio)}</td></tr>")


def _full_table_section(comparison: pd.DataFrame, names: list[str], colors: dict[str, str], meta: dict) -> str:
    """Every KPI (registry order, then any others in the table) with its definition, in a collapsible block."""
    present = list(pd.unique(comparison["kpi"]))
    kpis = [k for k in KPIS if k in present] + [k for k in present if k not in KPIS]
    table = _kpi_table(comparison, kpis, names, colors, meta, definitions=True)
    return (f"<section><details><summary>All {len(kpis)} KPIs with definitions</summary>\n{_legend(names)}\n"
            f"{table}</details></section>")


def _charts_section(comparison: pd.DataFrame, runs: pd.DataFrame, series: pd.DataFrame,
                    colors: dict[str, str]) -> str:
    """Every chart as an embedded PNG with a caption saying what to look at."""
    pairing = [k for k in PAIRING_KPIS if k in set(comparison["kpi"])]
    charts: list[tuple[str, Callable[[], Figure], str]] = [
        ("Headline KPIs by scenario",
         lambda: cp.plot_kpi_bars(comparison, headline_kpis(churn_shares=False), colors, runs),
         "Bars are means, black whiskers the 95 % intervals, white dots the single replications."),
        ("Revenue lost per year", lambda: cp.plot_revenue_lost(comparison, colors),
         "What the book could have paid minus what it paid: churned spend, unserved buyers, discounts and "
         "concessions."),
        ("Accounts lost by cause", lambda: cp.plot_churn_causes(series, colors),
         "Mean number of accounts lost by the end of the run (burn-in included), stacked by recorded cause."),
        ("Revenue and its potential, week by week", lambda: cp.plot_revenue_series(series, colors),
         "Lines are means over replications, bands span the middle 80 % of replications (10th to 90th "
         "percentile)."),
        ("Profit, week by week", lambda: cp.plot_series_bands(series, ("profit_week", "profit_cum"), colors),
         "What is left of net revenue after the cost of goods, pay (base, commission, every bonus), managers, "
         "cost to serve, audits and acquisition; bands as above."),
        ("Reported banner close rate vs true conversion", lambda: cp.plot_close_rate_gap(series, colors),
         "The rate management sees (closes ÷ banner accounts opened) against the true conversion (closes ÷ all "
         f"banner opportunities); the shaded gap is what avoidance hides. {ROLLING_WEEKS}-week rolling rates, "
         "means over replications."),
        ("Customers and reps", lambda: cp.plot_series_bands(series, ("nps_week", "rep_stress_mean_week"), colors),
         "Net promoter score of active accounts and mean stress of reps in post; bands as above."),
    ]
    if len(colors) > 1 and pairing:
        charts.insert(1, (
            "Why pairing matters: differences against the first scenario",
            lambda: cp.plot_diff_intervals(comparison, pairing, colors),
            "Thick bars: paired 95 % interval of the difference (same seeds); thin grey bars: unpaired "
            "interval of the same difference; dots: the difference. An interval off the zero line is a "
            "reliable difference."))
    figures = "\n".join(_chart(title, draw, caption) for title, draw, caption in charts)
    return f"<section><h2>Charts</h2>\n{figures}</section>"


def _runs_section(runs: pd.DataFrame, names: list[str]) -> str:
    """Each run's scenario, replication, seed and headline KPIs, so any run can be reproduced."""
    if runs is None or runs.empty:
        return ""
    kpis = [k for k in headline_kpis(churn_shares=False) if k in runs.columns]
    cols = [c for c in ("scenario", "replication", "seed") if c in runs.columns]
    head = "".join(f"<th class='kpi'>{_e(c)}</th>" for c in cols)
    head += "".join(f"<th title='{_e(KPIS[k].doc)}'>{_e(label(k))}</th>" for k in kpis)
    rank = {n: i for i, n in enumerate(names)}
    order = runs.assign(_o=runs["scenario"].map(rank) if "scenario" in runs.columns else 0)
    order = order.sort_values(["_o"] + (["replication"] if "replication" in runs.columns else []))
    rows = []
    for _, r in order.iterrows():
        cells = "".join(f"<td class='text'>{_e(r[c])}</td>" for c in cols)
        cells += "".join(f"<td>{_e(fm.value(r[k], display_format(k)))}</td>" for k in kpis)
        rows.append(f"<tr>{cells}</tr>")
    return (f"<section><details><summary>Every run ({len(runs)}) with its seed</summary>\n"
            f'<table><tr>{head}</tr>{"".join(rows)}</table></details></section>')


# --- tables ----------------------------------------------------------------------------------


def _kpi_table(comparison: pd.DataFrame, kpis: Sequence[str], names: list[str], colors: dict[str, str],
               meta: dict, definitions: bool) -> str:
    """Rows = KPIs, one column per scenario with mean [interval] and the paired difference."""
    head = "<th class='kpi'>KPI</th>"
    if definitions:
        head += "<th class='kpi'>definition</th><th class='kpi'>unit</th>"
    head += "".join(f"<th style='border-top:6px solid {colors[n]}'>{_e(n)}"
                    f"{'<br><small>reference</small>' if i == 0 else ''}</th>" for i, n in enumerate(names))
    table = comparison.set_index(["scenario", "kpi"])
    rows = []
    for kpi in kpis:
        cells = _kpi_cell(kpi, definitions)
        if definitions:
            cells += f"<td class='text'>{_e(KPIS[kpi].doc if kpi in KPIS else '')}</td>"
            cells += f"<td class='text'><small>{_e(KPIS[kpi].unit if kpi in KPIS else '')}</small></td>"
        for i, name in enumerate(names):
            r = table.loc[(name, kpi)] if (name, kpi) in table.index else None
            cells += _value_cell(kpi, r, reference=i == 0, meta=meta)
        rows.append(f"<tr>{cells}</tr>")
    return f'<table><tr>{head}</tr>{"".join(rows)}</table>'


def _kpi_cell(kpi: str, definitions: bool) -> str:
    """The KPI's label (its definition as a tooltip) and its code name."""
    doc = KPIS[kpi].doc if kpi in KPIS else ""
    title = f" title='{_e(doc)}'" if doc else ""
    name = f"<br><small><code>{_e(kpi)}</code></small>" if definitions else ""
    return f"<td class='kpi'{title}>{_e(label(kpi))}{name}</td>"


def _value_cell(kpi: str, r: pd.Series | pd.DataFrame | None, reference: bool, meta: dict) -> str:
    """Mean [interval], and for a non-reference scenario the paired difference, highlighted if reliable."""
    if r is None:
        return "<td>–</td>"
    if isinstance(r, pd.DataFrame):
        r = r.iloc[0]
    fmt = display_format(kpi)
    out = (f"<span class='val'>{_e(fm.value(r['mean'], fmt))}</span><br>"
           f"<span class='ci'>{_e(fm.interval(r['ci_low'], r['ci_high'], fmt))}</span>")
    if not reference:
        cls, tag = "diff", ""
        if _significant(r, meta):
            verdict = _verdict(kpi, r["diff_vs_first"])
            cls += f" sig {verdict}".rstrip()
            tag = f"<span class='tag'>{verdict or 'changed'}</span>"
        out += (f"<span class='{cls}'>Δ {_e(fm.value(r['diff_vs_first'], fmt, signed=True))}{tag}<br>"
                f"<span class='ci'>{_e(fm.interval(r['diff_ci_low'], r['diff_ci_high'], fmt, signed=True))}"
                f"</span></span>")
    return f"<td>{out}</td>"


def _legend(names: list[str]) -> str:
    """What the highlighting of differences means (nothing to explain for a single scenario)."""
    if len(names) < 2:
        return ""
    return ("<p class='legend'>Δ = paired difference against the reference with its 95 % interval. "
            "<span class='diff sig better' style='display:inline'>better</span>"
            "<span class='diff sig worse' style='display:inline'>worse</span>"
            "<span class='diff sig' style='display:inline'>changed (no preferred direction)</span>"
            "= interval excludes zero; not highlighted = the model cannot tell the difference from noise.</p>")


def _chart(title: str, draw: Callable[[], Figure], caption: str) -> str:
    """A figure block; a chart that fails to draw is reported in place instead of sinking the report."""
    try:
        img = cp.figure_to_img(draw(), alt=title)
    except Exception as exc:  # one broken chart must not lose the whole report
        log.warning("chart %r could not be drawn: %s", title, exc)
        img = f"<p class='error'>This chart could not be drawn: {_e(exc)}</p>"
    return f"<figure><h3>{_e(title)}</h3>\n{img}\n<figcaption>{_e(caption)}</figcaption></figure>"


# --- small utilities -----------------------------------------------------------------------------


def _rows(comparison: pd.DataFrame, name: str, kpis: Sequence[str]) -> list[tuple[str, pd.Series]]:
    """The comparison rows of one scenario for ``kpis``, in that order, skipping KPIs it lacks."""
    sub = comparison[comparison["scenario"] == name].drop_duplicates("kpi").set_index("kpi", drop=False)
    return [(k, sub.loc[k]) for k in kpis if k in sub.index]


def _significant(r: pd.Series, meta: dict) -> bool:
    """A paired difference whose interval excludes zero, with at least two replications behind it."""
    return _replications(meta) >= 2 and excludes_zero(r["diff_ci_low"], r["diff_ci_high"])


def _width(low: Any, high: Any) -> float | None:
    lo, hi = fm.finite(low), fm.finite(high)
    return None if lo is None or hi is None else hi - lo


def _replications(meta: dict) -> int:
    try:
        return int(meta.get("replications", 2))
    except (TypeError, ValueError):
        return 2


def _duration(seconds: Any) -> str:
    """The run time, or nothing when it is unknown."""
    return fm.duration(seconds) if fm.finite(seconds) is not None else ""
