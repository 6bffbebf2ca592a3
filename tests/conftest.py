"""Shared test helpers."""

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


@pytest.fixture
def counting_executor() -> CountingExecutor:
    return CountingExecutor()
