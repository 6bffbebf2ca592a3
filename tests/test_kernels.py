"""The kernels' building blocks equal NumPy to the last bit, so porting a stage to a kernel changes no number."""

from __future__ import annotations

import math
import os

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim.kernels import cache_folder, sources_digest
from sim.kernels.reductions import total

floats = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, width=64)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, st.integers(min_value=0, max_value=3000), elements=floats))
def test_total_is_numpys_sum_bit_for_bit(a):
    """Pairwise summation as NumPy does it (a running sum differs in the last digits on most of these)."""
    assert total(a) == np.sum(a) or (np.isnan(total(a)) and np.isnan(np.sum(a)))


def test_total_differs_from_a_running_sum_so_the_check_above_can_fail():
    a = np.random.default_rng(0).standard_normal(10_000) * 1e6
    running = 0.0
    for x in a:
        running += x
    assert total(a) == np.sum(a) != running


def test_the_compiled_cache_lives_in_a_writable_per_user_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_folder() == tmp_path / "salesim" / "numba" / sources_digest()
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert cache_folder() == tmp_path / "elsewhere"


def test_an_unwritable_cache_home_falls_back_to_the_temporary_folder(monkeypatch, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "salesim").write_text("a file where the folder should be")  # so the folder cannot be made
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    folder = cache_folder()
    assert not folder.is_relative_to(home) and folder.parent.name.startswith("salesim-numba-")


def test_the_command_line_says_once_that_it_compiles(monkeypatch, capsys):
    """A first run waits for the compiler; the command line says so once, the Python API stays quiet."""
    import sim.kernels as k

    monkeypatch.setattr(k._CompileNotice, "shown", False)
    monkeypatch.delenv(k.ANNOUNCE, raising=False)
    notice = k._CompileNotice()
    notice.on_start(None)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv(k.ANNOUNCE, "1")
    notice.on_start(None)
    notice.on_start(None)
    err = capsys.readouterr().err
    assert err.count("compiling the model's kernels") == 1 and os.environ["NUMBA_CACHE_DIR"] in err


def _libm_power(x: float, y: float) -> float:
    """NumPy's ``power`` where it calls the C library (every CPU without AVX-512): squares, roots and the
    identity exact, ``pow`` otherwise."""
    return {2.0: x * x, 0.5: math.sqrt(x), 1.0: x}.get(y, math.pow(x, y))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([0.5, 1.0, 2.0, 3.0]) | st.floats(min_value=0.5, max_value=5.0),
       hnp.arrays(np.float64, 50, elements=st.floats(min_value=0.0, max_value=10.0)))
def test_the_churn_power_is_the_c_librarys_power(exponent, x):
    """The churn kernel's power and the array power used outside kernels (sim.kernels.libm) are the C
    library's, value by value: the same on every CPU, unlike NumPy's AVX-512 loops."""
    from sim.kernels import libm
    from sim.kernels.libm import scalar_power as _power

    want = np.array([_libm_power(v, exponent) for v in x])
    np.testing.assert_array_equal(np.array([_power(v, exponent) for v in x]), want)
    np.testing.assert_array_equal(libm.power(x, exponent), want)
    np.testing.assert_array_equal(libm.power(x.reshape(5, 10).T, exponent), want.reshape(5, 10).T)


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float64, st.integers(min_value=0, max_value=200),
                  elements=st.floats(min_value=-700.0, max_value=700.0)))
def test_the_array_exp_is_the_c_librarys_exp(x):
    from sim.kernels import libm

    np.testing.assert_array_equal(libm.exp(x), np.array([math.exp(v) for v in x]))


def test_a_square_that_libm_gets_a_bit_wrong_is_exact():
    """glibc's pow(1.885376393636725, 2) is one bit off the correctly rounded square (seen on this project's
    machines); the kernel, like NumPy, returns the square."""
    from sim.kernels.libm import scalar_power as _power

    x = 1.885376393636725
    assert _power(x, 2.0) == x * x == np.power(x, 2.0)


def _win_with_numpy(acc, p, uids, season, u):
    """The NumPy formulation :meth:`sim.population.Accounts.win` had before its kernel (the reference)."""
    from sim.population import ALIVE, NO_ISSUE, NO_NEED, disposition_draw, share_draw

    acc.active[uids] = True
    acc.ever_customer[uids] = True
    acc.share[uids] = share_draw(p, u[0])
    acc.disposition[uids] = disposition_draw(p, u[1])
    acc.sat[uids] = acc.disposition[uids]
    for name, value in (("since", 0.0), ("unserved", 0.0), ("cause", ALIVE), ("known_score", -1), ("conc_left", 0),
                        ("disc_left", 0), ("disc_depth", 0.0), ("remedy_left", 0), ("prebooked", False),
                        ("claw_left", 0), ("claw_commission", 0.0), ("need", NO_NEED), ("issue", NO_ISSUE),
                        ("issue_sev", 0.0), ("issue_age", 0), ("issue_wait", 0), ("issue_reported", False),
                        ("issue_expedite", False), ("follow_up", False), ("flag", False), ("flag_left", 0),
                        ("flag_cool", 0), ("flag_declined", False)):
        getattr(acc, name)[uids] = value
    spend = acc.wallet[uids] * acc.share[uids]
    acc.trail[uids] = spend * season[uids]
    acc.trail_deseason[uids] = spend


def test_a_won_prospects_fresh_start_is_the_numpy_formulation_bit_for_bit():
    """Every seat array after Accounts.win (one compiled pass) equals the NumPy assignments it replaced, on seats
    that had needs, problems, banners and discounts to clear."""
    import copy

    from sim import SalesModel

    m = SalesModel(rng=3).run(30)  # the default book: dozens of needs, problems and banners open by now
    a, p = m.acc, m.p
    rng = np.random.default_rng(7)
    busy = [np.flatnonzero(x)[:20] for x in (a.need, a.issue, a.flag, a.disc_left, a.conc_left)]  # to clear
    uids = np.unique(np.concatenate([*busy, rng.choice(a.n, 100, replace=False)]))
    season, u = rng.uniform(0.5, 1.5, a.n), rng.random((2, uids.size))
    before, ref = copy.deepcopy(a), copy.deepcopy(a)
    _win_with_numpy(ref, p, uids, season, u)
    a.win(p, uids, season, u)
    arrays = [k for k, v in vars(ref).items() if isinstance(v, np.ndarray)]
    moved = [k for k in arrays if getattr(a, k).dtype != getattr(ref, k).dtype
             or getattr(a, k).tobytes() != getattr(ref, k).tobytes()]
    assert not moved, f"arrays that differ from the NumPy formulation: {moved}"
    cleared = {k for k in arrays if getattr(before, k).tobytes() != getattr(a, k).tobytes()}
    missing = {"active", "share", "sat", "need", "issue", "flag", "trail"} - cleared
    assert not missing, f"nothing to clear in {missing}: the check above would see no difference there"


def test_kernel_parameter_arrays_are_built_once_per_parameter_set():
    from sim.params import Params
    from sim.worklist import plan_scalars

    p = Params()
    first = plan_scalars(p)
    assert plan_scalars(p) is first  # the same object: not rebuilt
    q = p.replace(banner_target=0.5)
    assert plan_scalars(q) is not first and plan_scalars(q)[18] == 0.5 and first[18] == p.banner_target


@settings(max_examples=100, deadline=None)
@given(st.floats(0.0, 2 * math.pi * 60), st.floats(0.0, 0.5),
       hnp.arrays(np.float64, st.integers(1, 50), elements=st.floats(-2 * math.pi, 4 * math.pi)))
def test_the_season_by_the_angle_sum_identity_is_the_sine_to_rounding(angle, amplitude, phase):
    """spend() computes sin(angle + phase) from the phase's cos and sin: equal to rounding, never a sign off."""
    from sim.kernels.week import phase_terms, spend

    n = phase.size
    cos_phase, sin_phase = phase_terms(phase)
    season, observed = spend(cos_phase, sin_phase, angle, amplitude, np.full(n, 2.0), np.full(n, 0.5),
                             np.zeros(n, bool), 0.3)
    direct = 1.0 + amplitude * np.array([math.sin(angle + f) for f in phase])
    np.testing.assert_allclose(season, direct, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(observed, 2.0 * 0.5 * season)


def test_a_draw_for_every_seat_is_the_draw_at_each_address():
    """uniforms_all (the vectorised pass for draws nearly every seat makes) gives the numbers uniforms_at and
    the kernels' inline draws give at the same addresses."""
    from sim.draw_streams import CHURN, seed_key, week_key
    from sim.kernels.draws import uniforms_all, uniforms_at

    key = week_key(seed_key(np.random.default_rng(5)), 17, CHURN)
    for k in (0, 1, 3):
        assert np.array_equal(uniforms_all(key, 1000, k), uniforms_at(key, np.arange(1000), k))
