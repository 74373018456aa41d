"""Consolidation model: Terzaghi integral, recovery of its own parameters, one-step rules, save/load."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad

from subsidence.errors import SubsidenceError
from subsidence.models.base import FREE_RUNNING, SeriesData
from subsidence.models.consolidation import Consolidation, ConsolidationConfig, consolidation_integral

TRUE = {
    "tau_ref_days": 40.0,
    "b_c_m": 20.0,
    "gamma": 0.6,
    "spinup_years": 8.0,
    "sskv_per_m": 6e-4,
    "sske_per_m": 2e-5,
    "uses_thickness": True,
    "uses_permeability": True,
}


def synthetic(n: int = 300, seed: int = 1) -> SeriesData:
    """Heads falling 1-3 m/yr with a seasonal swing; thickness 5-120 m, permeability 0.2-20 m/day."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2012-01-01", periods=30, freq="36D")
    t = (dates - dates[0]).days.to_numpy(float)
    rate = rng.uniform(1, 3, n)[:, None] / 365.25
    head = 20 - rate * t[None, :] + rng.uniform(0.5, 2, n)[:, None] * np.cos(2 * np.pi * t / 365.25)[None, :]
    data = SeriesData(
        ps_ids=np.array([f"P{i}" for i in range(n)]),
        xy_m=rng.uniform(0, 10_000, (n, 2)),
        dates=dates,
        subsidence_mm=np.zeros((n, len(t))),
        head_m=head,
        thickness_m=rng.uniform(5, 120, n),
        permeability_m_per_day=10 ** rng.uniform(-0.7, 1.3, n),
    )
    truth = Consolidation()
    truth.params = dict(TRUE)

    return replace(data, subsidence_mm=truth.physics_mm(data))


def test_consolidation_integral_is_the_integral_of_terzaghi_u() -> None:
    def u(s: float) -> float:
        return 1 - sum(
            8 / ((2 * m + 1) ** 2 * np.pi**2) * np.exp(-((2 * m + 1) ** 2) * np.pi**2 * s / 4)
            for m in range(200)
        )

    for x in (0.05, 0.3, 1.0, 4.0):
        assert consolidation_integral(np.array(x)) == pytest.approx(quad(u, 0, x)[0], abs=2e-3)
    assert consolidation_integral(np.array(-1.0)) == 0.0
    assert consolidation_integral(np.array(50.0)) == pytest.approx(50 - 1 / 3, rel=1e-9)


def test_recovers_its_own_parameters() -> None:
    data = synthetic()
    fitted = Consolidation(ConsolidationConfig(assimilate=False)).fit(data, np.arange(200), seed=0)
    p = fitted.params
    assert p is not None
    # tolerances: storage within 10 %, time constants at the points within 25 % (median), fit within 0.5 mm
    assert p["sskv_per_m"] == pytest.approx(TRUE["sskv_per_m"], rel=0.10)
    truth = Consolidation()
    truth.params = dict(TRUE)
    ratio = fitted.time_constant_days(data) / truth.time_constant_days(data)
    assert np.median(np.abs(np.log(ratio))) < np.log(1.25)
    assert p["fit_rms_mm"] < 0.5
    held_out = fitted.physics_mm(data)[200:] - data.subsidence_mm[200:]
    assert np.sqrt(np.mean(held_out**2)) < 1.0


def test_one_step_uses_heads_up_to_epoch_k_only() -> None:
    data = synthetic(60)
    model = Consolidation().fit(data, np.arange(40))

    head = data.head_m.copy()
    # a sharp fall from epoch 15 (day 540, after the first year that sets the initial state):
    # columns up to 14 (epochs up to 14) must not change, column 15 must
    head[:, 15:] -= 5.0
    changed = replace(data, head_m=head)
    a, b = model.predict(data), model.predict(changed)
    np.testing.assert_allclose(a[:, 1:15], b[:, 1:15])
    assert not np.allclose(a[:, 15], b[:, 15])
    assert np.isnan(a[:, 0]).all() and np.isnan(model.predict(data, FREE_RUNNING)[:, 0]).all()


def test_fitted_parameters_stay_in_physical_bounds_and_state_round_trips() -> None:
    rng = np.random.default_rng(3)
    data = synthetic(80)

    noisy = replace(data, subsidence_mm=data.subsidence_mm + rng.normal(0, 30, data.subsidence_mm.shape))
    model = Consolidation().fit(noisy, np.arange(60))
    p = model.params
    assert p is not None
    assert 1e-4 <= p["sskv_per_m"] <= 1e-2 and 10 <= p["elastic_ratio"] <= 100 + 1e-9
    arrays, meta = model.to_state()
    again = Consolidation.from_state(arrays, meta)
    np.testing.assert_array_equal(again.predict(noisy), model.predict(noisy))


def test_unfitted_model_is_refused() -> None:
    with pytest.raises(SubsidenceError, match="not fitted"):
        Consolidation().predict(synthetic(5))
