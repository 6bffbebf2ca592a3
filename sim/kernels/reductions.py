"""Sums computed exactly as NumPy computes them, so a kernel's totals equal NumPy's to the last bit.

NumPy adds a float array pairwise: blocks of up to 128 numbers are summed with eight running partial sums,
and longer arrays are split in two (at a multiple of eight) and each half summed the same way. A plain
running sum gives other last digits, and the model's totals feed decisions.
"""

from __future__ import annotations

import numpy as np

from sim.kernels import kernel

_BLOCK = 128  # NumPy's PW_BLOCKSIZE


@kernel
def _block_sum(a, lo, n):
    """NumPy's sum of ``a[lo:lo + n]`` for n <= 128: eight partial sums, then the remainder in order."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - (n % 8):
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@kernel
def total(a):
    """``np.sum(a)`` of a 1-d float64 array, bit for bit (NumPy's recursive halving, with an explicit stack)."""
    n = a.size
    if n <= _BLOCK:
        return 0.0 + _block_sum(a, np.int64(0), n)  # not a literal 0: one compiled variant
    # Post-order walk of the halving tree: each node is (lo, n, state); partial results on a value stack.
    lo_s = np.empty(128, np.int64)
    n_s = np.empty(128, np.int64)
    st_s = np.zeros(128, np.int64)
    vals = np.empty(128)
    top = 0
    nv = 0
    lo_s[0], n_s[0], st_s[0] = 0, n, 0
    while top >= 0:
        lo, m, state = lo_s[top], n_s[top], st_s[top]
        if m <= _BLOCK:
            vals[nv] = _block_sum(a, lo, m)
            nv += 1
            top -= 1
            continue
        n2 = m // 2
        n2 -= n2 % 8
        if state == 0:  # left half first
            st_s[top] = 1
            top += 1
            lo_s[top], n_s[top], st_s[top] = lo, n2, 0
        elif state == 1:  # then the right half
            st_s[top] = 2
            top += 1
            lo_s[top], n_s[top], st_s[top] = lo + n2, m - n2, 0
        else:  # both done: add them, left + right
            nv -= 1
            vals[nv - 1] = vals[nv - 1] + vals[nv]
            top -= 1
    return 0.0 + vals[0]
