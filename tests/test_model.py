"""SalesModel as a Mesa model: contract, KPIs, reproducibility, robustness."""

from __future__ import annotations

import math

import mesa
import numpy as np
import pytest
from param_helpers import repair_combinations

from sim import SalesModel, load_scenario
from sim.agents import Manager, Rep
from sim.kpis import KPIS
from sim.params import Params, param_info

DESIGN_KPIS = [
    "reported_banner_close_rate", "true_banner_conversion", "banner_avoidance_rate", "revenue",
    "revenue_potential", "revenue_lost", "annual_churn_rate", "churn_share_neglect", "churn_share_service",
    "churn_share_pitch", "nps", "hidden_concession_share", "rep_stress_mean", "rep_turnover_rate",
    "escalations", "reporting_gap",
]
SMALL = dict(n_accounts=400, n_reps=5, n_managers=2, burn_in_weeks=13)


def test_every_design_kpi_is_reported_and_finite():
    k = SalesModel(rng=3, **SMALL).run(40).kpis()
    for name in DESIGN_KPIS:
        assert name in k, name
        assert math.isfinite(k[name]), name
    for name, v in k.items():
        if KPIS[name].unit == "fraction" and name != "reporting_gap":
            assert 0.0 <= v <= 1.0, (name, v)
    assert k["revenue_lost"] == pytest.approx(k["revenue_potential"] - k["revenue"])
    assert k["reporting_gap"] == pytest.approx(k["reported_banner_close_rate"] - k["true_banner_conversion"])
    assert -100 <= k["nps"] <= 100


def test_every_kpi_has_a_definition():
    for k in KPIS.values():
        assert k.label and k.unit and len(k.doc) > 20, k.name


def test_reps_and_managers_are_mesa_agents():
    m = SalesModel(rng=1, **SMALL)
    assert isinstance(m, mesa.Model)
    assert len(m.agents_by_type[Rep]) == 5
    assert len(m.agents_by_type[Manager]) == 2
    assert {r.manager for r in m.reps} <= set(m.managers)


def test_same_seed_same_numbers_and_different_seeds_differ():
    a = SalesModel(rng=11, **SMALL).run(30).kpis()
    b = SalesModel(rng=11, **SMALL).run(30).kpis()
    c = SalesModel(rng=12, **SMALL).run(30).kpis()
    same = {k: a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a}  # NaN: a KPI with no events
    assert a.keys() == b.keys() and all(same.values()), [k for k, v in same.items() if not v]
    assert any(a[k] != c[k] and not (math.isnan(a[k]) and math.isnan(c[k])) for k in a)


def test_weekly_series_one_row_a_week():
    m = SalesModel(rng=2, **SMALL).run(25)
    df = m.timeseries()
    assert len(df) == 25
    assert {"revenue", "reported_banner_close_rate", "true_banner_conversion", "rep_stress_mean", "nps"} <= set(
        df.columns
    )
    assert len(m.weekly()) == 25


def test_run_chains_and_burn_in_excludes_early_weeks():
    m = SalesModel(rng=2, **{**SMALL, "burn_in_weeks": 10}).run(10)
    assert m.ledger.weeks == 0
    m.run(5)
    assert m.ledger.weeks == 5


def test_from_scenario_uses_its_parameters():
    sc = load_scenario("banner_mandate")
    m = SalesModel.from_scenario(sc, rng=1, **SMALL)
    assert m.p.enforcement == 1.0 and m.p.banner_target == 0.9
    assert m.p.n_accounts == 400


def test_overrides_are_validated():
    with pytest.raises(ValueError):
        SalesModel(rng=1, enforcement=2.0)


def _random_params(rng: np.random.Generator) -> dict:
    """A parameter set drawn anywhere inside the documented ranges (small size)."""
    out = {}
    for name, info in param_info().items():
        if info.group == "size":
            continue
        if info.choices:
            out[name] = info.choices[rng.integers(len(info.choices))]
        elif info.kind == "bool":
            out[name] = bool(rng.integers(2))
        elif info.kind == "int":
            out[name] = int(rng.integers(info.ge, min(info.le, 60) + 1))
        else:
            lo, hi = info.ge, info.le
            out[name] = float(rng.choice([lo, hi, rng.uniform(lo, hi)]))
    if out["feedback_loop"] == "none":
        out["crm_rule"] = "spend_drop"
        out["detractor_policy"] = "sell_to_all"
    return repair_combinations(out)


@pytest.mark.parametrize("seed", range(12))
def test_no_crash_or_nan_anywhere_in_documented_ranges(seed):
    params = Params(**SMALL, **_random_params(np.random.default_rng(seed)))
    m = SalesModel(params, rng=seed).run(30)
    k = m.kpis()
    bad = {n: v for n, v in k.items() if not math.isfinite(v) and KPIS[n].nan_when is None}
    assert not bad, bad
    a = m.acc
    for arr in (a.sat, a.share, a.since, a.wallet):
        assert np.isfinite(arr).all()
    assert ((a.sat >= 0) & (a.sat <= 1)).all()
    ts = m.timeseries()
    assert ts.drop(columns=[c for c in ts if c in KPIS and KPIS[c].nan_when]).notna().all().all()
