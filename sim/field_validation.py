"""Out-of-sample checks for docs/validation.md: the pay plans against a linear commission, and the published
field results (FACTS 1-3) set beside the same designs run as trials inside the model.

The published figures are never calibration targets: they are read here only to say whether the model's
estimate lands in range, and by how much it misses when it does not.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim import formatting
from sim.kpis import KPIS
from sim.stats import mean_ci

TRIALS_DIR = Path(__file__).resolve().parent.parent / "experiments" / "trials"
PLAN_REFERENCE = "linear_commission"
PLAN_SCENARIOS = ("accelerator_plan", "capped_plan", "ratcheted_quota", "no_quota", "misra_nair_plan")
PLAN_STATS = ("profit", "revenue", "pay_cost", "quarter_end_share", "timing_discount_share",
              "effort_far_behind_ratio")


@dataclass(frozen=True)
class FieldResult:
    """A published field result and the trial that replicates its design.

    ``measure`` is what is compared: ``difference`` (treated minus control) or ``change`` (ratio minus one,
    a relative change); ``published`` is the published value or range on that measure, ``reading`` how the
    published figure was turned into it.
    """

    name: str
    source: str
    trial: str  # file under experiments/trials
    outcome: str
    contrast: str
    measure: str
    published: tuple[float, float]
    published_text: str
    reading: str
    fmt: str  # display format of the measure (a key of sim.formatting.FORMATS)


FIELD_RESULTS = (
    FieldResult("Proactive outreach raises churn", "FACTS 3: Ascarza, Iyengar & Schleicher 2016",
                "ascarza_outreach.toml", "churn", "treated - control", "difference", (0.036, 0.036),
                "three-month churn 6.4 % (control) vs 10.0 % (contacted)",
                "the difference, +3.6 percentage points", "percent"),
    FieldResult("Dropping quotas, caps and ratchets raises revenue", "FACTS 2: Misra & Nair 2011",
                "misra_nair_switch.toml", "revenue", "after - before (what the firm sees)", "change",
                (0.09, 0.09), "about 9 % more revenue after the switch",
                "the year after the switch against the year before, as the firm measured it", "change"),
    FieldResult("Dropping quotas, caps and ratchets raises revenue (the switch's own effect)",
                "FACTS 2: Misra & Nair 2011", "misra_nair_switch.toml", "revenue", "changed - unchanged", "change",
                (0.09, 0.09), "about 9 % more revenue after the switch",
                "the same firm with and without the switch, on the same random numbers", "change"),
    FieldResult("Timing deals to an accelerating plan costs revenue", "FACTS 1: Larkin 2014",
                "larkin_accelerator.toml", "timing_discount_share", "changed - unchanged", "difference",
                (0.06, 0.08), "about 6-8 % of revenue lost to timing deals",
                "discounts given to move deals across period ends, over gross revenue", "percent"),
)


@dataclass
class FieldOutcome:
    """A field result beside the model's estimate on the same measure."""

    result: FieldResult
    estimate: float
    low: float
    high: float
    control: float
    treated: float
    replications: int

    @property
    def in_range(self) -> bool:
        """The model's 95 % interval overlaps the published value or range."""
        lo, hi = self.result.published
        return self.low <= hi and self.high >= lo

    @property
    def miss(self) -> float:
        """How far the model's estimate is from the nearest published value (0 when in range)."""
        lo, hi = self.result.published
        return 0.0 if self.in_range else (self.estimate - hi if self.estimate > hi else self.estimate - lo)

    def verdict(self) -> str:
        if self.in_range:
            return "in range"
        side = "above" if self.miss > 0 else "below"
        points = "percent" if self.result.fmt == "change" else self.result.fmt  # a gap between two percentages
        gap = formatting.value(self.miss, points, signed=True)
        return f"miss by {gap}: the estimate is {side} the published figure"


def evaluate_field(settings: Any, executor: Any = None, progress: bool = False) -> list[FieldOutcome]:
    """Run each field result's trial at the settings' size and replications and read off its measure."""
    from sim.scenario import load_scenario
    from sim.trials import load_trial, run_trial

    results: dict[str, Any] = {}
    out = []
    for fr in FIELD_RESULTS:
        if fr.trial not in results:
            spec = load_trial(TRIALS_DIR / fr.trial)
            spec = dataclasses.replace(spec, scenario=load_scenario(spec.scenario.path or spec.scenario.name,
                                                                    settings.size))
            with tempfile.TemporaryDirectory(prefix="salesim-field-") as folder:
                results[fr.trial] = run_trial(spec, settings.replications, settings.root_seed, executor,
                                              Path(folder), progress=progress)
        effect = results[fr.trial].effect
        row = effect[(effect.outcome == fr.outcome) & (effect.contrast == fr.contrast)].iloc[0]
        if fr.measure == "difference":
            est, lo, hi = row.difference, row.diff_ci_low, row.diff_ci_high
        else:
            est, lo, hi = row.ratio - 1.0, row.ratio_ci_low - 1.0, row.ratio_ci_high - 1.0
        out.append(FieldOutcome(fr, float(est), float(lo), float(hi), float(row.control_mean),
                                float(row.treated_mean), settings.replications))
    return out


@dataclass
class PlanRow:
    """One plan scenario against the linear commission: paired differences, per statistic."""

    scenario: str
    diffs: dict[str, tuple[float, float, float]]


def evaluate_plans(runs: Any) -> list[PlanRow]:
    """Each plan scenario minus the linear commission, replication by replication (common random numbers)."""
    from sim.validation import Arm

    ref, *arms = runs.get([Arm(PLAN_REFERENCE), *(Arm(s) for s in PLAN_SCENARIOS)])
    rows = []
    for name, data in zip(PLAN_SCENARIOS, arms, strict=True):
        diffs = {}
        for stat in PLAN_STATS:
            d = np.asarray(data[stat], float) - np.asarray(ref[stat], float)
            d = d[np.isfinite(d)]
            diffs[stat] = mean_ci(d) if d.size >= 2 else (math.nan, math.nan, math.nan)
        rows.append(PlanRow(name, diffs))
    return rows


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def plans_table(rows: list[PlanRow]) -> str:
    head = " | ".join(f"{KPIS[s].label} ({KPIS[s].unit})" for s in PLAN_STATS)
    lines = [f"| plan minus `{PLAN_REFERENCE}` | {head} |", "|---" * (len(PLAN_STATS) + 1) + "|"]
    for r in rows:
        cells = [formatting.estimate(*r.diffs[s], KPIS[s].fmt, signed=True) for s in PLAN_STATS]
        lines.append(f"| `{r.scenario}` | {' | '.join(cells)} |")
    return "\n".join(lines)


def field_table(outcomes: list[FieldOutcome]) -> str:
    lines = ["| published result | source | trial | published | read as | model [95 % CI] | verdict |",
             "|---|---|---|---|---|---|---|"]
    for o in outcomes:
        r, f = o.result, o.result.fmt
        lo, hi = r.published
        pub = formatting.value(lo, f, signed=True) if lo == hi else \
            f"{formatting.value(lo, f, signed=True)} to {formatting.value(hi, f, signed=True)}"
        model = formatting.estimate(o.estimate, o.low, o.high, f, signed=True)
        lines.append(f"| {_cell(r.name)} | {_cell(r.source)} | `experiments/trials/{r.trial}` ({_cell(r.contrast)}) "
                     f"| {_cell(r.published_text)}: {pub} | {_cell(r.reading)} | {model} | {o.verdict()} |")
    return "\n".join(lines)


def summary(outcomes: list[FieldOutcome]) -> str:
    """One sentence: how many field results the model lands in range."""
    hits = sum(o.in_range for o in outcomes)
    return f"{hits} of {len(outcomes)} published field results within the model's 95 % interval"


def markdown(plans: list[PlanRow], outcomes: list[FieldOutcome]) -> str:
    """The two sections of docs/validation.md these checks fill."""
    n = outcomes[0].replications if outcomes else 0
    return f"""## Pay plans against a linear commission

Each shipped plan scenario minus `{PLAN_REFERENCE}` (5 % on every sale), paired replication by
replication; 95 % t intervals. The plans are described in `docs/pay_plans.md`.

{plans_table(plans)}

## Field experiments, replicated out of sample

Each published result's design is a trial file under `experiments/trials/`, run by `salesim trial`
with {n} replications (`docs/trials.md`). These figures are not calibration targets: nothing in the
model was tuned to them, and a miss is reported with its size. A result is "in range" when the
model's 95 % interval overlaps the published value.

{field_table(outcomes)}
"""
