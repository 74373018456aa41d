"""Networks that go beyond the paper: spatial context and consolidation physics.

Both reuse the paper's network, features, scaling and training loop
(:class:`subsidence.models.lstm.PaperLSTM`, :func:`~subsidence.models.lstm_net.train_sequence_model`)
and only add inputs (and, for the physics hybrid, change the target):

``spatial-lstm``
    Adds, at each step, the inverse-distance-weighted mean subsidence change and head change of
    the ``n_neighbours`` nearest *training* points over the same (lagged) interval. A training
    point never counts itself; a test point only ever reads training points, so no test value
    reaches any prediction through the neighbours.
``physics-lstm``
    Fits :class:`~subsidence.models.consolidation.Consolidation` on the training points, feeds
    its one-step prediction of the interval as an input, and learns the residual (observed
    minus physics); the prediction is physics + residual. The physics part stays
    interpretable: :attr:`PhysicsLSTM.physics` holds the fitted storage coefficients and
    :meth:`PhysicsLSTM.time_constant_days` the time constants.

Hyper-parameters: both default to :class:`HybridConfig`, Adam with a mean-square loss, 16
hidden units and early stopping on 10 % of the training points (the paper's plain SGD with
learning rate 0.001 learns too slowly for the extra inputs; see ``docs/models.md``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import torch
from scipy.spatial import cKDTree

from subsidence.errors import ModelFileError, SubsidenceError
from subsidence.features import Scaler, subsidence_feature, to_unit
from subsidence.models.base import ONE_STEP, ProgressCallback, StopFlag
from subsidence.models.baselines import check_mode
from subsidence.models.consolidation import Consolidation, ConsolidationConfig
from subsidence.models.lstm import LSTMConfig, PaperLSTM, feature_index
from subsidence.models.lstm_net import _LSTMNet
from subsidence.series import SeriesData

NEIGHBOUR_SUBSIDENCE = "neighbour_subsidence_change"
NEIGHBOUR_HEAD = "neighbour_head_change"
PHYSICS_CHANGE = "physics_change"


@dataclass(frozen=True)
class HybridConfig(LSTMConfig):
    """:class:`~subsidence.models.lstm.LSTMConfig` with the defaults measured for the hybrids.

    ``n_neighbours`` (spatial-lstm) is the number of training neighbours averaged.
    """

    hidden_size: int = 16
    optimizer: str = "adam"
    learning_rate: float = 0.01
    batch_size: int = 256
    max_epochs: int = 60
    loss: str = "mse"
    patience: int = 6
    validation_fraction: float = 0.1
    seasonal: str = "auto"
    n_neighbours: int = 8

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.n_neighbours < 1:
            raise SubsidenceError(f"n_neighbours must be >= 1; found {self.n_neighbours}")


def neighbour_weights(
    xy_m: np.ndarray, train_xy_m: np.ndarray, train_pos: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest training points of every point and their inverse-distance weights.

    Parameters
    ----------
    xy_m : ndarray, shape (n, 2)
        All points (metric CRS).
    train_xy_m : ndarray, shape (m, 2)
        Training points.
    train_pos : ndarray, shape (m,)
        Row of each training point in ``xy_m`` (so a training point can skip itself).
    k : int

    Returns
    -------
    neighbours : ndarray of int, shape (n, k)
        Indices into the training points (never the point itself).
    weights : ndarray, shape (n, k)
        ``1 / max(d, 10 m)``, normalised to sum 1 per row.
    """
    k_eff = min(k, len(train_xy_m) - 1) if len(train_xy_m) > 1 else 1
    dist, nbr = cKDTree(train_xy_m).query(xy_m, k=k_eff + 1)
    dist, nbr = dist.reshape(len(xy_m), -1), nbr.reshape(len(xy_m), -1)
    is_self = train_pos[nbr] == np.arange(len(xy_m))[:, None]
    # drop the point itself where it is a training point, else the farthest of the k + 1
    drop = np.where(is_self.any(axis=1), np.argmax(is_self, axis=1), nbr.shape[1] - 1)
    keep = np.ones_like(nbr, dtype=bool)
    keep[np.arange(len(xy_m)), drop] = False
    nbr = nbr[keep].reshape(len(xy_m), -1)
    w = 1.0 / np.maximum(dist[keep].reshape(len(xy_m), -1), 10.0)
    return nbr, w / w.sum(axis=1, keepdims=True)


class SpatialLSTM(PaperLSTM):
    """The paper's LSTM plus the lagged changes of the nearest training points (``spatial-lstm``)."""

    name: ClassVar[str] = "spatial-lstm"
    config_class: ClassVar[type[LSTMConfig]] = HybridConfig
    config: HybridConfig

    def __init__(self, config: LSTMConfig | None = None) -> None:
        # a plain LSTMConfig gets the hybrid's neighbour count (it has none: n_neighbours failed mid-fit)
        if config is not None and not isinstance(config, HybridConfig):
            config = HybridConfig.from_json(config.to_json())
        super().__init__(config)
        self.train_ps_ids: np.ndarray = np.empty(0, dtype=str)

    def select_features(self, data: SeriesData) -> tuple[str, ...]:
        return super().select_features(data) + (NEIGHBOUR_SUBSIDENCE, NEIGHBOUR_HEAD)

    def inputs(self, data: SeriesData) -> np.ndarray:
        """Paper inputs, then the neighbours' subsidence and head change of the same interval."""
        base = PaperLSTM.inputs(self._base_view(), data)
        pos = self._train_positions(data)
        nbr, w = neighbour_weights(data.xy_m, data.xy_m[pos], pos, self.config.n_neighbours)
        steps = data.n_epochs - 2
        unit, days = self.config.change_unit, data.interval_days
        extra = []
        for series in (data.change_mm, data.head_change_m):
            values = to_unit(series, days, unit)[pos][:, :steps]  # training points only
            extra.append(np.einsum("nk,nkt->nt", w, values[nbr]))
        return np.concatenate([base, np.stack(extra, axis=2).astype(np.float32)], axis=2)

    def _base_view(self) -> PaperLSTM:
        view = PaperLSTM(
            LSTMConfig.from_json({k: v for k, v in self.config.to_json().items() if k != "n_neighbours"})
        )
        view.feature_names = tuple(
            f for f in self.feature_names if f not in (NEIGHBOUR_SUBSIDENCE, NEIGHBOUR_HEAD)
        )
        return view

    def _train_positions(self, data: SeriesData) -> np.ndarray:
        where = {pid: i for i, pid in enumerate(data.ps_ids)}
        missing = [pid for pid in self.train_ps_ids if pid not in where]
        if missing or len(self.train_ps_ids) == 0:
            raise SubsidenceError(
                f"{self.name} reads its training points' series as neighbours; {len(missing)} of them "
                f"(e.g. {missing[:3]}) are not in this study area: use the area it was trained on"
            )
        return np.array([where[pid] for pid in self.train_ps_ids], dtype=np.int64)

    def fit(
        self,
        data: SeriesData,
        train_idx: np.ndarray,
        *,
        seed: int = 0,
        progress: ProgressCallback | None = None,
        stop: StopFlag | None = None,
    ) -> Self:
        """Fit on ``train_idx``; those points become the neighbour pool. Returns a new model."""
        model = copy.copy(self)
        idx = np.asarray(train_idx, dtype=np.int64)
        if idx.size < 2 or idx.min() < 0 or idx.max() >= data.n_points:
            raise SubsidenceError(f"train_idx must hold at least 2 row positions in [0, {data.n_points})")
        model.train_ps_ids = np.asarray(data.ps_ids)[idx]
        return PaperLSTM.fit(model, data, idx, seed=seed, progress=progress, stop=stop)

    def to_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays, meta = super().to_state()
        return arrays, {**meta, "train_ps_ids": [str(p) for p in self.train_ps_ids]}

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Self:
        model = super().from_state(arrays, meta)
        try:
            model.train_ps_ids = np.asarray(meta["train_ps_ids"], dtype=str)
        except KeyError as exc:
            raise ModelFileError(f"saved {cls.name} lacks its training point ids") from exc
        return model


class PhysicsLSTM(PaperLSTM):
    """Consolidation physics plus an LSTM that learns its residual (``physics-lstm``)."""

    name: ClassVar[str] = "physics-lstm"
    config_class: ClassVar[type[LSTMConfig]] = HybridConfig

    def __init__(
        self, config: LSTMConfig | None = None, physics_config: ConsolidationConfig | None = None
    ) -> None:
        super().__init__(config)
        self.physics_config = physics_config or ConsolidationConfig()
        self.physics: Consolidation | None = None
        # set on a copy while fitting or predicting, so inputs and targets share one physics run
        self._physics_change: np.ndarray | None = None
        self._interval_days: np.ndarray = np.empty(0)

    @property
    def physics_parameters(self) -> dict[str, Any]:
        """Fitted storage coefficients and time-constant law of the physics part."""
        return dict(self._require_physics().params or {})

    def time_constant_days(self, data: SeriesData) -> np.ndarray:
        """Time constant ``tau`` (days) of the physics part at each point, shape (n,)."""
        return self._require_physics().time_constant_days(data)

    def _require_physics(self) -> Consolidation:
        if self.physics is None:
            raise SubsidenceError(f"{self.name} is not fitted: call fit() or load a saved model first")
        return self.physics

    def select_features(self, data: SeriesData) -> tuple[str, ...]:
        return super().select_features(data) + (PHYSICS_CHANGE,)

    def _physics(self, data: SeriesData) -> np.ndarray:
        if self._physics_change is not None:
            return self._physics_change
        return self._require_physics().predict(data, ONE_STEP)

    def inputs(self, data: SeriesData) -> np.ndarray:
        """Paper inputs, then the physics' prediction of the interval being predicted."""
        view = PaperLSTM(
            LSTMConfig.from_json({k: v for k, v in self.config.to_json().items() if k != "n_neighbours"})
        )
        view.feature_names = tuple(f for f in self.feature_names if f != PHYSICS_CHANGE)
        base = PaperLSTM.inputs(view, data)
        physics = to_unit(self._physics(data)[:, 1:], data.interval_days[1:], self.config.change_unit)
        return np.concatenate([base, physics[..., None].astype(np.float32)], axis=2)

    def targets(self, data: SeriesData) -> np.ndarray:
        """Observed minus physics change, columns 1 .. E - 2, in ``change_unit``."""
        physics = to_unit(self._physics(data)[:, 1:], data.interval_days[1:], self.config.change_unit)
        return np.asarray((super().targets(data) - physics).astype(np.float32))

    def fit(
        self,
        data: SeriesData,
        train_idx: np.ndarray,
        *,
        seed: int = 0,
        progress: ProgressCallback | None = None,
        stop: StopFlag | None = None,
    ) -> Self:
        """Fit the physics on ``train_idx``, then the LSTM on its residual. Returns a new model."""
        model = copy.copy(self)
        model.physics = Consolidation(self.physics_config).fit(data, train_idx, seed=seed, stop=stop)
        model._physics_change = model.physics.predict(data, ONE_STEP)
        fitted = PaperLSTM.fit(model, data, train_idx, seed=seed, progress=progress, stop=stop)
        fitted._physics_change = None
        return fitted

    def predict(self, data: SeriesData, mode: str = ONE_STEP) -> np.ndarray:
        """Physics + learnt residual, shape (n, E - 1), mm per interval; column 0 NaN.

        In free-running mode the physics runs on the observed heads alone and the network's
        subsidence input is the model's own total (physics + residual) change.
        """
        check_mode(mode)
        model = copy.copy(self)
        model._physics_change = model._require_physics().predict(data, mode)
        model._interval_days = data.interval_days
        residual = PaperLSTM.predict(model, data, mode)
        return np.asarray(residual + model._physics_change)

    def _free_run(self, net: _LSTMNet, x: torch.Tensor, xs: Scaler, ys: Scaler) -> np.ndarray:
        j = feature_index(self.feature_names, subsidence_feature(self.config.change_unit))
        assert self._physics_change is not None
        physics = to_unit(self._physics_change[:, 1:], self._interval_days[1:], self.config.change_unit)
        state, outputs = None, list[torch.Tensor]()
        for t in range(x.shape[1]):
            step = x[:, t : t + 1, :].clone()
            if t > 0:
                total = ys.inverse(outputs[-1].numpy()[:, None])[:, 0] + physics[:, t - 1]
                step[:, 0, j] = torch.as_tensor(
                    (total - xs.low[j]) / (xs.high[j] - xs.low[j]), dtype=step.dtype
                )
            out, state = net(step, state)
            outputs.append(out[:, 0])
        return torch.stack(outputs, dim=1).numpy()

    def to_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays, meta = super().to_state()
        _, physics_meta = self._require_physics().to_state()
        return arrays, {**meta, "physics": physics_meta}

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Self:
        model = super().from_state(arrays, meta)
        try:
            model.physics = Consolidation.from_state({}, meta["physics"])
        except (KeyError, TypeError) as exc:
            raise ModelFileError(f"saved {cls.name} lacks a usable physics part: {exc}") from exc
        model.physics_config = model.physics.config
        return model
