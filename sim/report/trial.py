"""The self-contained HTML report of a trial (``salesim trial``): the design, the effect, churn over time.

One file, no external resources (inline CSS, the chart a base64 PNG), like the comparison report; every
text from the trial file is escaped.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matplotlib.figure import Figure

from sim import formatting
from sim.kpis import unit_format
from sim.report import compare_plots as cp
from sim.report.html import CSS
from sim.trials.run import OVER_TIME
from sim.trials.spec import KINDS, OUTCOME_UNITS, OUTCOMES, UNITS

if TYPE_CHECKING:
    from sim.trials.run import TrialResult

ARM_COLORS = {"treated": "#D55E00", "control": "#0072B2"}
ARM_LABELS = {"accounts": {"treated": "treated", "control": "control"},
              "reps": {"treated": "treated", "control": "control"},
              "firm": {"treated": "plan changed", "control": "unchanged (same random numbers)"}}
HOW_TO = {"accounts": "Treated and control accounts share one simulated firm in every run; each replication "
                      "redraws the firm and the randomisation. A difference is treated minus control, averaged "
                      "over clusters (one rep's book in one replication) with a 95 % t interval over clusters, "
                      "because a rep's accounts are not independent of each other; the ratio of pooled means "
                      "has a 95 % cluster bootstrap interval.",
          "reps": "Treated and control slots share one simulated firm in every run; each replication redraws "
                  "the firm and the randomisation. Slots are pooled per arm within a replication, and a "
                  "difference is averaged over replications with a 95 % t interval (the slots of one firm "
                  "share its customers' market); the ratio has a 95 % bootstrap interval over replications.",
          "firm": "Each replication runs the firm twice on the same random numbers, with and without the "
                  "change, so 'changed - unchanged' is the change's effect; 'after - before' is what the firm "
                  "itself can measure, the window after the change against the window before it, which also "
                  "carries whatever else moved. Both are averaged over replications with 95 % t intervals."}


def plot_over_time(result: TrialResult) -> Figure:
    """The trial's weekly measure per arm (mean over replications): accounts lost so far, a slot's deal
    revenue, or the firm's revenue."""
    fig = Figure(figsize=(9, 4.2), layout="constrained")
    ax = fig.add_subplot()
    df, spec = result.over_time, result.spec
    scale = 100 if spec.unit == "accounts" else 1
    for arm, colour in ARM_COLORS.items():
        if arm in df:
            ax.plot(df["week"], scale * df[arm], color=colour, lw=2.5, label=ARM_LABELS[spec.unit][arm])
    end = spec.start_week + spec.duration_weeks
    ax.axvspan(spec.start_week, end, color="#dddddd", alpha=0.6, label="treatment")
    ax.set_xlabel("week of the run")
    ax.set_ylabel(OVER_TIME[spec.unit] + (" (%)" if scale == 100 else ""))
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return fig


def effect_cells(r: Any) -> tuple[str, str, str, str]:
    """One effect row as people read it: the two arms' means, the difference and the ratio with intervals."""
    f = unit_format(OUTCOME_UNITS[r.outcome])
    ratio = (f"{r.ratio:.3f} [{r.ratio_ci_low:.3f}, {r.ratio_ci_high:.3f}]" if math.isfinite(r.ratio)
             else formatting.DASH)
    return (formatting.value(r.control_mean, f), formatting.value(r.treated_mean, f),
            formatting.estimate(r.difference, r.diff_ci_low, r.diff_ci_high, f, signed=True), ratio)


def render_trial_report(result: TrialResult) -> str:
    """The report as one HTML string."""
    s, e = result.spec, html.escape
    design = [("scenario", s.scenario.name), ("unit", f"{s.unit}: {UNITS[s.unit]}"), ("stratified by", s.stratify),
              ("share treated", f"{s.share_treated:.0%}"), ("treatment", f"{s.kind}: {KINDS[s.kind]}"),
              *([("plan of the treated", ", ".join(f"{k} = {v}" for k, v in s.pay.items()))] if s.pay else []),
              *([("levers changed", ", ".join(f"{k} = {v}" for k, v in s.levers.items()))] if s.levers else []),
              ("starts at week", str(s.start_week)),
              ("lasts", "to the end of the run" if s.kind in ("plan", "levers") else f"{s.duration_weeks} weeks"),
              ("outcomes followed for", f"{s.observe_weeks} weeks"), ("replications", str(result.replications)),
              ("root seed", str(result.seed))]
    meta = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in design)
    rows = []
    for r in result.effect.itertuples():
        control, treated, diff, ratio = (e(c) for c in effect_cells(r))
        rows.append(f"<tr><td class='kpi'>{e(r.outcome)}<br><small>{e(OUTCOMES[s.unit][r.outcome])}</small></td>"
                    f"<td>{e(r.contrast)}</td><td>{control}</td><td>{treated}</td><td>{diff}</td><td>{ratio}</td>"
                    f"<td>{r.clusters}</td><td>{r.treated_units} / {r.control_units}</td></tr>")
    figure = cp.figure_to_img(plot_over_time(result), f"{OVER_TIME[s.unit]}, by week and arm")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(s.title)}</title>
<style>{CSS}</style></head><body>
<h1>{e(s.title)}</h1><p class="q"><i>{e(s.question)}</i></p>
<h2>Design</h2><dl class="meta">{meta}</dl>
<p class="howto">{e(HOW_TO[s.unit])}</p>
<h2>Effect</h2><table><tr><th class="kpi">outcome</th><th>contrast</th>
<th>control<br><small>or before</small></th><th>treated<br><small>or after</small></th>
<th>difference [95 % CI]</th><th>ratio [95 % CI]</th><th>clusters</th><th>units treated / control</th></tr>
{''.join(rows)}</table>
<h2>Over time</h2><figure>{figure}<figcaption>{e(OVER_TIME[s.unit].capitalize())}, mean over replications;
the grey band is the treatment.</figcaption></figure>
</body></html>
"""


def write_trial_report(result: TrialResult, out: Path) -> Path:
    """Write ``report.html`` into ``out`` and return its path."""
    path = out / "report.html"
    path.write_text(render_trial_report(result), encoding="utf-8")
    return path
