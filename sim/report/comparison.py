"""Render a finished comparison (the tables ``sim.experiment.compare.compare`` returned) as report.html."""

from __future__ import annotations

from pathlib import Path

from sim.experiment.compare import Comparison


def write_comparison_report(result: Comparison) -> Path:
    """Write ``report.html`` (with its figures) into the comparison's folder; return its path."""
    from sim.report.html import write_report

    return write_report(result.out, result.scenarios, result.comparison, result.runs, result.series, result.meta,
                        result.answer)
