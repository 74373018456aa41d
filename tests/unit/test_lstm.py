"""The paper's LSTM: shapes, no look-ahead, determinism, learning, stop flag, state."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from subsidence.errors import SubsidenceError
from subsidence.models.base import FREE_RUNNING, TrainingProgress
from subsidence.models.lstm import LSTMConfig, PaperLSTM
from subsidence.models.lstm_net import train_sequence_model
from subsidence.validation.splits import random_split
from tests.unit.test_features import make_series

QUICK = LSTMConfig(max_epochs=2)
LEARN = LSTMConfig(optimizer="adam", learning_rate=0.01, batch_size=16, max_epochs=40)


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    return make_series(n=240, n_epochs=20)


@pytest.fixture(scope="module")
def fitted(data):  # type: ignore[no-untyped-def]
    train, _ = random_split(data.n_points, 0.3, seed=0)
    return PaperLSTM(LEARN).fit(data, train, seed=0)


def test_paper_defaults() -> None:
    c = LSTMConfig()
    assert (c.hidden_size, c.num_layers, c.optimizer, c.learning_rate, c.batch_size, c.max_epochs, c.loss) == (
        8, 1, "sgd", 0.001, 38, 38, "sse",
    )  # fmt: skip
    with pytest.raises(SubsidenceError, match="optimizer"):
        LSTMConfig(optimizer="rmsprop")


def test_predictions_have_the_change_layout(data, fitted) -> None:  # type: ignore[no-untyped-def]
    for mode in ("one-step", FREE_RUNNING):
        out = fitted.predict(data, mode)
        assert out.shape == (data.n_points, data.n_epochs - 1)
        assert np.isnan(out[:, 0]).all() and np.isfinite(out[:, 1:]).all()
    # the first free-running step sees the same observed inputs as the one-step prediction
    np.testing.assert_allclose(
        fitted.predict(data)[:, 1], fitted.predict(data, FREE_RUNNING)[:, 1], rtol=1e-5
    )
    with pytest.raises(SubsidenceError, match="mode"):
        fitted.predict(data, "two-step")


@pytest.mark.parametrize("mode", ["one-step", FREE_RUNNING])
def test_no_look_ahead(data, fitted, mode) -> None:  # type: ignore[no-untyped-def]
    t = 9  # change everything observed after epoch t: columns <= t must not move
    later = replace(
        data,
        subsidence_mm=np.c_[
            data.subsidence_mm[:, : t + 1], data.subsidence_mm[:, t + 1 :] + 50.0 * np.arange(1, 11)
        ],
        head_m=np.c_[data.head_m[:, : t + 1], data.head_m[:, t + 1 :] - 20.0],
    )
    before, after = fitted.predict(data, mode), fitted.predict(later, mode)
    np.testing.assert_array_equal(before[:, : t + 1], after[:, : t + 1])
    assert np.abs(before[:, t + 2 :] - after[:, t + 2 :]).max() > 1e-3


def test_beats_persistence_on_the_test_points(data, fitted) -> None:  # type: ignore[no-untyped-def]
    _, test = random_split(data.n_points, 0.3, seed=0)
    observed = data.change_mm[test, 1:]
    lstm = np.sqrt(np.mean((fitted.predict(data)[test, 1:] - observed) ** 2))
    persistence = np.sqrt(np.mean((data.change_mm[test, :-1] - observed) ** 2))
    assert lstm < 0.8 * persistence


def test_paper_settings_learn_something(data) -> None:  # type: ignore[no-untyped-def]
    train, _ = random_split(data.n_points, 0.3, seed=0)
    losses: list[TrainingProgress] = []
    PaperLSTM(LSTMConfig(max_epochs=6)).fit(data, train, seed=0, progress=losses.append)
    assert [p.epoch for p in losses] == list(range(1, 7)) and losses[-1].train_loss < losses[0].train_loss


def test_seeded_training_is_deterministic_and_fit_returns_a_new_model(data) -> None:  # type: ignore[no-untyped-def]
    train, _ = random_split(data.n_points, 0.3, seed=0)
    blank = PaperLSTM(QUICK)
    a, b = blank.fit(data, train, seed=7), blank.fit(data, train, seed=7)
    c = blank.fit(data, train, seed=8)
    assert not blank.is_fitted and a is not blank
    np.testing.assert_array_equal(a.predict(data), b.predict(data))
    assert not np.allclose(a.predict(data)[:, 1:], c.predict(data)[:, 1:])


def test_fit_leaves_the_global_torch_random_state_alone(data) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    PaperLSTM(QUICK).fit(data, np.arange(100), seed=0)
    assert torch.equal(torch.rand(3), expected)


def test_scalers_see_the_training_points_only(data) -> None:  # type: ignore[no-untyped-def]
    train = np.flatnonzero(data.thickness_m < 30)
    model = PaperLSTM(QUICK).fit(data, train, seed=0)
    j = model.feature_names.index("thickness_m")
    assert model.input_scaler.high[j] == pytest.approx(data.thickness_m[train].max(), rel=1e-6)
    assert model.input_scaler.high[j] < data.thickness_m.max() - 5


def test_stop_flag_and_validation_loss(data) -> None:  # type: ignore[no-untyped-def]
    calls = iter(range(1000))
    reports: list[TrainingProgress] = []
    config = LSTMConfig(max_epochs=5, validation_fraction=0.2)
    # 168 training points - 34 held out = 134 -> 4 batches of 38 per epoch: stop in epoch 3
    model = PaperLSTM(config).fit(
        data, np.arange(168), seed=0, progress=reports.append, stop=lambda: next(calls) >= 9
    )
    assert model.epochs_trained == 2 and len(reports) == 2
    assert all(r.val_loss is not None and r.val_loss > 0 for r in reports)


def test_divergence_is_reported_not_saved(data) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SubsidenceError, match="diverged"):
        PaperLSTM(LSTMConfig(max_epochs=3, learning_rate=50.0, loss="sse-steps")).fit(
            data, np.arange(150), seed=0
        )


def test_training_loop_takes_tensors_of_any_feature_count() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(64, 10, 6)).astype(np.float32)
    y = x[:, :, 2] * 0.5
    result = train_sequence_model(
        x, y, LSTMConfig(optimizer="adam", learning_rate=0.02, max_epochs=30), seed=1
    )
    assert result.epochs_trained == 30 and result.history[-1].train_loss < 0.2 * result.history[0].train_loss


def test_state_round_trip(data, fitted) -> None:  # type: ignore[no-untyped-def]
    arrays, meta = fitted.to_state()
    again = PaperLSTM.from_state(arrays, meta)
    np.testing.assert_array_equal(again.predict(data), fitted.predict(data))
    assert again.feature_names == fitted.feature_names and again.config == fitted.config


def test_the_shipped_demo_model_loads_and_predicts_as_before() -> None:
    import json
    from pathlib import Path

    from safetensors.numpy import load_file

    folder = Path(__file__).parents[2] / "models" / "paper-lstm-demo"
    meta = json.loads((folder / "model.json").read_text())["state"]
    model = PaperLSTM.from_state(load_file(folder / "weights.safetensors"), meta)
    assert model.config.seasonal == "off" and len(model.feature_names) == 4
    pred = model.predict(make_series(n=50, n_epochs=20))
    # figures from the library before seasonal inputs and masks were added (commit ec3d476)
    assert float(np.nansum(pred)) == pytest.approx(-3.543397128582022, rel=1e-6)
    assert float(np.nansum(np.abs(pred))) == pytest.approx(976.4574171781541, rel=1e-6)


def test_unobserved_targets_do_not_move_the_weights(data) -> None:  # type: ignore[no-untyped-def]
    observed = np.ones(data.subsidence_mm.shape, dtype=bool)
    observed[:, 10] = False  # changes 9 and 10 unobserved: their targets are masked
    masked = replace(data, observed=observed)
    spoiled = masked.subsidence_mm.copy()
    spoiled[:, 10] += 500.0  # a wild value where nothing was measured
    train = np.arange(100)
    clean = PaperLSTM(QUICK).fit(masked, train, seed=0)
    wild = PaperLSTM(QUICK).fit(replace(masked, subsidence_mm=spoiled), train, seed=0)
    # the wild value still enters the scalers and the inputs, so compare with the same scalers
    assert wild.target_scaler != clean.target_scaler
    plain = PaperLSTM(QUICK).fit(replace(data, subsidence_mm=spoiled), train, seed=0)
    assert wild.history[-1].train_loss < plain.history[-1].train_loss


def test_training_mask_must_match_the_targets() -> None:
    x, y = np.zeros((4, 5, 2)), np.zeros((4, 5))
    with pytest.raises(SubsidenceError, match="mask"):
        train_sequence_model(x, y, QUICK, mask=np.ones((4, 4), bool))
    fit = train_sequence_model(x, y, QUICK, mask=np.zeros((4, 5), bool))
    assert fit.history[-1].train_loss == 0.0


def test_seasonal_inputs_only_when_asked_and_dense_enough(data) -> None:  # type: ignore[no-untyped-def]
    from subsidence.features import SEASON_FEATURES

    train = np.arange(100)
    assert not set(SEASON_FEATURES) & set(PaperLSTM(QUICK).fit(data, train).feature_names)
    seasonal = PaperLSTM(replace(QUICK, seasonal="auto")).fit(data, train)
    assert seasonal.feature_names[-2:] == SEASON_FEATURES
    again = PaperLSTM.from_state(*seasonal.to_state())
    np.testing.assert_array_equal(again.predict(data), seasonal.predict(data))
    short = replace(
        data, dates=data.dates[:8], subsidence_mm=data.subsidence_mm[:, :8], head_m=data.head_m[:, :8]
    )
    assert (
        PaperLSTM(replace(QUICK, seasonal="auto")).fit(short, train).feature_names[-1] != SEASON_FEATURES[-1]
    )
    with pytest.raises(SubsidenceError, match="seasonal"):
        LSTMConfig(seasonal="yes")


def test_torch_threads_are_set_for_the_block_and_restored(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from subsidence.threads import ENV_VARIABLE, model_threads, torch_threads

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with torch_threads() as n:
            assert n == 1 and torch.get_num_threads() == 1
            with torch_threads():  # nested use keeps the setting; the outer one restores
                pass
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        monkeypatch.setenv(ENV_VARIABLE, "2")
        assert model_threads() == 2
        monkeypatch.setenv(ENV_VARIABLE, "many")
        assert model_threads() == 1
    finally:
        torch.set_num_threads(before)
