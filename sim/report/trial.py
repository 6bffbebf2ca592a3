"""The self-contained HTML report of a trial (``salesim trial``): the design, the effect, churn over time.

One file, no external resources (inline CSS, the chart a base64 PNG), like the comparison report; every
text from the trial file is escaped.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from sim.report import compare_plots as cp
from sim.report.html import CSS
from sim.trials.spec import KINDS, OUTCOMES

if TYPE_CHECKING:
    from sim.trials.run import TrialResult

ARM_COLORS = {"treated": "#D55E00", "control": "#0072B2"}


def plot_churn_over_time(result: TrialResult) -> Figure:
    """Share of each arm's units lost so far, week by week from the start (mean over replications)."""
    fig = Figure(figsize=(9, 4.2), layout="constrained")
    ax = fig.add_subplot()
    df = result.over_time
    for arm, colour in ARM_COLORS.items():
        if arm in df:
            ax.plot(df["week"], 100 * df[arm], color=colour, lw=2.5, label=arm)
    end = result.spec.start_week + result.spec.duration_weeks
    ax.axvspan(result.spec.start_week, end, color="#dddddd", alpha=0.6, label="treatment")
    ax.set_xlabel("week of the run")
    ax.set_ylabel("units lost so far (%)")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return fig


def render_trial_report(result: TrialResult) -> str:
    """The report as one HTML string."""
    s, e = result.spec, html.escape
    design = [("scenario", s.scenario.name), ("unit", s.unit), ("stratified by", s.stratify),
              ("share treated", f"{s.share_treated:.0%}"), ("treatment", f"{s.kind}: {KINDS[s.kind]}"),
              ("starts at week", str(s.start_week)), ("lasts", f"{s.duration_weeks} weeks"),
              ("outcomes followed for", f"{s.observe_weeks} weeks"), ("replications", str(result.replications)),
              ("root seed", str(result.seed))]
    meta = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in design)
    rows = []
    for r in result.effect.itertuples():
        rows.append(f"<tr><td class='kpi'>{e(r.outcome)}<br><small>{e(OUTCOMES[r.outcome])}</small></td>"
                    f"<td>{r.control_mean:.4g}</td><td>{r.treated_mean:.4g}</td>"
                    f"<td>{r.difference:+.4g} <span class='ci'>[{r.diff_ci_low:+.4g}, {r.diff_ci_high:+.4g}]</span>"
                    f"</td><td>{r.ratio:.3f} <span class='ci'>[{r.ratio_ci_low:.3f}, {r.ratio_ci_high:.3f}]</span>"
                    f"</td><td>{r.clusters}</td><td>{r.treated_units} / {r.control_units}</td></tr>")
    figure = cp.figure_to_img(plot_churn_over_time(result), "share of treated and control units lost, by week")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(s.title)}</title>
<style>{CSS}</style></head><body>
<h1>{e(s.title)}</h1><p class="q"><i>{e(s.question)}</i></p>
<h2>Design</h2><dl class="meta">{meta}</dl>
<p class="howto">Treated and control units share one simulated firm in every run; each replication redraws the
firm and the randomisation. A difference is treated minus control, averaged over clusters (one rep's book in
one replication) with a 95 % t interval over clusters, because a rep's accounts are not independent of each
other; the ratio of pooled means has a 95 % cluster bootstrap interval.</p>
<h2>Effect</h2><table><tr><th class="kpi">outcome</th><th>control</th><th>treated</th>
<th>difference [95 % CI]</th><th>ratio [95 % CI]</th><th>clusters</th><th>units treated / control</th></tr>
{''.join(rows)}</table>
<h2>Churn over time</h2><figure>{figure}<figcaption>Share of each arm's units that have left, from the start
week; the grey band is the treatment.</figcaption></figure>
</body></html>
"""


def write_trial_report(result: TrialResult, out: Path) -> Path:
    """Write ``report.html`` into ``out`` and return its path."""
    path = out / "report.html"
    path.write_text(render_trial_report(result), encoding="utf-8")
    return path
