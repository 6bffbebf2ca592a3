"""Where runs execute: in this process, in a local process pool, or on a Dask cluster.

Every executor has the same two methods, so the runner adds each kind once:
``map(fn, batches)`` yields results as batches finish (any order) and
``close()`` releases workers. Results do not depend on the executor because a
job carries its own seed.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from sim.errors import UserError


class SerialExecutor:
    """Runs batches one after another in this process (debugging, tiny experiments)."""

    workers = 1
    name = "serial"

    def map(self, fn: Callable[[Any], Any], batches: Iterable[Any]) -> Iterator[Any]:
        for b in batches:
            yield fn(b)

    def close(self) -> None:
        pass


class ProcessExecutor:
    """A pool of local worker processes (the default: one per core)."""

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.experiment.worker"])
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)

    def map(self, fn: Callable[[Any], Any], batches: Iterable[Any]) -> Iterator[Any]:
        futures = [self.pool.submit(fn, b) for b in batches]
        try:
            for f in as_completed(futures):
                yield f.result()
        finally:
            for f in futures:
                f.cancel()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """A Dask distributed cluster: an existing scheduler, or a LocalCluster started here.

    Workers must be able to ``import sim`` (install the package on them); jobs
    carry full parameter sets, so no scenario files are needed there.
    """

    name = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise UserError("Dask is not installed: pip install 'salesim[dask]' "
                            "(or drop --scheduler/--dask-local).") from None
        self.cluster = None
        if address:
            try:
                self.client = Client(address, timeout="10s")
            except OSError as e:
                raise UserError(f"cannot reach the Dask scheduler at {address!r} ({e}). Check the address "
                                "(tcp://HOST:PORT) and that the scheduler is running.") from None
        else:
            n = workers or os.cpu_count() or 1
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                        dashboard_address=None, host="127.0.0.1")
            self.client = Client(self.cluster)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def map(self, fn: Callable[[Any], Any], batches: Iterable[Any]) -> Iterator[Any]:
        from dask.distributed import as_completed as dask_completed

        futures = [self.client.submit(fn, b, pure=False) for b in batches]
        try:
            for f in dask_completed(futures):
                yield f.result()
        finally:
            self.client.cancel(futures)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(workers: int | None = None, scheduler: str | None = None, dask_local: bool = False):
    """The executor the command-line options ask for."""
    if scheduler and dask_local:
        raise UserError("choose either --scheduler ADDRESS or --dask-local, not both.")
    if scheduler or dask_local:
        return DaskExecutor(scheduler, workers)
    if workers is not None and workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}.")
    if workers == 1:
        return SerialExecutor()
    return ProcessExecutor(workers)
