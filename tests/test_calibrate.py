"""Calibration: targets validated, ABC-SMC end to end on a small budget, resume after SIGKILL, posterior draws."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from calibration_helpers import ROOT, SMALL, short_targets
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.calibrate import load_targets
from sim.cli import main
from sim.errors import UserError
from sim.scenario import load_scenario


def test_shipped_targets_cite_sources_and_calibrate_only_behaviour():
    cal = load_targets()
    assert len(cal.targets) >= 6
    assert all(t.source and t.trust and t.low <= t.value <= t.high for t in cal.targets)
    from sim.params import param_info

    assert all(param_info()[p].group == "behaviour" for p in cal.priors)


@pytest.mark.parametrize("edit, needle", [
    (('kpi = "nps"', 'kpi = "npss"'), "did you mean 'nps'"),
    (("[priors.skill_mean]", "[priors.enforcement]"), "only behavioural assumptions"),
    (("bounds = [0.7, 0.95]", "bounds = [0.7, 1.5]"), "skill_mean.bounds"),
    (("value = 26.0", "value = 60.0"), "low <= value <= high"),
])
def test_bad_targets_are_refused_with_the_field(tmp_path, edit, needle):
    f = tmp_path / "t.toml"
    f.write_text((ROOT / "calibration" / "targets.toml").read_text().replace(*edit))
    with pytest.raises(UserError) as e:
        load_targets(f)
    assert needle in str(e.value) and str(f) in str(e.value)


@pytest.mark.slow
def test_calibrate_end_to_end_on_a_small_budget(tmp_path, capsys):
    out = tmp_path / "fit"
    code = main(["calibrate", "--targets", str(short_targets(tmp_path)), "--population", "16", "--generations", "2",
                 "--ppc-draws", "4", "--workers", "1", "--quiet", *SMALL, "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    for f in ("abc.db", "posterior.csv", "posterior_summary.csv", "history.csv", "history.png", "pairs.png",
              "ppc.csv", "ppc.png", "calibrated.toml"):
        assert (out / f).is_file(), f
    cal = load_targets()
    post = pd.read_csv(out / "posterior.csv")
    for name, (lo, hi) in cal.priors.items():
        assert post[name].between(lo, hi).all(), name
    assert post["weight"].sum() == pytest.approx(1.0)
    hist = pd.read_csv(out / "history.csv")
    assert list(hist["generation"]) == [0, 1] and (hist["ess"] > 0).all()
    assert hist["epsilon"].iloc[1] <= hist["epsilon"].iloc[0]
    ppc = pd.read_csv(out / "ppc.csv")
    assert set(ppc["target"]) == {t.name for t in cal.targets} and ppc["share_within"].between(0, 1).all()
    fitted = load_scenario(out / "calibrated.toml")
    summary = pd.read_csv(out / "posterior_summary.csv").set_index("parameter")
    assert fitted.params.skill_mean == pytest.approx(summary.loc["skill_mean", "median"], rel=1e-5)

    cmp_out = tmp_path / "cmp"
    assert main(["compare", "baseline", "banner_mandate", "--replications", "3", "--weeks", "10", "--workers", "1",
                 "--posterior", str(out), "--quiet", *SMALL, "--out", str(cmp_out)]) == 0
    runs = pd.read_parquet(cmp_out / "runs.parquet")
    pairs = runs.groupby("replication")["skill_mean"].nunique()
    assert (pairs == 1).all() and runs["skill_mean"].nunique() > 1, "draw k shared by both scenarios, draws vary"


def _generations(db: Path) -> int:
    try:
        with sqlite3.connect(db) as c:
            return c.execute("select count(*) from populations where t >= 0").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_interrupted_calibration_keeps_finished_generations_and_says_so(tmp_path):
    out = tmp_path / "fit"
    args = [sys.executable, "-m", "sim.cli", "calibrate", "--targets", str(short_targets(tmp_path)),
            "--population", "16", "--generations", "4", "--ppc-draws", "2", "--workers", "1", "--quiet", *SMALL,
            "--out", str(out)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and _generations(out / "abc.db") < 1:
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGINT)  # Ctrl-C: a clean stop that names what is kept and how to resume
    _, err = proc.communicate(timeout=60)
    kept = _generations(out / "abc.db")
    assert 1 <= kept < 4
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert f"{kept} finished generation" in err and "--resume" in err, err
    with sqlite3.connect(out / "abc.db") as c:
        first_eps = c.execute("select epsilon from populations where t = 0").fetchone()[0]
    resumed = subprocess.run([*args[:8], "--generations", str(kept + 1), *args[10:], "--resume"],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert _generations(out / "abc.db") == kept + 1
    with sqlite3.connect(out / "abc.db") as c:
        assert c.execute("select epsilon from populations where t = 0").fetchone()[0] == first_eps
    again = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "--resume" in again.stderr


def _population(n: int, widths: dict[str, float], seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({k: rng.normal(0.5, 0.2, n) * w for k, w in widths.items()})
    return X, rng.dirichlet(np.ones(n))


@given(st.lists(st.floats(0.1, 10.0), min_size=2, max_size=6), st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_the_width_scaled_kernel_is_pyabcs_kernel_where_scipy_can_invert_it(widths, seed):
    """Same family and bandwidth: on a well-conditioned population both kernels give the same density."""
    from pyabc import MultivariateNormalTransition

    from sim.calibrate.kernel import WidthScaledNormalTransition

    named = {f"p{i}": w for i, w in enumerate(widths)}
    X, w = _population(40, named, seed)
    plain, scaled = MultivariateNormalTransition(), WidthScaledNormalTransition(named)
    plain.fit(X, w)
    scaled.fit(X, w)
    points = X.iloc[:5] * 1.01
    assert scaled.pdf(points) == pytest.approx(plain.pdf(points), rel=1e-6)
    assert scaled.pdf(points.iloc[0]) == pytest.approx(plain.pdf(points.iloc[0]), rel=1e-6)


def _mixture_density(points: pd.DataFrame, X: pd.DataFrame, w: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """A normal mixture's density by a direct solve (accurate to about cond x 1e-16, here ~1e-4)."""
    _, logdet = np.linalg.slogdet(cov)
    out = []
    for x in points.to_numpy():
        d = x - X.to_numpy()
        q = np.einsum("ij,ij->i", d, np.linalg.solve(cov, d.T).T)
        out.append(float((w * np.exp(-0.5 * q - 0.5 * logdet - 0.5 * len(x) * np.log(2 * np.pi))).sum()))
    return np.array(out)


def test_the_width_scaled_kernel_has_the_right_density_where_pyabcs_drops_a_dimension():
    """Parameters on scales 1e-4 and 1e2 (the targets' priors span 1e-3 to 24): SciPy treats pyABC's
    covariance as singular and gives a density on a subspace, orders of magnitude off; the width-scaled
    kernel gives the normal mixture's density."""
    from pyabc import MultivariateNormalTransition

    from sim.calibrate.kernel import WidthScaledNormalTransition

    named = {"small": 1e-4, "large": 1e2, "mid": 1.0}
    X, w = _population(30, named, 3)
    plain, scaled = MultivariateNormalTransition(), WidthScaledNormalTransition(named)
    plain.fit(X, w)
    scaled.fit(X, w)
    np.random.seed(1)
    proposals = pd.DataFrame([scaled.rvs_single() for _ in range(20)])
    exact = _mixture_density(proposals, X, w / w.sum(), plain.cov)
    assert scaled.pdf(proposals) == pytest.approx(exact, rel=1e-2)
    assert (np.abs(np.log(plain.pdf(proposals) / exact)) > np.log(10)).all()


def test_a_particle_with_an_infinite_weight_stops_the_calibration_with_an_explanation():
    from pyabc import Parameter, Particle

    from sim.calibrate.sampler import check_weights

    good = Particle(0, Parameter({"a": 1.0}), 0.5, {}, 0.0)
    check_weights([good, good], 2)
    with pytest.raises(UserError, match="generation 2: 1 of 2 .*2 finished generations are kept"):
        check_weights([good, Particle(0, Parameter({"a": 1.0}), np.inf, {}, 0.0)], 2)
