"""The offline ``report.html`` of a decision command (optimize, discover, robust): its tables and figures.

One file with no external resources, like the comparison report: the page style is
:data:`sim.report.html.CSS`, each figure is the PNG the command writes beside its CSVs
(:mod:`sim.report.decide_figures`), embedded as base64, and every text from a problem file is escaped. The
cells of the key tables are built here once and shared with the terminal tables of :mod:`sim.cli_decide`.
Renders what :mod:`sim.decide` computed; computes nothing.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim import formatting
from sim.kpis import KPIS, label
from sim.report import decide_figures as figures
from sim.report.executive import esc
from sim.report.html import CSS

Table = tuple[list[str], list[list[str]]]
"""A table as headers and rows of display strings, for the terminal and for the page."""


# --- the key tables, as display strings ------------------------------------------------------------


def reevaluation_cells(table: pd.DataFrame) -> Table:
    """The winner's-curse table: first-pass against re-evaluated estimate of each top candidate, per objective."""
    rows = []
    for r in table.itertuples():
        k = KPIS[r.objective]
        rows.append(
            [
                str(r.rank),
                str(r.trial),
                r.objective,
                formatting.estimate(r.first_mean, r.first_ci_low, r.first_ci_high, k.fmt),
                formatting.estimate(r.reevaluated_mean, r.reevaluated_ci_low, r.reevaluated_ci_high, k.fmt),
                formatting.value(r.optimism, k.fmt, signed=True),
            ]
        )
    n1 = int(table["first_replications"].iloc[0]) if len(table) else 0
    n2 = int(table["reevaluated_replications"].iloc[0]) if len(table) else 0
    return [
        "rank",
        "trial",
        "objective",
        f"first pass ({n1} runs) [95 % CI]",
        f"re-evaluated ({n2} fresh runs) [95 % CI]",
        "optimism",
    ], rows


OPTIMISM_NOTE = (
    "optimism: how much better the first pass looked than the re-evaluation, in the objective's good "
    "direction; positive = the winner's curse"
)


def pareto_cells(pareto: pd.DataFrame, levers: Sequence[str], objectives: Sequence[str]) -> Table:
    """The Pareto set: each candidate's levers and its objectives' means with 95 % intervals."""
    rows = []
    for _, r in pareto.iterrows():
        cells = [str(r["trial"]), str(r["generation"])]
        cells += [
            formatting.plain(r[n]) if isinstance(r[n], int | float) and not isinstance(r[n], bool) else str(r[n])
            for n in levers
        ]
        cells += [
            formatting.estimate(r[f"{k}_mean"], r[f"{k}_ci_low"], r[f"{k}_ci_high"], KPIS[k].fmt) for k in objectives
        ]
        rows.append(cells)
    return ["trial", "generation", *levers, *(f"{k} [95 % CI]" for k in objectives)], rows


def robust_cells(policies: pd.DataFrame, kpi: str) -> Table:
    """Per policy: mean, worst decile, mean and maximum regret, share of worlds where it is best."""
    fmt = KPIS[kpi].fmt
    rows = [
        [
            r.policy,
            formatting.value(r.mean, fmt),
            formatting.value(r.worst_decile, fmt),
            formatting.value(r.mean_regret, fmt),
            formatting.value(r.max_regret, fmt),
            formatting.percent(r.best_share),
        ]
        for r in policies.itertuples()
    ]
    return ["policy", f"mean {kpi}", "worst decile", "mean regret", "max regret", "best in"], rows


def limit_text(r: Any) -> str:
    """One restricted parameter of a PRIM box: its values or its range, with the quasi-p-value."""
    where = r.values if r.values else f"{formatting.plain(r.low)} to {formatting.plain(r.high)}"
    return f"{r.parameter}: {where} (quasi-p {r.qp_value:.2g})"


def boxes_cells(boxes: pd.DataFrame, limits: pd.DataFrame) -> Table:
    """The PRIM boxes: coverage, density, worlds (failing) and each restricted parameter's limits."""
    rows = []
    for b in boxes.itertuples():
        lim = limits[limits["box"] == b.box] if len(limits) else limits
        rows.append(
            [
                str(b.box),
                formatting.percent(b.coverage),
                formatting.percent(b.density),
                str(b.worlds),
                str(b.failing_worlds),
                "; ".join(limit_text(r) for r in lim.itertuples()),
            ]
        )
    return ["box", "coverage", "density", "worlds", "failing", "restrictions"], rows


NO_BOX = (
    "no box: the policy fails in every world or in none, or no box reaches the density asked for (prim.min_density)"
)
QUASI_P_NOTE = "a restriction with a quasi-p-value above about 0.05 could be chance: the box holds without it"


def boxes_text(boxes: pd.DataFrame, limits: pd.DataFrame) -> str:
    """The PRIM boxes for the terminal: coverage, density, worlds, and each restricted parameter's limits."""
    if boxes.empty:
        return NO_BOX
    lines = []
    for b in boxes.itertuples():
        lines.append(
            f"box {b.box}: coverage {formatting.percent(b.coverage)}, density "
            f"{formatting.percent(b.density)}, {b.worlds} worlds ({b.failing_worlds} failing)"
        )
        lines += [f"    {limit_text(r)}" for r in limits[limits["box"] == b.box].itertuples()]
    return "\n".join([*lines, f"({QUASI_P_NOTE})"])


# --- page pieces ----------------------------------------------------------------------------------


def html_table(table: Table, name: str, right: Sequence[int] = (), marked: Sequence[int] = ()) -> str:
    """A table of display strings; ``name`` is its id (tests and links find it by that), ``marked`` rows are
    highlighted."""
    headers, rows = table

    def cls(i: int, name: str) -> str:
        return "" if i in right else f" class='{name}'"

    head = "".join(f"<th{cls(i, 'kpi')}>{esc(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        ("<tr class='sig'>" if j in marked else "<tr>")
        + "".join(f"<td{cls(i, 'text')}>{esc(c)}</td>" for i, c in enumerate(row))
        + "</tr>"
        for j, row in enumerate(rows)
    )
    return f"<table id='{esc(name)}'><tr>{head}</tr>{body}</table>"


def png_figure(path: Path, title: str, caption: str) -> str:
    """The PNG at ``path`` embedded as a base64 ``data:`` image, with its title and caption."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f"<figure><h3>{esc(title)}</h3>\n<img src='data:image/png;base64,{data}' alt='{esc(title)}'>\n"
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def page(title: str, question: str, facts: Sequence[tuple[str, str]], sections: Sequence[tuple[str, str]]) -> str:
    """The whole page: title, question, what was run (``facts``), then each (heading, body) section."""
    meta = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
    body = "\n".join(f"<section><h2>{esc(h)}</h2>\n{b}</section>" for h, b in sections)
    q = f"<p class='lead'><i>{esc(question)}</i></p>" if question else ""
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>"
        f"<style>{CSS}</style></head><body>\n<h1>{esc(title)}</h1>{q}\n<dl class='meta'>{meta}</dl>\n{body}\n"
        "</body></html>\n"
    )


def _write(out: Path, text: str) -> Path:
    path = out / "report.html"
    path.write_text(text, encoding="utf-8")
    return path


def _common_facts(problem: Any, runs: str) -> list[tuple[str, str]]:
    return [
        ("problem file", str(problem.path)),
        ("runs", runs),
        ("weeks per run", str(problem.weeks)),
        ("root seed", str(problem.seed)),
    ]


def _dimension_text(d: Any) -> str:
    if d.choices:
        return f"{d.name}: {', '.join(map(str, d.choices))}"
    return f"{d.name}: {formatting.plain(d.low)} to {formatting.plain(d.high)}"


# --- one report per command ------------------------------------------------------------------------


def optimize_report(problem: Any, result: Any, out: Path) -> Path:
    """Draw pareto.png and reevaluation.png into ``out`` and write report.html with the Pareto set and the
    re-evaluation; return the report's path."""
    pareto_png = figures.plot_pareto(result.trials, problem.objectives, out / "pareto.png", problem.title)
    again_png = figures.plot_reevaluation(result.reevaluation, out / "reevaluation.png", problem.title)
    directions = ", ".join(f"{k} ({KPIS[k].direction} is better)" for k in problem.objectives)
    facts = [
        ("base scenario", problem.base.name),
        ("objectives", directions),
        ("levers searched", "; ".join(_dimension_text(d) for d in problem.levers)),
        (
            "candidates",
            f"{len(result.trials)} ({problem.population} a generation, NSGA-II), {problem.replications} runs each",
        ),
        ("re-evaluated", f"the top {problem.top} on {problem.reevaluate_replications} fresh seeds each"),
        *_common_facts(problem, f"{result.n_runs} in {formatting.duration(result.elapsed_s)}"),
    ]
    levers = [d.name for d in problem.levers]
    n = len(result.reevaluation)
    sections = [
        (
            "Re-evaluated top candidates",
            html_table(reevaluation_cells(result.reevaluation), "reevaluation", right=(0, 1, 3, 4, 5))
            + f"<p>{esc(OPTIMISM_NOTE)}.</p>",
        ),
        (
            f"Pareto set ({len(result.pareto)} of {len(result.trials)} candidates)",
            html_table(
                pareto_cells(result.pareto, levers, problem.objectives),
                "pareto",
                right=range(len(levers) + 2, len(levers) + 2 + len(problem.objectives)),
            ),
        ),
        (
            "Figures",
            png_figure(
                pareto_png,
                "The Pareto set",
                "Every candidate in grey, the Pareto set highlighted; means over the first-pass replications.",
            )
            + png_figure(
                again_png,
                "The winner's curse",
                f"{n} rows: each top candidate's first-pass estimate beside "
                "its re-evaluation on fresh seeds, with 95 % intervals.",
            ),
        ),
    ]
    return _write(out, page(problem.title, problem.question, facts, sections))


def discover_report(problem: Any, result: Any, out: Path) -> Path:
    """Draw boxes.png into ``out`` and write report.html with the boxes and the worlds; return its path."""
    ranges = {
        d.name: (float(d.low), float(d.high)) for d in result.dimensions if d.low is not None and d.high is not None
    }
    png = figures.plot_boxes(
        result.trajectories,
        result.boxes,
        result.limits,
        ranges,
        out / "boxes.png",
        f"{problem.title}\nfails when: {problem.threshold_text}",
    )
    fails = int(result.worlds["fails"].sum())
    sampled = (
        f"the stored sample {problem.sample}"
        if problem.sample is not None
        else f"a Latin hypercube of {len(result.worlds)} worlds, {problem.replications} runs a world"
    )
    facts = [
        ("policy", problem.base.name),
        ("fails when", problem.threshold_text),
        ("worlds", f"{len(result.worlds)} from {sampled}; {fails} fail"),
        ("dimensions", "; ".join(_dimension_text(d) for d in result.dimensions)),
    ]
    if problem.sample is not None:  # weeks and seed are the stored runs' own
        facts += [("problem file", str(problem.path)), ("runs", f"{len(result.runs)} stored, none run again")]
    else:
        facts += _common_facts(problem, f"{len(result.runs)} in {formatting.duration(result.elapsed_s)}")
    boxes = (
        (
            html_table(boxes_cells(result.boxes, result.limits), "boxes", right=(0, 1, 2, 3, 4))
            + f"<p>{esc(QUASI_P_NOTE)}.</p>"
        )
        if len(result.boxes)
        else f"<p id='boxes'>{esc(NO_BOX)}.</p>"
    )
    names = [d.name for d in result.dimensions]
    worlds = result.worlds
    world_rows = [
        [
            str(r["point"]),
            *(formatting.plain(r[n]) if isinstance(r[n], int | float) else str(r[n]) for n in names),
            KPIS[problem.kpi].format(r["policy"]),
            KPIS[problem.kpi].format(r["threshold"]),
            "fails" if r["fails"] else "",
        ]
        for _, r in worlds.iterrows()
    ]
    world_table = html_table(
        (["world", *names, label(problem.kpi), "threshold", ""], world_rows),
        "worlds",
        right=range(len(names) + 3),
        marked=[i for i, f in enumerate(worlds["fails"]) if f],
    )
    sections = [
        ("Boxes where the policy fails", boxes),
        (
            "Figure",
            png_figure(
                png,
                "PRIM boxes",
                "Left: each peeling trajectory (coverage against density), the "
                "chosen box circled. Right: each box's limits on the sampled range of every "
                "parameter it restricts.",
            ),
        ),
        ("Every world", f"<details><summary>{len(worlds)} worlds, {fails} failing</summary>{world_table}</details>"),
    ]
    return _write(out, page(problem.title, problem.question, facts, sections))


def robust_report(problem: Any, result: Any, out: Path) -> Path:
    """Draw regret.png into ``out`` and write report.html with the policies ranked by regret; return its path."""
    png = figures.plot_regret(result.policies, result.regret, out / "regret.png", problem.title)
    worlds = (
        f"{problem.samples} posterior draws of {problem.posterior}"
        if problem.posterior is not None
        else f"a Latin hypercube of {problem.samples} worlds over "
        + "; ".join(_dimension_text(d) for d in problem.uncertainties)
    )
    facts = [
        ("policies", ", ".join(p.name for p in problem.policies)),
        ("KPI", f"{problem.kpi} ({KPIS[problem.kpi].direction} is better)"),
        ("worlds", worlds),
        ("most robust", f"{result.most_robust} (smallest worst-case regret)"),
        *_common_facts(
            problem,
            f"{len(result.runs)} ({problem.replications} a policy and world) in "
            f"{formatting.duration(result.elapsed_s)}",
        ),
    ]
    sections = [
        (
            "Policies, most robust first",
            html_table(robust_cells(result.policies, problem.kpi), "robust", right=range(1, 6), marked=[0])
            + "<p>Regret in a world: how far the policy falls short of the best policy in that world. The most "
            "robust policy has the smallest maximum regret (ties: the smaller mean regret).</p>",
        ),
        (
            "Figure",
            png_figure(
                png,
                "Regret across worlds",
                "Left: each policy's regret in every world. Right: its "
                "mean over worlds and the mean over its worst tenth of worlds.",
            ),
        ),
    ]
    return _write(out, page(problem.title, problem.question, facts, sections))
