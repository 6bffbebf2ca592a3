"""Golden runs: fixed runs reproduce every KPI and the weekly table stored in tests/golden/kpis.json, bit for bit.

Any change to the model's numbers, intended or not, shows here with the KPI and run that moved. A port that
should change nothing (a compiled kernel, a fused pass) passes only if it reproduces every run exactly. If
a change is intended, regenerate the file (``python -m tests.golden.update``) and commit it with the change.
"""

from __future__ import annotations

import json
import platform

import pytest
from golden import update


def _stored() -> dict:
    assert update.GOLDEN.is_file(), f"{update.GOLDEN} is missing; create it with `{update.COMMAND}`"
    return json.loads(update.GOLDEN.read_text(encoding="utf-8"))


def test_the_golden_file_describes_the_runs_the_test_makes():
    """The stored runs were made with today's configuration (scenarios, sizes, seeds and weeks)."""
    stored = _stored()
    assert stored["config"] == update.CONFIG, (
        f"tests/golden/update.py defines other runs than {update.GOLDEN.name} holds; regenerate it with "
        f"`{update.COMMAND}`")
    assert update.COMMAND in stored["header"]


def test_fixed_runs_reproduce_the_golden_runs():
    """Every shipped scenario at two seeds on a small unit, and the flagship pair: every KPI and every weekly
    number unchanged."""
    made_on = _stored()["written_with"]
    if made_on.get("machine") != platform.machine():
        pytest.skip(f"the golden runs were recorded on {made_on.get('machine')}; this is {platform.machine()}, "
                    "whose C library may round exp, log and pow differently, so bit identity is not defined")
    moved = update.differences(_stored()["runs"], update.compute())
    assert not moved, (
        f"{len(moved)} golden value(s) moved:\n  " + "\n  ".join(moved)
        + f"\nIf this change to the model's numbers is intended, regenerate the file with `{update.COMMAND}` "
        f"and commit tests/golden/{update.GOLDEN.name} with it; if not, the change has a side effect to find.")


def test_a_moved_value_is_named_with_its_run():
    """The comparison reports which KPI of which run moved, down to the last bit, and a changed weekly table."""
    import math

    stored = {"baseline seed 1": {"revenue": 100.0, "nps": None, "profit": 5.0, update.WEEKLY_HASH: "ab"}}
    now = {"baseline seed 1": {"revenue": math.nextafter(100.0, 101.0), "nps": None, "profit": 5.0,
                               update.WEEKLY_HASH: "cd"}}
    assert update.differences(stored, now) == [
        "baseline seed 1: revenue moved from 100.0 to 100.00000000000001 (relative change +1.42e-16)",
        "baseline seed 1: the weekly table changed"]
    assert update.differences(stored, stored) == []
    assert update.differences(stored, {}) == ["baseline seed 1: run no longer configured"]
    assert update.differences(stored, {"baseline seed 1": {**stored["baseline seed 1"], "nps": 3.0}}) == [
        "baseline seed 1: nps moved from None to 3.0"]


def test_the_weekly_hash_sees_one_bit():
    """The weekly hash changes when one number changes in its last bit."""
    import numpy as np
    import pandas as pd

    df = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    moved = df.copy()
    moved.loc[1, "b"] = np.nextafter(4.0, 5.0)
    assert update.weekly_hash(df) == update.weekly_hash(df.copy())
    assert update.weekly_hash(df) != update.weekly_hash(moved)
