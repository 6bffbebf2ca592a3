"""Golden baseline: a few fixed runs reproduce the KPIs stored in tests/golden/kpis.json to a relative 1e-12.

Any change to the model's numbers, intended or not, shows here with the KPI and run that moved. If the
change is intended, regenerate the file (``python -m tests.golden.update``) and commit it with the change.
"""

from __future__ import annotations

import json

from golden import update


def _stored() -> dict:
    assert update.GOLDEN.is_file(), f"{update.GOLDEN} is missing; create it with `{update.COMMAND}`"
    return json.loads(update.GOLDEN.read_text(encoding="utf-8"))


def test_the_golden_file_describes_the_runs_the_test_makes():
    """The stored runs were made with today's configuration (size, weeks, seeds and KPIs)."""
    stored = _stored()
    assert stored["config"] == update.CONFIG, (
        f"tests/golden/update.py defines other runs than {update.GOLDEN.name} holds; regenerate it with "
        f"`{update.COMMAND}`")
    assert update.COMMAND in stored["header"]


def test_fixed_runs_reproduce_the_golden_kpis():
    """Baseline and banner_mandate, seeds 1 and 2, at 300 accounts for 40 weeks: every stored KPI unchanged."""
    moved = update.differences(_stored()["runs"], update.compute())
    assert not moved, (
        f"{len(moved)} golden KPI value(s) moved (relative tolerance {update.REL_TOL:g}):\n  " + "\n  ".join(moved)
        + f"\nIf this change to the model's numbers is intended, regenerate the file with `{update.COMMAND}` "
        f"and commit tests/golden/{update.GOLDEN.name} with it; if not, the change has a side effect to find.")


def test_a_moved_kpi_is_named_with_its_run():
    """The comparison the golden test relies on reports which KPI of which run moved (and ignores float noise)."""
    stored = {"baseline seed 1": {"revenue": 100.0, "nps": None, "profit": 5.0}}
    now = {"baseline seed 1": {"revenue": 100.0 * (1 + 1e-14), "nps": None, "profit": 5.5}}
    assert update.differences(stored, now) == ["baseline seed 1: profit moved from 5.0 to 5.5 (relative change +0.1)"]
    assert update.differences(stored, {}) == ["baseline seed 1: run no longer configured"]
    assert update.differences(stored, {"baseline seed 1": {"revenue": 100.0, "nps": 3.0, "profit": 5.0}}) == [
        "baseline seed 1: nps moved from None to 3.0"]
