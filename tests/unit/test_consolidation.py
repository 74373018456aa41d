"""Consolidation model: Terzaghi integral, recovery of its own parameters, one-step rules, save/load."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad

from subsidence.errors import SubsidenceError
from subsidence.models.base import FREE_RUNNING
from subsidence.models.consolidation import Consolidation, ConsolidationConfig, consolidation_integral
from subsidence.series import SeriesData

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
    # tolerances: storage within 10 %, time constants at the points within 25 % (median), fit within
    # 1 mm (the literature prior pulls the time parameters a little; without it the fit is exact, below)
    assert p["sskv_per_m"] == pytest.approx(TRUE["sskv_per_m"], rel=0.10)
    truth = Consolidation()
    truth.params = dict(TRUE)
    ratio = fitted.time_constant_days(data) / truth.time_constant_days(data)
    assert np.median(np.abs(np.log(ratio))) < np.log(1.25)
    assert p["fit_rms_mm"] < 1.0
    held_out = fitted.physics_mm(data)[200:] - data.subsidence_mm[200:]
    assert np.sqrt(np.mean(held_out**2)) < 1.0


def test_without_the_prior_the_fit_is_exact() -> None:
    data = synthetic()
    p = (
        Consolidation(ConsolidationConfig(assimilate=False, prior_weight=0.0))
        .fit(data, np.arange(200))
        .params
    )
    assert p is not None and p["fit_rms_mm"] < 0.01
    assert p["tau_ref_days"] == pytest.approx(TRUE["tau_ref_days"], rel=0.02)
    assert p["spinup_years"] == pytest.approx(TRUE["spinup_years"], rel=0.02)


def test_one_step_uses_heads_up_to_epoch_k_only() -> None:
    data = synthetic(60)
    model = Consolidation().fit(data, np.arange(40))

    head = data.head_m.copy()
    # a sharp fall from epoch 21 (day 756, after the first two years that set the initial
    # state): columns up to 20 (epochs up to 20) must not change, column 21 must
    head[:, 21:] -= 5.0
    changed = replace(data, head_m=head)
    a, b = model.predict(data), model.predict(changed)
    np.testing.assert_allclose(a[:, 1:21], b[:, 1:21])
    assert not np.allclose(a[:, 21], b[:, 21])
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


def _turning(n: int = 200) -> SeriesData:
    """``synthetic`` heads falling for the first half, then rising as fast (a turn at epoch 15)."""
    data = synthetic(n)
    head = data.head_m.copy()
    t = data.days
    k = 15
    trend = (head[:, k] - head[:, 0])[:, None] / t[k]  # m/day, negative
    head[:, k + 1 :] = head[:, k : k + 1] - trend * (t[k + 1 :] - t[k])[None, :]
    truth = Consolidation()
    truth.params = dict(TRUE)
    turned = replace(data, head_m=head)
    return replace(turned, subsidence_mm=truth.physics_mm(turned))


def test_after_a_turn_compaction_slows_with_the_aquitard_lag_then_stops() -> None:
    data = _turning()
    s, t = data.subsidence_mm, data.days
    k = 15
    before = (s[:, k] - s[:, k - 5]) / (t[k] - t[k - 5])
    just_after = (s[:, k + 3] - s[:, k]) / (t[k + 3] - t[k])
    late = (s[:, -1] - s[:, -5]) / (t[-1] - t[-5])
    truth = Consolidation()
    truth.params = dict(TRUE)
    tau = truth.time_constant_days(data)
    lagging = tau > 365
    # residual compaction continues where the clay drains slowly, and fades
    assert np.all(just_after[lagging] > 0.1 * before[lagging])
    short = tau < 180  # drained within months: compaction has stopped by the end
    assert short.sum() > 10
    assert np.all(np.abs(late[short]) < 0.5 * np.abs(before[short]))
    # no new inelastic compaction while heads stay above the pre-consolidation head: the
    # late motion is at most the small elastic rebound
    elastic_only = (
        truth.params["sske_per_m"]
        * 1000
        * data.thickness_m
        * np.abs(np.diff(data.head_m, axis=1)[:, -4:]).sum(axis=1)
    )
    quick = tau < 60
    assert np.all(np.abs(s[quick, -1] - s[quick, -5]) <= elastic_only[quick] + 0.5)


def test_fitted_on_the_decline_the_physics_forecasts_the_turn() -> None:
    data = _turning()
    k = 15
    from subsidence.validation.hindcast import fit_model, observed_since, run_forward

    model = fit_model("consolidation", data, k, seed=0)
    forecast = run_forward(model, data, k)
    observed = observed_since(data, k)
    velocity = (data.subsidence_mm[:, k] - data.subsidence_mm[:, k - 5])[:, None] / (
        data.days[k] - data.days[k - 5]
    )
    naive = velocity * (data.days[k + 1 :] - data.days[k])[None, :]
    err = np.sqrt(np.mean((forecast - observed) ** 2))
    assert err < 0.3 * np.sqrt(np.mean((naive - observed) ** 2))
    assert err < 0.6 * np.sqrt(np.mean(observed**2))  # "it stops"


def test_forecast_from_reads_no_subsidence_after_the_cut() -> None:
    data = synthetic(50)
    model = Consolidation().fit(data, np.arange(50))
    sub = data.subsidence_mm.copy()
    sub[:, 20:] = 999.0
    np.testing.assert_array_equal(
        model.forecast_from(data, 19), model.forecast_from(replace(data, subsidence_mm=sub), 19)
    )


def test_long_records_are_fitted_on_every_kth_acquisition() -> None:
    from subsidence.models.consolidation import MAX_FIT_EPOCHS, fit_epochs

    assert fit_epochs(38).tolist() == list(range(38))  # the demo: every acquisition, as before
    cols = fit_epochs(146)
    assert cols[0] == 0 and cols[-1] == 145 and len(cols) <= MAX_FIT_EPOCHS + 1
    assert set(np.diff(cols[:-1]).tolist()) == {3}


def test_responses_in_blocks_of_points_equal_the_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    from subsidence.models import consolidation_physics as cp

    rng = np.random.default_rng(5)
    days = np.cumsum(np.r_[0.0, rng.integers(12, 60, 29)]).astype(float)
    head = 20 - 0.004 * days[None, :] * rng.uniform(0.5, 2, (37, 1)) + rng.normal(0, 0.3, (37, 30))
    hist = cp.head_history(head, days)
    b, tau = rng.uniform(20, 120, 37), rng.uniform(50, 3000, 37)
    whole = cp.responses(hist, days, b, tau, 10.0)
    monkeypatch.setattr(cp, "RESPONSE_CHUNK_ENTRIES", 5 * 30 * 30)  # blocks of 5 points, the last of 2
    blocks = cp.responses(hist, days, b, tau, 10.0)
    for a, c in zip(whole, blocks, strict=True):
        np.testing.assert_array_equal(a, c)
    assert whole[0].shape == (37, 30) and (whole[0][:, 0] == 0).all() and (whole[0][:, -1] > 0).all()
