"""The one runner: run the jobs the store does not have yet, on an executor, storing each as it finishes."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from sim.experiment.jobs import Job
from sim.experiment.progress import Progress
from sim.experiment.store import Store
from sim.experiment.worker import run_batch

MAX_BATCH = 25  # runs per task at most, so progress and resume stay fine-grained
TASKS_PER_WORKER = 4  # enough tasks to balance load across workers


def batches_of[T](jobs: Sequence[T], workers: int) -> list[list[T]]:
    """Split jobs into batches: a few tasks per worker, never more than MAX_BATCH runs each."""
    if not jobs:
        return []
    size = max(1, min(MAX_BATCH, math.ceil(len(jobs) / (workers * TASKS_PER_WORKER))))
    return [list(jobs[i:i + size]) for i in range(0, len(jobs), size)]


def run_jobs(jobs: list[Job], store: Store, executor: Any, progress: bool = True,
             desc: str = "runs") -> list[dict[str, Any]]:
    """Run what is missing from ``store`` and return every job's record, in job order.

    Args:
        jobs: the runs of the experiment (ids must be unique).
        store: where finished runs are written, one atomic file each.
        executor: a :mod:`sim.experiment.executors` executor.
        progress: show a progress bar or log lines on stderr.
    """
    ids = [j.id for j in jobs]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate jobs in one experiment")
    records = store.load(jobs)
    todo = [j for j in jobs if j.id not in records]
    by_id = {j.id: j for j in todo}
    if todo:  # on the command line, an empty kernel cache is filled in parallel once, before any worker starts
        from sim.kernels.warm import before_first_run

        before_first_run(load=False)
    bar = Progress(len(jobs), len(jobs) - len(todo), desc, enabled=progress)
    results = executor.map(run_batch, batches_of(todo, executor.workers))
    try:
        for batch in results:
            for rec in batch:
                store.put(rec, by_id[rec["id"]])
                records[rec["id"]] = json.loads(json.dumps(rec))  # exactly what a resumed run reads back
            bar.update(len(batch))
    except BaseException:
        # Interrupted or failed: stop the runs in flight now rather than wait for them; finished ones are stored.
        abort = getattr(executor, "abort", None)
        if abort is not None:
            abort()
        raise
    finally:
        getattr(results, "close", lambda: None)()
        bar.close()
    return [records[i] for i in ids]
