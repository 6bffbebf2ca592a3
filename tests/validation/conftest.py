"""Runs shared by the validation tests: one cache per test process, at the quick size."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sim.validation import QUICK, Runs

# Paired replications for patterns with a no-loss claim: at the spread seen across root seeds (sd of the
# paired revenue difference up to 0.4 % of revenue), 20 give a 95 % half-width under 0.2 %, well inside the
# 0.5 % margin, where 10 would leave a true loss of 0.2 % at the mercy of the seed.
NO_LOSS = replace(QUICK, replications=20)
# Paired replications for patterns whose effect is small against the seed spread at the quick size
# (POWERED_PATTERNS in test_patterns.py says which and why).
POWERED = replace(QUICK, replications=40)


@pytest.fixture(scope="session")
def quick_runs() -> Runs:
    """Replicated runs at sim.validation.QUICK (800 accounts, 8 reps, 2 managers, 39 + 78 weeks, 10
    paired replications), each arm computed once per test process and shared by every test."""
    return Runs(QUICK)


@pytest.fixture(scope="session")
def no_loss_runs() -> Runs:
    """The same size at NO_LOSS.replications paired replications, for the patterns with a no-loss claim
    (their ``settings`` say so)."""
    return Runs(NO_LOSS)


@pytest.fixture(scope="session")
def powered_runs() -> Runs:
    """The same size at POWERED.replications paired replications, for the patterns with a small effect."""
    return Runs(POWERED)
