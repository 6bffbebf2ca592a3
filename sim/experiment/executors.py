"""Where runs execute: in this process, in a local process pool, or on a Dask cluster.

Every executor has the same two methods, so the runner adds each kind once:
``map(fn, batches)`` yields results as batches finish (any order) and
``close()`` releases workers. Pools started here also have ``abort()`` (cancel
the runs in flight and stop the workers now) and ``kill()`` (SIGKILL them, for
a hard stop); lost workers raise :class:`~sim.experiment.interrupts.WorkersLost`.
Results do not depend on the executor because a job carries its own seed.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sim.errors import UserError
from sim.experiment.interrupts import WorkersLost, watch
from sim.experiment.lifeline import alive, dask_worker_init, worker_init


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
    """A pool of local worker processes (the default: one per core).

    Workers ignore Ctrl-C and exit if this process dies (:mod:`sim.experiment.lifeline`);
    :meth:`abort` cancels what is in flight and terminates them, and the next :meth:`map` starts a new pool.
    """

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.pool: ProcessPoolExecutor | None = None
        self._start()
        watch(self)

    def _start(self) -> ProcessPoolExecutor:
        if self.pool is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["sim.experiment.worker", "sim.experiment.lifeline"])
            self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=worker_init,
                                            initargs=(os.getpid(),))
        return self.pool

    def map(self, fn: Callable[[Any], Any], batches: Iterable[Any]) -> Iterator[Any]:
        pool = self._start()
        futures = [pool.submit(fn, b) for b in batches]
        try:
            for f in as_completed(futures):
                yield f.result()
        except BrokenProcessPool:
            raise WorkersLost("a worker process died mid-run (killed by a signal, or out of memory).") from None
        finally:
            for f in futures:
                f.cancel()

    def _pids(self) -> list[int]:
        procs = getattr(self.pool, "_processes", None) or {}  # the pool's own table of its worker processes
        return [p.pid for p in list(procs.values()) if p.pid]

    def kill(self) -> None:
        """SIGKILL every worker now (for a hard stop; safe in a signal handler)."""
        for pid in self._pids():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def abort(self) -> None:
        """Cancel queued runs, terminate the workers (killing any still alive after a moment), drop the pool."""
        if self.pool is None:
            return
        pids = self._pids()
        pool, self.pool = self.pool, None
        pool.shutdown(wait=False, cancel_futures=True)
        _stop_processes(pids)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _stop_processes(pids: list[int], grace: float = 1.0) -> None:
    """SIGTERM the processes, then SIGKILL those still alive after ``grace`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while any(alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.02)
        pids = [p for p in pids if alive(p)]
        if not pids:
            return


class DaskExecutor:
    """A Dask distributed cluster: an existing scheduler, or a LocalCluster started here.

    Workers must be able to ``import sim`` (install the package on them); jobs
    carry full parameter sets, so no scenario files are needed there. Workers of
    a LocalCluster started here ignore Ctrl-C and exit if this process dies.
    """

    name = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise UserError("Dask is not installed: pip install 'salesim[dask]' "
                            "(or drop --scheduler/--dask-local).") from None
        self.cluster = None
        self.address = address
        self._futures: list[Any] = []
        if address:
            self.client = _connect(Client, address)
        else:
            n = workers or os.cpu_count() or 1
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                        dashboard_address=None, host="127.0.0.1")
            self.client = Client(self.cluster)
            self.client.run(dask_worker_init, os.getpid())
            watch(self)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def map(self, fn: Callable[[Any], Any], batches: Iterable[Any]) -> Iterator[Any]:
        from dask.distributed import as_completed as dask_completed

        futures = self._futures = [self.client.submit(fn, b, pure=False) for b in batches]
        done = dask_completed(futures)
        with _quiet_dask_client():
            yield from self._results(done)
        self._futures = []

    def _results(self, done: Any) -> Iterator[Any]:
        while True:
            try:
                f = next(done)
            except StopIteration:
                break
            except Exception as e:
                raise self._lost(e) from None
            try:
                result = f.result()
            except Exception as e:
                if f.status == "error":  # the run itself raised: a bug in the model, not the cluster
                    raise
                raise self._lost(e) from None
            yield result

    def _lost(self, e: Exception) -> WorkersLost:
        where = f"at {self.address}" if self.address else "of the local cluster"
        reason = getattr(e, "reason", None)  # a FutureCancelledError says why, e.g. scheduler-connection-lost
        why = reason or " ".join(str(e).split()) or type(e).__name__
        return WorkersLost(f"lost the Dask scheduler {where} mid-run ({why}).")

    def _pids(self) -> list[int]:
        if self.cluster is None:
            return []  # an existing cluster's workers are not ours to stop
        return [w.pid for w in list(self.cluster.workers.values()) if getattr(w, "pid", None)]

    def kill(self) -> None:
        """SIGKILL the local cluster's worker processes now (for a hard stop)."""
        for pid in self._pids():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def abort(self) -> None:
        """Cancel the runs in flight (on a local cluster, also stop its workers at once)."""
        if self.cluster is not None:
            self.kill()
        futures, self._futures = self._futures, []
        if futures and self.client.status == "running":
            with contextlib.suppress(Exception):
                self.client.cancel(futures, asynchronous=False)

    def close(self) -> None:
        with _quiet_dask_client(), contextlib.suppress(Exception):
            self.client.close(timeout=5)
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close(timeout=5)


@contextlib.contextmanager
def _quiet_dask_client() -> Iterator[None]:
    """Silence the client's own tracebacks about a lost scheduler: :class:`WorkersLost` reports it in one paragraph."""
    loggers = [logging.getLogger(n) for n in ("distributed.client", "distributed.core", "distributed.comm",
                                               "distributed.batched", "distributed.utils")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _connect(client_cls: Any, address: str) -> Any:
    """A client of the scheduler at ``address``, or a clear error saying why not."""
    try:
        return client_cls(address, timeout="10s")
    except (OSError, TimeoutError) as e:
        raise UserError(f"cannot reach the Dask scheduler at {address!r} ({e}). Check the address "
                        "(tcp://HOST:PORT) and that the scheduler is running.") from None
    except (TypeError, ValueError) as e:
        if address.startswith("tls://"):
            raise UserError(
                f"--scheduler {address}: a tls:// address needs certificates, and none are configured. Set "
                "distributed.comm.tls.ca-file, distributed.comm.tls.client.cert and distributed.comm.tls.client.key "
                "in Dask's configuration (e.g. ~/.config/dask/distributed.yaml, or the environment variables "
                "DASK_DISTRIBUTED__COMM__TLS__CA_FILE and so on), or use a tcp:// address.") from None
        raise UserError(f"--scheduler {address!r} is not a usable Dask address ({' '.join(str(e).split())}); "
                        "write tcp://HOST:PORT.") from None


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
