"""A pyABC sampler that evaluates particles on the project's executors, with the same result on any of them.

pyABC's own samplers reseed each worker process at random and keep whichever
particles finish first, so a calibration depends on the worker count and on
timing. This one numbers the evaluations of a generation 0, 1, 2, ...; seeds
evaluation *i* of generation *t* from ``SeedSequence(root_seed, (ABC_STREAM,
t + 1, i))`` (pyABC draws proposals from NumPy's global generator); runs them
in batches through an executor of :mod:`sim.experiment.executors` (serial, a
process pool or Dask, the same ones compare and sweep use); and accepts the
first ``n`` accepted particles in evaluation order. Evaluations past the
``n``-th acceptance are discarded, so the sample never depends on the batch
size, the worker count or which worker was faster.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import cloudpickle
import numpy as np
import pyabc

ABC_STREAM = 0xABC  # first spawn-key word of the proposal streams, apart from the model runs' (replication, ...)
MIN_ROUND = 8  # evaluations per round at least, so a round keeps every worker busy


def evaluation_seed(root_seed: int, t: int, i: int) -> np.ndarray:
    """The global-generator seed of evaluation ``i`` of generation ``t`` (t = -1: pyABC's calibration sample)."""
    ss = np.random.SeedSequence(entropy=int(root_seed), spawn_key=(ABC_STREAM, int(t) + 1, int(i)))
    return ss.generate_state(4)


def evaluate(task: tuple[bytes, int, int, list[int]]) -> list[tuple[int, Any]]:
    """Run pyABC's ``simulate_one`` (proposal, model runs, acceptance) for each evaluation index of a task.

    The global generators are seeded per evaluation and restored afterwards, so running in the caller's
    process (the serial executor) leaves its random state as it was.
    """
    payload, root_seed, t, indices = task
    simulate_one = cloudpickle.loads(payload)
    saved_np, saved_py = np.random.get_state(), random.getstate()
    out = []
    try:
        with np.errstate(divide="ignore", invalid="ignore"):  # a zero kernel density is reported by check_weights
            for i in indices:
                seed = evaluation_seed(root_seed, t, i)
                np.random.seed(seed)
                random.seed(int(seed[0]))
                out.append((i, simulate_one()))
    finally:
        np.random.set_state(saved_np)
        random.setstate(saved_py)
    return out


def check_weights(accepted: list[Any], t: int) -> None:
    """Stop with an explanation when an accepted particle's importance weight is not a finite positive number.

    The weight is prior density over kernel density; the kernel gives its own proposal zero density only
    when the population's covariance is singular or too ill-conditioned for SciPy, and pyABC would then
    fail later with an unexplained "total weight nan" assertion.
    """
    bad = sum(1 for p in accepted if not (np.isfinite(p.weight) and p.weight > 0))
    if bad:
        from sim.errors import UserError

        raise UserError(
            f"generation {t}: {bad} of {len(accepted)} accepted particles got an importance weight that is not a "
            f"finite positive number: the perturbation kernel estimated from generation {t - 1} is singular or too "
            f"ill-conditioned (a population too small for the number of parameters, or weights "
            f"concentrated on a few particles). The {t} finished generations are kept in abc.db; a "
            f"larger --population in a new --out avoids it.")


class RunnerSampler(pyabc.sampler.Sampler):
    """pyABC sampler on a project executor; the sample depends only on the root seed and the history.

    Args:
        executor: an executor of :mod:`sim.experiment.executors` (its ``workers`` sizes the rounds).
        root_seed: the calibration's root seed (``run_abc`` sets it).
    """

    def __init__(self, executor: Any, root_seed: int = 0) -> None:
        super().__init__()
        self.executor = executor
        self.root_seed = int(root_seed)

    def _round(self, n_missing: int, evaluated: int, accepted: int) -> int:
        """How many evaluations to start next: enough for the missing acceptances at the rate seen so far."""
        rate = (accepted + 1) / (evaluated + 1)
        return max(MIN_ROUND, self.executor.workers * 2, math.ceil(1.2 * n_missing / rate))

    def sample_until_n_accepted(self, n: int, simulate_one: Callable[[], Any], t: int, *, max_eval: float = np.inf,
                                all_accepted: bool = False, ana_vars: Any = None) -> Any:
        """Evaluate in numbered rounds until the first ``n`` acceptances in evaluation order are known."""
        from sim.experiment.runner import batches_of

        payload = cloudpickle.dumps(simulate_one)
        results: dict[int, Any] = {}
        accepted_at: list[int] = []  # evaluation indices of acceptances, in order
        start = 0
        while len(accepted_at) < n and start < max_eval:
            size = n if all_accepted else self._round(n - len(accepted_at), start, len(accepted_at))
            size = int(min(size, max_eval - start))
            indices = list(range(start, start + size))
            tasks = [(payload, self.root_seed, t, chunk) for chunk in batches_of(indices, self.executor.workers)]
            for done in self.executor.map(evaluate, tasks):
                results.update(done)
            start += size
            accepted_at = [i for i in range(start) if results[i].accepted][:n]
        last = accepted_at[-1] if len(accepted_at) == n else start - 1
        sample = self._create_empty_sample()
        for i in range(last + 1):
            sample.append(results[i])
        self.nr_evaluations_ = last + 1
        check_weights([results[i] for i in accepted_at], t)
        if sample.n_accepted < n:
            sample.ok = False
        return sample
