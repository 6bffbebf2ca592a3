"""Counter-based draws: Philox4x32-10 as published, uniforms and normals with the right law, one number per
address whatever else was drawn."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.draw_streams import CHURN, NEEDS, seed_key, week_key
from sim.kernels.draws import normal, philox, uniforms_at

U32 = np.uint32


# Called through the test's own compiled functions, so the kernels' dispatchers only ever see the signatures
# model runs give them (tests/test_warm.py checks the warm step's manifest against those).
@numba.njit
def _philox(c0, c1, c2, c3, k0, k1):
    return philox(c0, c1, c2, c3, k0, k1)


@numba.njit
def normals_at(key, seats, k):
    out = np.empty(seats.size)
    for j in range(seats.size):
        out[j] = normal(key, seats[j], k)
    return out


@pytest.mark.parametrize("counter, key, expected", [
    # Random123's known-answer vectors for philox4x32 with 10 rounds (kat_vectors)
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
])
def test_philox_gives_the_published_known_answers(counter, key, expected):
    assert tuple(int(w) for w in _philox(*(U32(c) for c in counter), *(U32(k) for k in key))) == expected


def test_uniforms_are_uniform_and_independent_across_seats_draws_weeks_and_streams():
    key = seed_key(np.random.default_rng(7))
    seats = np.arange(200_000)
    u = uniforms_at(week_key(key, 3, NEEDS), seats, 0)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    counts = np.bincount((u * 100).astype(int), minlength=100)
    assert stats.chisquare(counts).pvalue > 1e-3
    others = [uniforms_at(week_key(key, 3, NEEDS), seats, 1), uniforms_at(week_key(key, 4, NEEDS), seats, 0),
              uniforms_at(week_key(key, 3, CHURN), seats, 0), uniforms_at(week_key(key, 3, NEEDS), seats + 1, 0)]
    for v in others:  # |r| of independent samples of 200,000 is below 0.012 with probability ~1 - 1e-7
        assert abs(np.corrcoef(u, v)[0, 1]) < 0.012
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.012


def test_normals_are_standard_normal():
    z = normals_at(week_key(seed_key(np.random.default_rng(3)), 0, NEEDS), np.arange(200_000), 4)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(z.mean()) < 0.012 and abs(z.std() - 1.0) < 0.01


@given(st.integers(0, 2**32 - 1), st.integers(0, 500), st.integers(1, 11), st.lists(st.integers(0, 10**6),
                                                                                     min_size=1, max_size=40))
@settings(max_examples=60, deadline=None)
def test_a_number_depends_only_on_its_address(seed, week, stream, seats):
    """Whatever other seats are drawn with it, in whatever order, a seat's number is the same."""
    key = week_key(np.array([seed, seed ^ 0x5BD1E995], np.uint32), week, stream)
    seats = np.array(seats, np.int64)
    alone = np.array([uniforms_at(key, seats[j:j + 1], 2)[0] for j in range(seats.size)])
    assert np.array_equal(uniforms_at(key, seats, 2), alone)
    assert np.array_equal(uniforms_at(key, np.ascontiguousarray(seats[::-1]), 2), alone[::-1])


def test_the_run_key_comes_from_the_seed():
    a, b = (seed_key(np.random.default_rng(s)) for s in (1, 1))
    assert np.array_equal(a, b) and a.dtype == np.uint32
    assert not np.array_equal(a, seed_key(np.random.default_rng(2)))
