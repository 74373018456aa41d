"""spatial-lstm and physics-lstm: no test-point leakage, interpretable physics, save/load."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from subsidence.models import model_class
from subsidence.models.base import FREE_RUNNING
from subsidence.models.hybrid import HybridConfig, PhysicsLSTM, SpatialLSTM, neighbour_weights
from tests.unit.test_consolidation import synthetic

FAST = HybridConfig(max_epochs=2, patience=0, validation_fraction=0.0, batch_size=64, n_neighbours=4)


def test_neighbours_are_training_points_and_never_the_point_itself() -> None:
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0], [30.0, 0.0], [1000.0, 0.0]])
    train = np.array([0, 1, 2])
    nbr, w = neighbour_weights(xy, xy[train], train, k=2)
    assert nbr.shape == (5, 2)
    for i in train:
        assert i not in train[nbr[i]]
    np.testing.assert_allclose(w.sum(axis=1), 1.0)


def test_spatial_lstm_takes_a_plain_lstm_config() -> None:
    """A paper-lstm config gets the hybrid's neighbour count (it used to fail mid-fit on n_neighbours)."""
    from subsidence.models.lstm import LSTMConfig

    plain = LSTMConfig(max_epochs=1, validation_fraction=0.0, batch_size=64)
    model = SpatialLSTM(plain)
    assert model.config.n_neighbours == HybridConfig().n_neighbours and model.config.max_epochs == 1
    fitted = model.fit(synthetic(30), np.arange(20), seed=0)
    assert np.isfinite(fitted.predict(synthetic(30))[:, 1:]).all()


def test_spatial_lstm_never_reads_test_point_values() -> None:
    data = synthetic(60)
    rng = np.random.default_rng(0)
    data = replace(data, subsidence_mm=data.subsidence_mm + rng.normal(0, 2, data.subsidence_mm.shape))
    train, test = np.arange(40), np.arange(40, 60)
    model = SpatialLSTM(FAST).fit(data, train, seed=0)
    # every other test point's series changes beyond recognition: point 40's prediction stays
    sub = data.subsidence_mm.copy()
    sub[41:] += rng.normal(0, 500, sub[41:].shape)
    head = data.head_m.copy()
    head[41:] -= 100.0
    a = model.predict(data)
    b = model.predict(replace(data, subsidence_mm=sub, head_m=head))
    np.testing.assert_allclose(a[40], b[40], rtol=1e-6)
    assert not np.allclose(a[test[1:]], b[test[1:]])
    # the point's own future (its targets) does not change its earlier predictions
    own = data.subsidence_mm.copy()
    own[40, 20:] += 300.0
    c = model.predict(replace(data, subsidence_mm=own))
    np.testing.assert_allclose(a[40, :20], c[40, :20], rtol=1e-6)


def test_physics_lstm_exposes_its_physics_and_adds_a_residual() -> None:
    data = synthetic(50)
    model = PhysicsLSTM(FAST).fit(data, np.arange(35), seed=1)
    params = model.physics_parameters
    assert {"sskv_per_m", "sske_per_m", "tau_ref_days"} <= set(params)
    tau = model.time_constant_days(data)
    assert tau.shape == (50,) and (tau > 0).all()
    pred = model.predict(data)
    physics = model.physics.predict(data) if model.physics is not None else None
    assert physics is not None and not np.allclose(pred[:, 1:], physics[:, 1:])
    free = model.predict(data, FREE_RUNNING)
    assert np.isnan(free[:, 0]).all() and np.isfinite(free[:, 1:]).all()


@pytest.mark.parametrize("name", ["spatial-lstm", "physics-lstm"])
def test_save_load_round_trip_and_seeded(name: str) -> None:
    data = synthetic(40)
    cls = model_class(name)
    model = cls(FAST).fit(data, np.arange(30), seed=2)
    arrays, meta = model.to_state()
    again = cls.from_state(arrays, meta)
    np.testing.assert_array_equal(again.predict(data), model.predict(data))
    np.testing.assert_array_equal(
        cls(FAST).fit(data, np.arange(30), seed=2).predict(data), model.predict(data)
    )
