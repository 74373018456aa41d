"""The paper's LSTM network, its settings and its training loop (tensor maths only).

:class:`LSTMConfig` holds the paper's settings (defaults) and their interpretations (see
:mod:`subsidence.models.lstm`); :class:`_LSTMNet` is the network, (n, T, F) -> (n, T);
:func:`train_sequence_model` the training loop on arrays, reused by the hybrid models.
:class:`subsidence.models.lstm.PaperLSTM` owns the features, scalers, seed and state.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any, Self

import numpy as np
import torch
from torch import nn

from subsidence.errors import SubsidenceError
from subsidence.features import (
    CHANGE_UNITS,
    PER_30_DAYS,
)
from subsidence.models.base import ProgressCallback, StopFlag, TrainingProgress

OPTIMIZERS = ("sgd", "adam")
LOSSES = ("sse", "mse", "sse-steps")
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
    def from_json(cls, obj: dict[str, Any]) -> Self:
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
    reduce: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = {
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
        for batch in torch.split(torch.randperm(len(fit), generator=generator), config.batch_size):
            if stop is not None and stop():
                stopped = True
                break
            weight = m_fit[batch]
            residual = (net(x_fit[batch])[0] - y_fit[batch]) * weight
            loss = reduce(residual**2, weight)
            optimizer.zero_grad()
            torch.autograd.backward(loss)
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
