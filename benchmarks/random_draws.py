"""What counter-based random numbers would save (issue item 3): a measurement, not a test.

Every per-seat draw in the model has the size of the whole market, so paired runs stay aligned: new needs
draw a (4, n) block of uniforms and n normals each week, though only row 0 is used for every seat and the
rest only for the few seats that get a need. A counter-based generator, a keyed hash of (stream, week,
seat, draw), keeps common random numbers exactly and computes only the numbers that are used.

This script times, at the sizes given, (a) the NumPy draws the needs stage makes today and (b) a compiled
pass that hashes the uniform of every free seat and, for the seats that get a need, three more uniforms and
a Box-Muller normal. The hash is SplitMix64's output function (Steele, Lea and Flood 2014) on a Weyl
sequence started at a per-(stream, week) key. It is the prototype the decision was taken on, kept as its
record: the model now draws with Philox4x32-10 (sim/kernels/draws.py), a keyed bijection with published
known-answer vectors, at about 1.5 ns a number in a vectorised pass and 9 ns inline in a branching loop.

Usage::

    python benchmarks/random_draws.py [--seats 2500 125000] [--share 0.05] [--repeats 20]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numba
import numpy as np

GAMMA = np.uint64(0x9E3779B97F4A7C15)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)
DRAWS_PER_SEAT = np.uint64(8)  # room for eight numbers per seat a week and stream


@numba.njit(cache=False)
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * M1
    z = (z ^ (z >> np.uint64(27))) * M2
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=False)
def _uniform(key, seat, draw):
    x = _mix(key + (np.uint64(seat) * DRAWS_PER_SEAT + np.uint64(draw) + np.uint64(1)) * GAMMA)
    return np.float64(x >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@numba.njit(cache=False)
def needs_counter(key, free, rate):
    """The needs stage's draws, counter-based: one uniform per free seat; three more and a normal per new
    need. Returns how many needs arrived and a checksum (so nothing is optimised away)."""
    k = 0
    check = 0.0
    for i in range(free.size):
        if not free[i]:
            continue
        if _uniform(key, i, 0) < rate:
            k += 1
            u1, u2, u3 = _uniform(key, i, 1), _uniform(key, i, 2), _uniform(key, i, 3)
            z = math.sqrt(-2.0 * math.log(1.0 - _uniform(key, i, 4))) * math.cos(2.0 * math.pi * _uniform(key, i, 5))
            check += u1 + u2 + u3 + z
    return k, check


@numba.njit(cache=False)
def needs_numpy_use(u, z, free, rate):
    """The same use of NumPy's pre-drawn block (what the model's kernel does with it)."""
    k = 0
    check = 0.0
    for i in range(free.size):
        if free[i] and u[0, i] < rate:
            k += 1
            check += u[1, i] + u[2, i] + u[3, i] + z[i]
    return k, check


def _median_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000.0 * statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seats", type=int, nargs="+", default=[2_500, 125_000])
    ap.add_argument("--share", type=float, default=0.05, help="weekly share of free seats that get a need")
    ap.add_argument("--repeats", type=int, default=20)
    a = ap.parse_args()
    print("seats     NumPy draws + pass ms   counter-based pass ms   ratio   uniforms checked (mean, want 0.5)")
    for n in a.seats:
        rng = np.random.default_rng(1)
        free = rng.random(n) < 0.9
        key = np.uint64(rng.integers(0, 2**63))

        def numpy_way(n=n, free=free, rng=rng):
            u = rng.random((4, n))
            z = rng.standard_normal(n)
            return needs_numpy_use(u, z, free, a.share)

        def counter_way(key=key, free=free):
            return needs_counter(key, free, a.share)

        t_np = _median_ms(numpy_way, a.repeats)
        t_ct = _median_ms(counter_way, a.repeats)
        sample = np.array([_uniform(key, i, 0) for i in range(min(n, 20_000))])
        print(f"{n:>7,}   {t_np:>20.3f}   {t_ct:>21.3f}   {t_np / t_ct:>5.1f}x   {sample.mean():.4f}")
    print(f"numba {numba.__version__}, numpy {np.__version__}; medians of {a.repeats} repeats after a warm-up")


if __name__ == "__main__":
    main()
