"""The paper's LSTM (Li et al. 2020): four inputs per step, 8 hidden units, one output.

Settings of the paper, kept as the defaults of :class:`LSTMConfig`: LSTM input 4 (change in
InSAR subsidence, change in kriged confined head, compressible-layer thickness, permeability
coefficient), hidden 8, output 1, tanh (inside the LSTM cell), learning rate 0.001, batch size
38, plain gradient descent, sum-of-squares loss, 38 epochs, min-max scaled inputs, random 70/30
split of the points.

Interpretations (the paper leaves them open):

* "batch size 38" = 38 point sequences per gradient step; each sequence is a whole point
  history of ``E - 2`` steps (see :mod:`subsidence.features` for the layout);
* the sum-of-squares loss is summed over the batch's samples (point sequences), each
  sample's loss being its mean square over the steps of the min-max scaled target (summing
  over steps as well makes plain gradient descent at 0.001 diverge, see ``docs/metrics.md``);
  the losses reported to ``progress`` are mean squares per point and step (scaled),
  so that they compare across batch sizes and loss choices;
* the target is the next subsidence change in the config's ``change_unit`` (default a rate
  per 30 days), min-max scaled on the training points; predictions are converted back to mm
  per acquisition interval.

Layout: :mod:`subsidence.models.lstm_net` holds :class:`LSTMConfig`, the network (tensor maths
only) and :func:`~subsidence.models.lstm_net.train_sequence_model`, the training loop on
tensors (reused by other sequence models); :class:`PaperLSTM` here owns the features,
scalers, seed, prediction modes and state.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, ClassVar, Self

import numpy as np
import torch

from subsidence.errors import ModelFileError, SubsidenceError
from subsidence.features import (
    Scaler,
    available_features,
    sequence_inputs,
    sequence_targets,
    subsidence_feature,
    to_interval,
)
from subsidence.models.base import MODES, ONE_STEP, ProgressCallback, StopFlag, TrainingProgress
from subsidence.models.lstm_net import LSTMConfig as LSTMConfig  # the model's settings, imported with it
from subsidence.models.lstm_net import _LSTMNet, train_sequence_model
from subsidence.series import SeriesData
from subsidence.threads import torch_threads

TARGET_NAME = "target"


class PaperLSTM:
    """The paper's LSTM as a :class:`~subsidence.models.base.Model` (name ``paper-lstm``).

    Subclasses (other sequence models) may override :attr:`name`, :attr:`config_class`,
    :meth:`select_features`, :meth:`inputs` and :meth:`targets`; fitting, prediction modes and
    state stay the same.

    Parameters
    ----------
    config : LSTMConfig, optional
        Defaults to the paper's settings.
    """

    name: ClassVar[str] = "paper-lstm"
    config_class: ClassVar[type[LSTMConfig]] = LSTMConfig

    def __init__(self, config: LSTMConfig | None = None) -> None:
        self.config = config if config is not None else self.config_class()
        self.feature_names: tuple[str, ...] = ()
        self.input_scaler: Scaler | None = None
        self.target_scaler: Scaler | None = None
        self.history: tuple[TrainingProgress, ...] = ()
        self.epochs_trained = 0
        self.seed: int | None = None
        self._net: _LSTMNet | None = None

    # --- hooks for subclasses --------------------------------------------------------------

    def select_features(self, data: SeriesData) -> tuple[str, ...]:
        """Input feature names for ``data`` (the paper's four, minus absent layers, plus the
        season when ``config.seasonal`` is "auto" and the series is dense enough)."""
        return available_features(data, self.config.change_unit, seasonal=self.config.seasonal == "auto")

    def inputs(self, data: SeriesData) -> np.ndarray:
        """Unscaled inputs, shape (n, E - 2, F), for :attr:`feature_names`."""
        return sequence_inputs(data, self.feature_names, self.config.change_unit)

    def targets(self, data: SeriesData) -> np.ndarray:
        """Unscaled targets, shape (n, E - 2): change columns 1 .. E - 2 in ``change_unit``."""
        return sequence_targets(data, self.config.change_unit)

    def target_mask(self, data: SeriesData) -> np.ndarray:
        """True where the target change (columns 1 .. E - 2) was observed at both ends, (n, E - 2)."""
        return data.change_observed[:, 1:]

    # --- Model protocol --------------------------------------------------------------------

    @property
    def is_fitted(self) -> bool:
        return self._net is not None

    def fit(
        self,
        data: SeriesData,
        train_idx: np.ndarray,
        *,
        seed: int = 0,
        progress: ProgressCallback | None = None,
        stop: StopFlag | None = None,
    ) -> Self:
        """Fit on the points ``train_idx``; returns a new fitted model (``self`` is unchanged).

        Scalers are fitted on the training points only; unobserved target changes
        (``data.observed``) add nothing to the loss. Deterministic for a seed; torch runs with
        :func:`subsidence.threads.torch_threads` (1 thread, measured fastest here).
        """
        train_idx = np.asarray(train_idx, dtype=np.int64)
        if train_idx.size == 0 or train_idx.min() < 0 or train_idx.max() >= data.n_points:
            raise SubsidenceError(
                f"train_idx must hold row positions in [0, {data.n_points}); found {train_idx.size} values out of range or none"
            )
        model = copy.copy(self)
        model.feature_names = self.select_features(data)
        x, y = model.inputs(data)[train_idx], model.targets(data)[train_idx]
        model.input_scaler = Scaler.fit(x, model.feature_names)
        model.target_scaler = Scaler.fit(y[..., None], [TARGET_NAME])
        with torch_threads():
            result = train_sequence_model(
                model.input_scaler.transform(x),
                model.target_scaler.transform(y[..., None])[..., 0],
                self.config,
                seed=seed,
                progress=progress,
                stop=stop,
                mask=model.target_mask(data)[train_idx],
            )
        model._net, model.history, model.epochs_trained, model.seed = (
            result.net,
            result.history,
            result.epochs_trained,
            seed,
        )
        return model

    def predict(self, data: SeriesData, mode: str = ONE_STEP) -> np.ndarray:
        """Modelled changes, shape (n, E - 1), mm per interval, positive = down; column 0 NaN.

        Parameters
        ----------
        mode : {"one-step", "free-running"}
            "one-step" feeds observed changes (inputs up to epoch ``k`` for column ``k``);
            "free-running" starts from the observed change of column 0, then feeds the model's
            own predicted subsidence changes back in place of the observed ones (head and
            layers stay observed).
        """
        if mode not in MODES:
            raise SubsidenceError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
        net, xs, ys = self._require_fitted()
        x = torch.as_tensor(xs.transform(self.inputs(data)))
        with torch.no_grad(), torch_threads():
            if mode == ONE_STEP:
                scaled = net(x)[0].numpy()
            else:
                scaled = self._free_run(net, x, xs, ys)
        rate = ys.inverse(scaled[..., None])[..., 0]
        change = to_interval(rate, data.interval_days[1:], self.config.change_unit)
        return np.concatenate([np.full((data.n_points, 1), np.nan), change], axis=1)

    def _free_run(self, net: _LSTMNet, x: torch.Tensor, xs: Scaler, ys: Scaler) -> np.ndarray:
        j = feature_index(self.feature_names, subsidence_feature(self.config.change_unit))
        state = None
        outputs: list[torch.Tensor] = []
        step = x[:, :1, :]
        for t in range(x.shape[1]):
            if t > 0:
                step = x[:, t : t + 1, :].clone()
                rate = ys.inverse(outputs[-1].numpy()[:, None])[:, 0]
                step[:, 0, j] = torch.as_tensor(
                    (rate - xs.low[j]) / (xs.high[j] - xs.low[j]), dtype=step.dtype
                )
            out, state = net(step, state)
            outputs.append(out[:, 0])
        return torch.stack(outputs, dim=1).numpy()

    def _require_fitted(self) -> tuple[_LSTMNet, Scaler, Scaler]:
        if self._net is None or self.input_scaler is None or self.target_scaler is None:
            raise SubsidenceError(f"{self.name} is not fitted: call fit() or load a saved model first")
        return self._net, self.input_scaler, self.target_scaler

    def to_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Weights as arrays and JSON-safe metadata (config, features, scalers, history)."""
        net, xs, ys = self._require_fitted()
        arrays = {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}
        meta = {
            "config": self.config.to_json(),
            "feature_names": list(self.feature_names),
            "input_scaler": xs.to_json(),
            "target_scaler": ys.to_json(),
            "epochs_trained": self.epochs_trained,
            "seed": self.seed,
            "history": [[h.epoch, h.train_loss, h.val_loss] for h in self.history],
        }
        return arrays, meta

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Self:
        """Rebuild a fitted model from :meth:`to_state`'s output.

        Raises
        ------
        ModelFileError
            When the metadata or the arrays do not describe a model of this class.
        """
        try:
            config = cls.config_class.from_json(meta["config"])
            model = cls(config)
            model.feature_names = tuple(meta["feature_names"])
            model.input_scaler = Scaler.from_json(meta["input_scaler"])
            model.target_scaler = Scaler.from_json(meta["target_scaler"])
            model.epochs_trained = int(meta.get("epochs_trained", 0))
            model.seed = meta.get("seed")
            model.history = tuple(
                TrainingProgress(int(e), config.max_epochs, float(t), None if v is None else float(v))
                for e, t, v in meta.get("history", [])
            )
            if model.input_scaler.names != model.feature_names:
                raise ModelFileError("input scaler names differ from the feature names")
            net = _LSTMNet(len(model.feature_names), config.hidden_size, config.num_layers)
            net.load_state_dict({k: torch.tensor(np.array(v)) for k, v in arrays.items()})
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ModelFileError(f"saved {cls.name} state is not usable: {exc}") from exc
        net.eval()
        model._net = net
        return model


def feature_index(names: Sequence[str], name: str) -> int:
    """Position of ``name`` in ``names``; SubsidenceError naming the list otherwise."""
    if name not in names:
        raise SubsidenceError(f"this model needs the input {name!r}; its inputs are {', '.join(names)}")
    return list(names).index(name)
