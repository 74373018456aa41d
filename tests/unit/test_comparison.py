"""Compare: time estimates, defaults within a budget, stop inside training, the protocol kept."""

from __future__ import annotations

import time

import numpy as np
import pytest

from subsidence.models import model_names
from subsidence.validation.comparison import (
    Calibration,
    calibrate,
    compare,
    default_settings,
    estimate_seconds,
)
from subsidence.validation.crossval import Stopped, cross_validate
from subsidence.validation.protocols import Protocol, default_protocol
from tests.unit.test_features import make_series

DATA = make_series(n=200, n_epochs=20)


def fake_calibration(slow: dict[str, float]) -> Calibration:
    names = model_names()
    return Calibration(
        {n: slow.get(n, 0.0) for n in names},
        {n: 1e-4 if n.endswith("lstm") else 0.0 for n in names},
        {n: 0.0 for n in names},
    )


def test_estimates_scale_with_folds_epochs_and_points() -> None:
    cal = fake_calibration({"consolidation": 0.01})
    five = Protocol("spatial-block", 5, 1000.0, 250.0, "")
    two = Protocol("spatial-block", 2, 1000.0, 250.0, "")
    e5 = estimate_seconds(DATA, ["paper-lstm", "consolidation"], five, 20, cal)
    assert e5["paper-lstm"] == pytest.approx(5 * 1e-4 * 20 * 160)  # 160 training points a fold
    assert e5["consolidation"] == pytest.approx(5 * 0.01 * 160)
    e2 = estimate_seconds(DATA, ["paper-lstm"], two, 10, cal)
    assert e2["paper-lstm"] == pytest.approx(2 * 1e-4 * 10 * 100)


def test_defaults_leave_out_the_slowest_models_first() -> None:
    protocol = Protocol("spatial-block", 5, 1000.0, 250.0, "")
    cal = fake_calibration({"consolidation": 1.0, "physics-lstm": 0.5})  # 800 and 400 s
    settings = default_settings(DATA, cal, budget_s=100.0, protocol=protocol)
    assert "consolidation" not in settings.models and "physics-lstm" not in settings.models
    assert "spatial-lstm" in settings.models and settings.lstm_epochs == 20
    assert settings.total_seconds <= 100.0 and "consolidation, physics-lstm left out" in settings.note
    roomy = default_settings(DATA, cal, budget_s=1e6, protocol=protocol)
    assert roomy.models == tuple(model_names()) and "left out" not in roomy.note


def test_calibration_times_every_model_quickly() -> None:
    start = time.perf_counter()
    cal = calibrate(DATA)
    assert time.perf_counter() - start < 60
    assert set(cal.fixed_s) == set(model_names())
    assert cal.epoch_s["paper-lstm"] > 0 and cal.epoch_s["persistence"] == 0
    assert cal.fixed_s["physics-lstm"] == cal.fixed_s["consolidation"] > 0


def test_stop_ends_training_within_an_epoch() -> None:
    seen = []
    with pytest.raises(Stopped, match="stopped by you"):
        cross_validate(
            DATA,
            ["persistence", "paper-lstm"],
            progress=seen.append,
            stop=lambda: any("epoch 1 of" in p.message for p in seen),
        )
    assert seen[-1].message.endswith("epoch 1 of 38") and "paper-lstm" in seen[-1].message


def test_compare_keeps_the_protocol_it_used() -> None:
    result = compare(DATA, ["persistence", "seasonal-trend"])
    assert result.protocol == default_protocol(DATA)
    assert result.block_size_m == result.protocol.block_m
    assert result.table.attrs["protocol_note"] == result.protocol.note
    assert np.isfinite(result.table["rmse_change_mm"].iloc[:2]).all()
