"""``exp`` and ``power`` over arrays, one value at a time through the C library, so every CPU gives the same bits.

NumPy chooses its ``exp``, ``log`` and ``power`` loops by the CPU it finds: on AVX-512 machines it uses vectorised
versions that differ from the C library's in the last bit of some values, elsewhere it calls the C library.
A model that used them gave other numbers for the same seed on an AVX-512 machine than on an AVX2 one. These
kernels call the C library's functions value by value whatever the CPU (numba lowers ``math.exp`` and ``**`` to
them; Intel's vector library, which numba would use if installed, is switched off in :mod:`sim.kernels`), so
they give the numbers NumPy gives on a machine without AVX-512.
"""

from __future__ import annotations

import math

import numpy as np

from sim.kernels import kernel


@kernel
def scalar_power(x, y):
    """``x ** y`` as NumPy's ``power`` computes it for a scalar exponent: squares, square roots, reciprocals and
    the identity exactly, the C library's ``pow`` otherwise."""
    if y == 2.0:
        return x * x
    if y == 0.5:
        return math.sqrt(x)
    if y == 1.0:
        return x
    if y == -1.0:
        return 1.0 / x
    return x**y


@kernel
def _power_flat(x, y, out):
    for i in range(x.size):
        out[i] = scalar_power(x[i], y)


@kernel
def _exp_flat(x, out):
    for i in range(x.size):
        out[i] = math.exp(x[i])


def power(x: np.ndarray, y: float) -> np.ndarray:
    """``x ** y`` for a float array and a scalar exponent, the same on every CPU."""
    a = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(a)
    _power_flat(a.reshape(-1), float(y), out.reshape(-1))
    return out


def exp(x: np.ndarray) -> np.ndarray:
    """``e ** x`` for a float array, the same on every CPU."""
    a = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(a)
    _exp_flat(a.reshape(-1), out.reshape(-1))
    return out
