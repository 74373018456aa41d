"""Aquitard-drainage (consolidation) model: compaction of the compressible layer by head decline.

The model of the registry (name ``consolidation``). Its physics (the forward run from a head
history, the state before the record) is in :mod:`subsidence.models.consolidation_physics`,
its fit (settings, bounds, literature priors) in :mod:`subsidence.models.consolidation_fit`;
this module holds the model: one-step and free-running predictions, the forecast from a cut,
save and load.

One-step mode: the physics corrected by the point's own past
------------------------------------------------------------
For column ``k`` the point's observed cumulative subsidence up to epoch ``k`` is regressed on
its physics curve and on time, ``S_j ~ g P_j + v t_j`` (Bayesian ridge towards ``g = 1``,
``v = 0``; prior sds ``gain_sd`` and ``velocity_sd_mm_per_yr``, noise ``noise_mm``), and the
prediction is ``g dP_k + v dt_k``. This lets a point whose thickness or storage differs from
the regional fit, or a dewatering bowl no layer explains, correct the physics as data arrive,
using only epochs up to ``k``. Free-running mode uses the regional physics alone.
"""

from __future__ import annotations

import copy
from dataclasses import asdict
from typing import Any, ClassVar

import numpy as np

from subsidence.errors import SubsidenceError
from subsidence.models.base import ONE_STEP, ProgressCallback, StopFlag
from subsidence.models.baselines import check_fit_input, check_mode, meta_config
from subsidence.models.consolidation_fit import ConsolidationConfig, fit_parameters, layers
from subsidence.models.consolidation_physics import (
    DAYS_PER_YEAR,
    INITIAL_DAYS,
    MAX_FIT_EPOCHS,
    consolidation_integral,
    fit_epochs,
    head_history,
    responses,
    tau_days,
)
from subsidence.models.local_motion import LocalMotion, detect
from subsidence.series import SeriesData

__all__ = [
    "MAX_FIT_EPOCHS",
    "Consolidation",
    "ConsolidationConfig",
    "consolidation_integral",
    "fit_epochs",
    "head_history",
]


class Consolidation:
    """Regional consolidation physics fitted on training points (name ``consolidation``).

    After :meth:`fit`, :attr:`params` holds ``sskv_per_m``, ``sske_per_m``, ``tau_ref_days``,
    ``b_c_m``, ``gamma``, ``spinup_years`` (and whether layers were used), and
    :meth:`time_constant_days` gives ``tau`` at any points.
    """

    name: ClassVar[str] = "consolidation"

    def __init__(self, config: ConsolidationConfig | None = None) -> None:
        self.config = config if config is not None else ConsolidationConfig()
        self.params: dict[str, Any] | None = None

    # -- physics -----------------------------------------------------------------------------
    def _layers(self, data: SeriesData) -> tuple[np.ndarray, np.ndarray | None]:
        return layers(data)

    def time_constant_days(self, data: SeriesData) -> np.ndarray:
        """Fitted time constant ``tau`` (days) at each point of ``data``, shape (n,)."""
        params = self._require_fitted()
        b, k = self._layers(data)
        return tau_days(params, b, k if params["uses_permeability"] else None)

    def _causes_key(self, data: SeriesData) -> tuple[object, ...]:
        """What the physics depends on (heads, layers, dates, parameters), for a one-entry cache.

        A hindcast steps a model forward one acquisition at a time on the same heads: the
        physics, which never reads subsidence, is then computed once instead of at every step.
        """
        layers = tuple(
            None if a is None else (a.shape, float(np.sum(a)))
            for a in (data.thickness_m, data.permeability_m_per_day)
        )
        return (
            data.head_m.shape,
            float(np.sum(data.head_m)),
            float(np.sum(data.head_m * np.arange(1, data.n_epochs + 1)[None, :])),
            float(np.sum(data.xy_m)),
            layers,
            str(data.dates[0]),
            str(data.dates[-1]),
            tuple(sorted((k, str(v)) for k, v in (self.params or {}).items())),
        )

    def physics_mm(self, data: SeriesData, chunk: int = 4000) -> np.ndarray:
        """Modelled cumulative compaction (mm, 0 at the first epoch), shape (n, E)."""
        key = ("physics", self._causes_key(data))
        cached = getattr(self, "_cache", None)
        if cached is not None and cached[0] == key:
            return np.asarray(cached[1].copy(), float)
        out = self._physics_mm(data, chunk)
        self._cache = (key, out.copy())
        return out

    def _physics_mm(self, data: SeriesData, chunk: int) -> np.ndarray:
        params = self._require_fitted()
        b, _ = self._layers(data)
        tau = self.time_constant_days(data)
        days = data.days
        out = np.empty((data.n_points, data.n_epochs))
        for start in range(0, data.n_points, chunk):
            sl = slice(start, start + chunk)
            hist = head_history(data.head_m[sl], days, self._initial_days())
            r_in, r_el = responses(hist, days, b[sl], tau[sl], params["spinup_years"])
            out[sl] = params["sskv_per_m"] * r_in + params["sske_per_m"] * r_el
        return out

    # -- Model protocol ----------------------------------------------------------------------
    def fit(
        self,
        data: SeriesData,
        train_idx: np.ndarray,
        *,
        seed: int = 0,
        progress: ProgressCallback | None = None,
        stop: StopFlag | None = None,
    ) -> Consolidation:
        """Fit the regional parameters on the training points' cumulative subsidence.

        Returns a new fitted model; ``self`` is unchanged.
        """
        idx = check_fit_input(data, train_idx)
        model = copy.copy(self)
        model.params = fit_parameters(data, idx, self.config, seed=seed, progress=progress, stop=stop)
        return model

    def predict(self, data: SeriesData, mode: str = ONE_STEP) -> np.ndarray:
        """Modelled changes, shape (n, E - 1), mm; column 0 is NaN (no history)."""
        check_mode(mode)
        physics = self.physics_mm(data)
        change = np.diff(physics, axis=1)
        if mode == ONE_STEP:
            change = change + self._extrapolated_head_correction(data)
            if self.config.assimilate:
                change = self._assimilate(data, physics, change)
        change[:, 0] = np.nan
        return change

    def forecast_from(self, data: SeriesData, k: int, terms: LocalMotion | None = None) -> np.ndarray:
        """Cumulative compaction since epoch ``k`` at epochs ``k + 1 ..`` (n, E - 1 - k), mm.

        The forecast a hindcast or a scenario needs: the physics on the heads of the whole
        period (the causes), scaled by each point's gain ``g`` estimated from its InSAR up to
        epoch ``k`` only (Bayesian ridge towards 1, prior sd ``gain_sd``), plus the local
        motion no cause explains where a point moves unlike its neighbours
        (:mod:`subsidence.models.local_motion`; ``local_motion`` in the settings). The extra
        velocity of one-step mode is left out on purpose: it is what keeps a forecast sinking
        after heads turn. Subsidence after epoch ``k`` is never read. ``terms``: those of
        :meth:`point_terms` for the same data and ``k``, when already worked out.
        """
        physics = self.physics_mm(data)
        terms = self.point_terms(data, k, physics) if terms is None else terms
        since = data.days[k + 1 :] - data.days[k]
        return np.asarray(
            terms.gain[:, None] * (physics[:, k + 1 :] - physics[:, k : k + 1])
            + terms.rate_mm_per_yr[:, None] * since[None, :] / DAYS_PER_YEAR,
            float,
        )

    def point_terms(self, data: SeriesData, k: int, physics: np.ndarray | None = None) -> LocalMotion:
        """Each point's gain and local motion read from its InSAR up to epoch ``k`` (see :meth:`forecast_from`)."""
        physics = self.physics_mm(data) if physics is None else physics
        cfg = self.config
        obs = data.subsidence_mm[:, : k + 1] - data.subsidence_mm[:, :1]
        p = physics[:, : k + 1]
        w, prior = 1.0 / cfg.noise_mm**2, 1.0 / cfg.gain_sd**2
        gain = ((obs * p).sum(axis=1) * w + prior) / ((p * p).sum(axis=1) * w + prior)
        if not cfg.assimilate:
            gain = np.ones_like(gain)
        if not (cfg.assimilate and cfg.local_motion):
            return LocalMotion(np.zeros(len(gain), bool), gain, np.zeros(len(gain)))
        return detect(obs, p, gain, data.days[: k + 1], data.xy_m, threshold=cfg.local_threshold)

    def _extrapolated_head_correction(self, data: SeriesData) -> np.ndarray:
        """(n, E - 1) mm: swap interval ``k``'s own response to the observed head at ``k + 1``
        for its response to the head extrapolated from epochs ``k - 1``, ``k`` (last rate held).

        Compaction is linear in the head ramps, so only the ramp of the predicted interval
        changes; its response at the end of the interval is ``b (S_skv r tau F(dt / tau) +
        S_ske de)``.
        """
        params = self._require_fitted()
        b, _ = self._layers(data)
        tau = self.time_constant_days(data)
        dt = data.interval_days
        hist = head_history(data.head_m, data.days, self._initial_days())
        head = data.head_m
        last_rate = np.zeros_like(head[:, :-1])
        last_rate[:, 1:] = (head[:, 1:-1] - head[:, :-2]) / dt[None, :-1]
        guess = head[:, :-1] + last_rate * dt[None, :]  # head at k + 1 from epochs up to k
        pc = hist.preconsolidation_m[:, :-1]  # lowest head up to epoch k
        drop_guess = np.maximum(pc - guess, 0.0)
        elastic_guess = -(guess - head[:, :-1]) - drop_guess
        elastic_actual = np.diff(hist.elastic_m, axis=1)
        delay = tau[:, None] * consolidation_integral(dt[None, :] / tau[:, None]) / dt[None, :]
        inelastic = (drop_guess - hist.inelastic_rate_m_per_day * dt[None, :]) * delay
        elastic = elastic_guess - elastic_actual
        return np.asarray(
            1000.0 * b[:, None] * (params["sskv_per_m"] * inelastic + params["sske_per_m"] * elastic), float
        )

    def _assimilate(self, data: SeriesData, physics: np.ndarray, change: np.ndarray) -> np.ndarray:
        """One-step changes from physics corrected by each point's past (Bayesian ridge on g, v)."""
        cfg = self.config
        obs = data.subsidence_mm - data.subsidence_mm[:, :1]
        t = data.days
        dt = data.interval_days
        w = 1.0 / cfg.noise_mm**2
        prior_g = 1.0 / cfg.gain_sd**2
        prior_v = 1.0 / (cfg.velocity_sd_mm_per_yr / DAYS_PER_YEAR) ** 2
        # running sums over epochs 0..k of the normal equations
        spp = np.cumsum(physics**2, axis=1) * w + prior_g
        spt = np.cumsum(physics * t[None, :], axis=1) * w
        stt = np.cumsum(np.broadcast_to(t**2, physics.shape), axis=1) * w + prior_v
        syp = np.cumsum(obs * physics, axis=1) * w + prior_g  # prior mean g = 1
        syt = np.cumsum(obs * t[None, :], axis=1) * w
        det = spp * stt - spt**2
        g = (syp * stt - syt * spt) / det
        v = (spp * syt - spt * syp) / det
        return np.asarray(g[:, :-1] * change + v[:, :-1] * dt[None, :], float)

    def _initial_days(self) -> float:
        """Days of head that set the state before the record: the same as in the fit."""
        return float(self._require_fitted().get("initial_days", INITIAL_DAYS))

    def _require_fitted(self) -> dict[str, Any]:
        if self.params is None:
            raise SubsidenceError("the consolidation model is not fitted: call fit first")
        return self.params

    def to_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return {}, {"model": self.name, "config": asdict(self.config), "params": dict(self._require_fitted())}

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Consolidation:
        model = cls(meta_config(meta, ConsolidationConfig, cls.name))
        model.params = dict(meta["params"])
        return model
