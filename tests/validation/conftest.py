"""Runs shared by the validation tests: one cache per test process, at the quick size."""

from __future__ import annotations

import pytest

from sim.validation import QUICK, Runs


@pytest.fixture(scope="session")
def quick_runs() -> Runs:
    """Replicated runs at sim.validation.QUICK (800 accounts, 8 reps, 2 managers, 39 + 78 weeks, 10
    paired replications), each arm computed once per test process and shared by every test."""
    return Runs(QUICK)
