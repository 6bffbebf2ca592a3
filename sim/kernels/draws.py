"""Counter-based random numbers: each seat's uniform of a week computed where it is used, from its address.

The uniform of draw ``k`` of ``seat`` in ``week`` on ``stream`` is Philox4x32-10 (Salmon, Moraes, Dror and
Shaw 2011, "Parallel random numbers: as easy as 1, 2, 3"; Random123's generator, also in cuRAND and
TensorFlow's stateless random ops) of the counter (seat, k, week, stream) under the run's 64-bit key, two of
its 32-bit words making a 53-bit double. No state is carried from one number to the next, so a stage computes
only the numbers it uses (a banner's two uniforms only where a banner is raised), and two scenarios on the
same seed see the same number at the same address whatever else each of them drew: common random numbers by
construction, not by drawing every block at full size. Integer arithmetic and one ``log`` and ``cos`` per
normal (the C library's, as everywhere in the kernels): the same numbers on every CPU.

A kernel receives a stream's key for the week as a ``uint32[4]`` array (:func:`sim.draw_streams.week_key`).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim.kernels import kernel

# Inlined into the kernels that call them (numba's IR inlining), so a draw costs its arithmetic, not a call.
inline = numba.njit(inline="always", fastmath=False, error_model="numpy", boundscheck=False)

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)  # Philox4x32's multipliers
_W0, _W1 = np.uint32(0x9E3779B9), np.uint32(0xBB67AE85)  # its key schedule's Weyl increments
_LOW = np.uint64(0xFFFFFFFF)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
_TWO_PI = 2.0 * math.pi


@inline
def philox(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of the counter (c0, c1, c2, c3) under the key (k0, k1): four 32-bit words."""
    for _ in range(10):
        p0 = _M0 * np.uint64(c0)
        p1 = _M1 * np.uint64(c2)
        hi0, lo0 = np.uint32(p0 >> np.uint64(32)), np.uint32(p0 & _LOW)
        hi1, lo1 = np.uint32(p1 >> np.uint64(32)), np.uint32(p1 & _LOW)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
        k0 = np.uint32(k0 + _W0)
        k1 = np.uint32(k1 + _W1)
    return c0, c1, c2, c3


@inline
def _unit(hi, lo):
    """A double in [0, 1) from two 32-bit words: the high 32 and 21 more bits of 53."""
    return float((np.uint64(hi) << np.uint64(21)) | (np.uint64(lo) >> np.uint64(11))) * _TO_UNIT


@inline
def uniform(key, seat, k):
    """The uniform of draw ``k`` of ``seat`` under a week's stream ``key`` (see :func:`week_key`)."""
    a, b, _, _ = philox(np.uint32(seat), np.uint32(k), key[2], key[3], key[0], key[1])
    return _unit(a, b)


@inline
def normal(key, seat, k):
    """A standard normal for draw ``k`` of ``seat``: Box-Muller on the two doubles of one Philox block."""
    a, b, c, d = philox(np.uint32(seat), np.uint32(k), key[2], key[3], key[0], key[1])
    return math.sqrt(-2.0 * math.log(1.0 - _unit(a, b))) * math.cos(_TWO_PI * _unit(c, d))


@kernel
def uniforms_at(key, seats, k):
    """Draw ``k`` of each of ``seats``, in their order."""
    out = np.empty(seats.size)
    for j in range(seats.size):
        out[j] = uniform(key, seats[j], k)
    return out



@kernel
def uniforms_all(key, n, k):
    """Draw ``k`` of seats 0 to ``n - 1``: for a draw nearly every seat makes. This loop vectorises (about
    1.5 ns a number here); the same call inside a branching per-seat loop does not (about 9 ns)."""
    out = np.empty(n)
    for i in range(n):
        out[i] = uniform(key, i, k)
    return out
