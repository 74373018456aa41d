"""Variogram models (PyKrige's formulas), experimental variograms and fitting."""

from __future__ import annotations

import numpy as np
import pytest
from pykrige import variogram_models as pykrige_models
from scipy.spatial.distance import cdist

from subsidence.errors import SubsidenceError
from subsidence.geostat.variogram import (
    MODELS,
    ExperimentalVariogram,
    Variogram,
    detrend_values,
    experimental_variogram,
    fit_variogram,
)


@pytest.mark.parametrize("model", MODELS)
def test_gamma_equals_pykrige(model: str) -> None:
    v = Variogram(model, psill=2.5, range_m=12_000.0, nugget=0.3)
    h = np.linspace(0.0, 50_000.0, 2001)
    params = v.pykrige_parameters()
    ordered = [
        params[k] for k in (("slope", "nugget") if model == "linear" else ("psill", "range", "nugget"))
    ]
    reference = getattr(pykrige_models, f"{model}_variogram_model")(ordered, h)
    np.testing.assert_allclose(v.gamma(h), reference, rtol=1e-14, atol=1e-14)
    assert v.gamma(0.0) == pytest.approx(0.3)


def test_sill_and_shape_follow_pykrige_conventions() -> None:
    sph = Variogram("spherical", 2.0, 1000.0, 0.5)
    assert (
        sph.sill == 2.5
        and sph.gamma(1000.0) == pytest.approx(2.5)
        and sph.gamma(5000.0) == pytest.approx(2.5)
    )
    expo = Variogram("exponential", 1.0, 3000.0)
    assert expo.gamma(3000.0) == pytest.approx(1 - np.exp(-3))  # practical range: 95 % of the sill
    assert Variogram("linear", 4.0, 2000.0).slope == pytest.approx(0.002)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("cubic", 1.0, 1.0), "must be one of"),
        (("spherical", 1.0, 0.0), "range_m must be a positive"),
        (("spherical", -1.0, 10.0), ">= 0"),
    ],
)
def test_bad_parameters_are_rejected(args: tuple, match: str) -> None:
    with pytest.raises(SubsidenceError, match=match):
        Variogram(*args)


@pytest.mark.parametrize("model", ["spherical", "exponential", "gaussian"])
def test_fit_recovers_the_model_of_exact_semivariances(model: str) -> None:
    true = Variogram(model, psill=3.0, range_m=15_000.0, nugget=0.4)
    lag = np.linspace(1000.0, 30_000.0, 15)
    exp = ExperimentalVariogram(lag, true.gamma(lag), np.full(15, 50), "mean")
    fitted = fit_variogram(exp, model)
    assert fitted.psill == pytest.approx(3.0, rel=1e-3)
    assert fitted.range_m == pytest.approx(15_000.0, rel=1e-3)
    assert fitted.nugget == pytest.approx(0.4, abs=1e-3)


def test_fit_of_a_simulated_field_is_close() -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 50_000, (90, 2))
    true = Variogram("exponential", 4.0, 15_000.0, 0.0)
    cov = true.sill - true.gamma(cdist(xy, xy))
    z = np.linalg.cholesky(cov + 1e-9 * np.eye(90)) @ rng.normal(size=(90, 60))
    fitted = fit_variogram(experimental_variogram(xy, z), "exponential")
    assert fitted.sill == pytest.approx(4.0, rel=0.25)
    assert fitted.range_m == pytest.approx(15_000.0, rel=0.35)


def test_pooling_ignores_per_epoch_offsets_and_plane_removes_a_trend() -> None:
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 10_000, (40, 2))
    z = rng.normal(size=40)
    shifted = np.column_stack([z, z + 100.0, z - 7.0])  # same field, one offset per epoch
    one, three = experimental_variogram(xy, z), experimental_variogram(xy, shifted)
    np.testing.assert_allclose(three.gamma, one.gamma)
    np.testing.assert_array_equal(three.n_pairs, 3 * one.n_pairs)
    plane = 5.0 + 0.01 * xy[:, 0] - 0.002 * xy[:, 1]
    assert np.abs(detrend_values(xy, plane[:, None], "plane")).max() < 1e-8
    assert experimental_variogram(xy, plane, detrend="plane").gamma.max() < 1e-12
    assert experimental_variogram(xy, plane, detrend="mean").gamma.max() > 1.0


def test_absent_samples_are_skipped_and_too_few_rejected() -> None:
    xy = np.array([[0.0, 0.0], [1000.0, 0.0], [0.0, 1000.0], [1000.0, 1000.0]])
    z = np.array([[1.0, np.nan], [2.0, 5.0], [3.0, 6.0], [4.0, 7.0]])
    exp = experimental_variogram(xy, z, n_lags=4, max_lag_m=2000.0)
    assert exp.n_pairs.sum() == 6 + 3
    with pytest.raises(SubsidenceError, match="at least 3 samples"):
        experimental_variogram(xy[:2], z[:2])
