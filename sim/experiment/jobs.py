"""A job is one model run: a full parameter set, a replication number and its seed.

Seeds derive from one root seed with :class:`numpy.random.SeedSequence`; a
job's seed depends only on (root seed, replication), so replication k of every
scenario or design point shares a seed (common random numbers) and results do
not depend on which worker ran what, or in which order.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def job_seed(root_seed: int, replication: int, point: int | None = None) -> int:
    """The model seed of replication ``replication`` under ``root_seed``.

    Scenarios and design points share it (common random numbers); ``point`` gives a run its own stream
    where runs must not share one, as a calibration's particles must not (their noise would not average out).
    """
    key = (int(replication),) if point is None else (int(replication), int(point))
    ss = np.random.SeedSequence(entropy=int(root_seed), spawn_key=key)
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def params_hash(params: dict[str, Any]) -> str:
    """Short stable hash of a parameter set (canonical JSON)."""
    text = json.dumps(params, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Job:
    """One run to do.

    Args:
        label: what the run belongs to (a scenario name, or a design point id).
        params: every model parameter, fully resolved (workers need no scenario files).
        replication: replication number; with the root seed it fixes the seed.
        seed: the model seed (see :func:`job_seed`).
        weeks: weeks to simulate.
        point: design point number (0 for comparisons).
        keep_series: whether the worker returns the weekly series.
        tags: extra columns for the results table (e.g. the varied levers' values).
        trial: a trial design (:mod:`sim.trials`): the run randomises units and measures both arms.
    """

    label: str
    params: dict[str, Any]
    replication: int
    seed: int
    weeks: int
    point: int = 0
    keep_series: bool = True
    tags: dict[str, Any] = field(default_factory=dict)
    trial: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        """Identity of the job in the store: label, point, replication and a hash of what it runs."""
        what = {"p": self.params, "w": self.weeks, "s": self.seed, "k": self.keep_series}
        if self.trial is not None:
            what["t"] = self.trial
        if self.params.get("book"):  # a run on a book depends on the book's files, not only on its path
            from sim.book import book_digest

            what["b"] = book_digest(self.params["book"])
        h = params_hash(what)
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.label)[:40]
        return f"{safe}-p{self.point:05d}-r{self.replication:04d}-{h}"
