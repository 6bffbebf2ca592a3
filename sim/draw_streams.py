"""Addresses of the per-seat random numbers: the stream numbers and the keys the compiled draws take.

A per-seat random number is computed from its address, (seat, draw, week, stream), under the run's key
(:mod:`sim.kernels.draws`), so a stage computes only the numbers it uses and two scenarios on the same
seed see the same number at the same address. This module is NumPy only, so importing the model does not
import numba.
"""

from __future__ import annotations

import numpy as np

# The per-seat streams: the last word of every counter, so no two streams share a number.
NEEDS, BANNERS, CHANNELS, OUTCOMES, CONTACTS, TIMING, FAILURES, FIXES, FEEDBACK, CHURN, ACQUISITION = range(1, 12)


def seed_key(rng: np.random.Generator) -> np.ndarray:
    """The run's two 32-bit key words, drawn once from ``rng`` (a stream of the model's seed)."""
    return rng.integers(0, 2**32, 2, dtype=np.uint64).astype(np.uint32)


def week_key(key: np.ndarray, week: int, stream: int) -> np.ndarray:
    """What a kernel draws with: the run's two key words, then the week and the stream, as ``uint32[4]``."""
    return np.array([key[0], key[1], week, stream], np.uint32)
