"""Worker processes that compute a quarter for every table at once, off the server's request thread.

One process per core, started when the server starts (the model's compiled kernels are loaded
then, not at the first advance) and run at a lower priority (:data:`WORKER_NICE`), so pages and
a dashboard on the same laptop stay responsive while a quarter computes. Workers ignore Ctrl-C
and never outlive the server (:mod:`sim.experiment.lifeline`). A table's answer depends only on
its job, so the number of workers changes how long a quarter takes, never its numbers.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from sim.errors import UserError
from sim.experiment.lifeline import worker_init
from sim.params import Params
from sim.room.engine import TableAnswer, TableJob, run_table, start, warmed_up
from sim.room.settings import WORKER_NICE, workers


def _init(main_pid: int, nice: int) -> None:
    """A worker: lifeline, lower priority, and the kernels compiled or loaded from the cache once."""
    worker_init(main_pid)
    with contextlib.suppress(OSError, AttributeError):
        os.nice(nice)
    start(Params(n_accounts=60, n_reps=2, n_managers=1), seed=0, warmup_weeks=2)


class QuarterPool:
    """A process pool for quarters; ``run`` awaits every table's answer without blocking the event loop."""

    def __init__(self, n: int | None = None, nice: int = WORKER_NICE.default) -> None:
        self.workers = n or workers()
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.room.engine", "sim.experiment.lifeline"])
        self.pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=ctx, initializer=_init, initargs=(os.getpid(), nice)
        )

    def warm(self) -> list[Future[int]]:
        """Start every worker now (each loads the kernels in its initializer)."""
        return [self.pool.submit(os.getpid) for _ in range(self.workers)]

    async def run(self, jobs: Sequence[TableJob]) -> list[TableAnswer]:
        """Every job's answer, in the order of ``jobs``."""
        futures = [asyncio.wrap_future(self.pool.submit(run_table, job)) for job in jobs]
        try:
            return list(await asyncio.gather(*futures))
        except BrokenProcessPool:
            raise UserError(
                "A worker computing the quarter died (killed, or out of memory). Nothing was "
                "saved for this quarter; restart 'salesim room' and advance again."
            ) from None

    async def warm_up(self, params: Params, seed: int, weeks: int) -> bytes:
        """The room's unit after its warm-up, computed in a worker (see :func:`sim.room.engine.warmed_up`)."""
        try:
            return await asyncio.wrap_future(self.pool.submit(warmed_up, params, seed, weeks))
        except BrokenProcessPool:
            raise UserError(
                "A worker preparing the room died (killed, or out of memory); restart 'salesim room'."
            ) from None

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
