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

Layout: :class:`_LSTMNet` only does tensor maths; :func:`train_sequence_model` is the training
loop on tensors (reused by other sequence models); :class:`PaperLSTM` owns the features,
scalers, seed, prediction modes and state.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from subsidence.errors import ModelFileError, SubsidenceError
from subsidence.features import (
    CHANGE_UNITS,
    PER_30_DAYS,
    Scaler,
    available_features,
    sequence_inputs,
    sequence_targets,
    subsidence_feature,
    to_interval,
)
from subsidence.models.base import MODES, ONE_STEP, ProgressCallback, StopFlag, TrainingProgress
from subsidence.series import SeriesData
from subsidence.threads import torch_threads

OPTIMIZERS = ("sgd", "adam")
LOSSES = ("sse", "mse", "sse-steps")
TARGET_NAME = "target"
SEASONAL = ("off", "auto")


@dataclass(frozen=True)
class LSTMConfig:
    """Hyper-parameters of a sequence LSTM; the defaults are the paper's.

    Attributes
    ----------
    hidden_size : int
        LSTM hidden units (paper: 8).
    num_layers : int
        Stacked LSTM layers (paper: 1).
    optimizer : {"sgd", "adam"}
        "sgd" is the paper's plain gradient descent (no momentum).
    learning_rate : float
        Paper: 0.001.
    batch_size : int
        Point sequences per gradient step (paper: 38).
    max_epochs : int
        Passes over the training points (paper: 38).
    loss : {"sse", "mse", "sse-steps"}
        "sse" (the paper's "sum of variance", per sample): the sum over the batch's point
        sequences of each sequence's mean square over its steps. "mse": the mean over points
        and steps. "sse-steps": the sum over points and steps; with plain gradient descent at
        0.001 it diverges on the demo (its gradient is ~36 times the "sse" one).
    patience : int
        Early stopping: stop after this many epochs without a better validation loss and keep
        the best weights; 0 turns it off. Needs ``validation_fraction > 0``.
    validation_fraction : float
        Share of the training points held back to report (and early-stop on) a validation
        loss; 0 (the paper's) trains on all training points.
    change_unit : {"per-30-days", "per-interval"}
        Unit of the changes the model sees and predicts (see :mod:`subsidence.features`).
    seasonal : {"off", "auto"}
        "auto" adds the season of the predicted interval (``season_sin``, ``season_cos``) to
        the inputs when the series is dense enough to show one (a year, median interval at most
        61 days), so the network can represent a reversible seasonal swing; "off" (the paper's
        four inputs) never does.

    The seed is not part of the config: it is the ``seed`` argument of ``fit`` (the
    :class:`~subsidence.models.base.Model` protocol) and is saved with the fitted model.
    """

    hidden_size: int = 8
    num_layers: int = 1
    optimizer: str = "sgd"
    learning_rate: float = 0.001
    batch_size: int = 38
    max_epochs: int = 38
    loss: str = "sse"
    patience: int = 0
    validation_fraction: float = 0.0
    change_unit: str = PER_30_DAYS
    seasonal: str = "off"

    def __post_init__(self) -> None:
        checks = [
            (
                self.optimizer in OPTIMIZERS,
                f"optimizer {self.optimizer!r}: expected one of {', '.join(OPTIMIZERS)}",
            ),
            (self.loss in LOSSES, f"loss {self.loss!r}: expected one of {', '.join(LOSSES)}"),
            (
                self.change_unit in CHANGE_UNITS,
                f"change_unit {self.change_unit!r}: expected one of {', '.join(CHANGE_UNITS)}",
            ),
            (self.seasonal in SEASONAL, f"seasonal {self.seasonal!r}: expected one of {', '.join(SEASONAL)}"),
            (self.hidden_size >= 1, f"hidden_size must be >= 1; found {self.hidden_size}"),
            (self.num_layers >= 1, f"num_layers must be >= 1; found {self.num_layers}"),
            (self.learning_rate > 0, f"learning_rate must be > 0; found {self.learning_rate}"),
            (self.batch_size >= 1, f"batch_size must be >= 1; found {self.batch_size}"),
            (self.max_epochs >= 1, f"max_epochs must be >= 1; found {self.max_epochs}"),
            (self.patience >= 0, f"patience must be >= 0; found {self.patience}"),
            (
                0.0 <= self.validation_fraction < 1.0,
                f"validation_fraction must be in [0, 1); found {self.validation_fraction}",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise SubsidenceError(message)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> LSTMConfig:
        """Rebuild from :meth:`to_json`; unknown keys are refused (a newer file)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(obj) - known)
        if unknown:
            raise SubsidenceError(
                f"{cls.__name__}: unknown settings {', '.join(unknown)}; expected some of {', '.join(sorted(known))}"
            )
        return cls(**obj)


class _LSTMNet(nn.Module):
    """LSTM (batch_first) + linear read-out: (n, T, F) -> (n, T)."""

    def __init__(self, n_inputs: int, hidden_size: int, num_layers: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(n_inputs, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        out, state = self.lstm(x, state)
        return self.head(out).squeeze(-1), state


def build_network(n_inputs: int, config: LSTMConfig, seed: int) -> _LSTMNet:
    """A freshly initialised network; the initial weights depend on ``seed`` only.

    The global torch random state is left as it was (``torch.random.fork_rng``).
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return _LSTMNet(n_inputs, config.hidden_size, config.num_layers)


@dataclass(frozen=True)
class SequenceFit:
    """Result of :func:`train_sequence_model`.

    Attributes
    ----------
    net : the trained network (best validation weights when early stopping was on)
    history : one :class:`TrainingProgress` per completed epoch
    epochs_trained : completed epochs
    stopped : True when the ``stop`` flag ended training early
    """

    net: _LSTMNet
    history: tuple[TrainingProgress, ...]
    epochs_trained: int
    stopped: bool


def _mean_square(net: _LSTMNet, x: torch.Tensor, y: torch.Tensor, m: torch.Tensor) -> float:
    with torch.no_grad():
        return float((((net(x)[0] - y) * m) ** 2).sum() / m.sum().clamp(min=1))


def train_sequence_model(
    x: np.ndarray,
    y: np.ndarray,
    config: LSTMConfig,
    *,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    stop: StopFlag | None = None,
    net: _LSTMNet | None = None,
    mask: np.ndarray | None = None,
) -> SequenceFit:
    """Train an LSTM to map input sequences to target sequences (scaled units).

    Parameters
    ----------
    x : ndarray, shape (n, T, F)
        Scaled inputs of the training points; step ``t`` may only hold what is known when
        ``y[:, t]`` is to be predicted (the caller lags the inputs).
    y : ndarray, shape (n, T)
        Scaled targets.
    config : LSTMConfig
    seed : int
        Seeds the initial weights, the validation hold-out and the batch order; the result is
        the same for the same seed and thread count.
    progress : callable, optional
        Called after each epoch with a :class:`TrainingProgress` (mean squares, scaled).
    stop : callable, optional
        Checked before every batch; when it returns True training ends and the weights so far
        are returned.
    net : _LSTMNet, optional
        A network to start from (default: :func:`build_network` with ``seed``).
    mask : ndarray of bool, shape (n, T), optional
        False where a target was not observed (an InSAR gap): those steps add nothing to the
        loss. Default: every target counts.

    Returns
    -------
    SequenceFit
    """
    x_t = torch.as_tensor(np.asarray(x, dtype=np.float32))
    y_t = torch.as_tensor(np.asarray(y, dtype=np.float32))
    if x_t.ndim != 3 or y_t.shape != x_t.shape[:2]:
        raise SubsidenceError(
            f"expected x (n, T, F) and y (n, T); found {tuple(x_t.shape)} and {tuple(y_t.shape)}"
        )
    m_t = torch.ones_like(y_t) if mask is None else torch.as_tensor(np.asarray(mask, dtype=np.float32))
    if m_t.shape != y_t.shape:
        raise SubsidenceError(f"mask has shape {tuple(m_t.shape)}; expected {tuple(y_t.shape)} like y")
    n = x_t.shape[0]
    n_val = int(round(n * config.validation_fraction)) if n > 1 else 0
    if config.validation_fraction > 0:
        n_val = min(max(n_val, 1), n - 1)
    if n - n_val < 1:
        raise SubsidenceError("no training points to fit on")
    order = np.random.default_rng(seed).permutation(n)
    val, fit = torch.as_tensor(np.sort(order[:n_val])), torch.as_tensor(np.sort(order[n_val:]))
    x_fit, y_fit, x_val, y_val = x_t[fit], y_t[fit], x_t[val], y_t[val]
    m_fit, m_val = m_t[fit], m_t[val]

    net = net if net is not None else build_network(x_t.shape[2], config, seed)
    opt_class = torch.optim.SGD if config.optimizer == "sgd" else torch.optim.Adam
    optimizer = opt_class(net.parameters(), lr=config.learning_rate)
    generator = torch.Generator().manual_seed(seed)
    reduce = {
        "sse": lambda r, m: (r.sum(dim=1) / m.sum(dim=1).clamp(min=1)).sum(),
        "mse": lambda r, m: r.sum() / m.sum().clamp(min=1),
        "sse-steps": lambda r, m: r.sum(),
    }[config.loss]

    history: list[TrainingProgress] = []
    best_loss, best_state, since_best = float("inf"), None, 0
    stopped = False
    for epoch in range(1, config.max_epochs + 1):
        net.train()
        total, count = 0.0, 0
        for batch in torch.randperm(len(fit), generator=generator).split(config.batch_size):
            if stop is not None and stop():
                stopped = True
                break
            weight = m_fit[batch]
            residual = (net(x_fit[batch])[0] - y_fit[batch]) * weight
            loss = reduce(residual**2, weight)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float((residual.detach() ** 2).sum())
            count += int(weight.sum())
            if not np.isfinite(total):
                raise SubsidenceError(
                    f"training diverged in epoch {epoch} (loss is not finite) with {config.optimizer} at "
                    f"learning rate {config.learning_rate:g} and loss {config.loss!r}; lower the learning rate "
                    "or use loss 'sse' or 'mse'"
                )
        if stopped:
            break
        net.eval()
        val_loss = _mean_square(net, x_val, y_val, m_val) if n_val else None
        report = TrainingProgress(epoch, config.max_epochs, total / max(count, 1), val_loss)
        history.append(report)
        if progress is not None:
            progress(report)
        if val_loss is not None and config.patience > 0:
            if val_loss < best_loss:
                best_loss, best_state, since_best = val_loss, copy.deepcopy(net.state_dict()), 0
            else:
                since_best += 1
                if since_best >= config.patience:
                    break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return SequenceFit(net, tuple(history), len(history), stopped)


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
    ) -> PaperLSTM:
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
        outputs = []
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
    def from_state(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> PaperLSTM:
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
