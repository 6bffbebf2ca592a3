"""Shared test helpers.

The full suite is ``pytest -n 2`` (it also runs the docstring examples under sim/). The quick subset,
every module's fast tests in under a minute on two cores, is ``pytest -m "not slow" -n 2``; a test that
takes more than about a second (replicated model runs, subprocesses, servers, the browser, notebooks)
is marked ``@pytest.mark.slow``. Helpers for claims on paired replications (directional, no-loss and
equivalence, each on a 95 % interval) are in claims.py; the golden KPIs and their update script in golden/.
"""

from __future__ import annotations

import pytest

from sim.experiment.executors import SerialExecutor


class CountingExecutor(SerialExecutor):
    """A serial executor that counts the runs it was asked to do (to prove resume skips finished ones)."""

    def __init__(self) -> None:
        self.ran = 0

    def map(self, fn, batches):
        for b in batches:
            self.ran += len(b)
            yield fn(b)


def pytest_configure(config: pytest.Config) -> None:
    """Compile the model's kernels once, in the controlling process, before any worker or subprocess starts:
    on a fresh clone the kernel cache is empty, and every process that ran a model before it was filled
    would compile them all again."""
    if hasattr(config, "workerinput"):  # an xdist worker: the controller has done it
        return
    from sim import SalesModel

    SalesModel(rng=0, n_accounts=60, n_reps=2, n_managers=1, burn_in_weeks=1).run(2)


@pytest.fixture
def counting_executor() -> CountingExecutor:
    return CountingExecutor()
