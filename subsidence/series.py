"""The model inputs: per-point time series of subsidence and its causes (:class:`SeriesData`).

Produced by :func:`subsidence.features.series_data` from a study area and its kriged causes;
read by every model (:mod:`subsidence.models`), the splits, cross-validation and the pages.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SeriesData:
    """Per-point time series of subsidence and its causes, in physical units.

    Attributes
    ----------
    ps_ids : ndarray of str, shape (n,)
    xy_m : ndarray, shape (n, 2)
        Coordinates in the study area's metric ``work_crs``.
    dates : DatetimeIndex, shape (E,)
    subsidence_mm : ndarray, shape (n, E)
        Cumulative subsidence, mm, positive = down, 0 at the first epoch; gaps filled by
        linear interpolation in time so that no value is NaN.
    head_m : ndarray, shape (n, E)
        Kriged confined groundwater level at each point, metres above datum.
    thickness_m : ndarray, shape (n,), or None
    permeability_m_per_day : ndarray, shape (n,), or None
    observed : ndarray of bool, shape (n, E), or None
        True where InSAR measured a value (before gap filling); None: every value observed.
        Training losses and metrics skip what was not observed (:attr:`change_observed`).
    """

    ps_ids: np.ndarray
    xy_m: np.ndarray
    dates: pd.DatetimeIndex
    subsidence_mm: np.ndarray
    head_m: np.ndarray
    thickness_m: np.ndarray | None
    permeability_m_per_day: np.ndarray | None
    observed: np.ndarray | None = None

    @property
    def n_points(self) -> int:
        return int(self.subsidence_mm.shape[0])

    @property
    def n_epochs(self) -> int:
        return int(self.subsidence_mm.shape[1])

    @property
    def interval_days(self) -> np.ndarray:
        """Length of each acquisition interval, shape (E - 1,), days."""
        return np.diff(self.dates.values).astype("timedelta64[s]").astype(float) / 86400.0

    @property
    def days(self) -> np.ndarray:
        """Days since the first acquisition, shape (E,)."""
        since: np.ndarray = (self.dates.values - self.dates.values[0]).astype("timedelta64[s]")
        return since.astype(float) / 86400.0

    @property
    def change_mm(self) -> np.ndarray:
        """Observed change per interval, shape (n, E - 1), mm, positive = down."""
        return np.diff(self.subsidence_mm, axis=1)

    @property
    def head_change_m(self) -> np.ndarray:
        """Change in head per interval, shape (n, E - 1), metres (negative = falling)."""
        return np.diff(self.head_m, axis=1)

    @property
    def observed_mask(self) -> np.ndarray:
        """:attr:`observed` as a bool array of shape (n, E); all True when it is None.

        A mask whose shape no longer matches (a caller extended the epochs with ``replace``
        without it) counts the epochs it does not cover as observed.
        """
        full: np.ndarray = np.ones(self.subsidence_mm.shape, dtype=bool)
        if self.observed is None:
            return full
        obs: np.ndarray = np.asarray(self.observed, dtype=bool)
        rows, cols = min(obs.shape[0], full.shape[0]), min(obs.shape[1], full.shape[1])
        if obs.shape[0] != full.shape[0]:
            return full
        full[:rows, :cols] = obs[:rows, :cols]
        return full

    @property
    def change_observed(self) -> np.ndarray:
        """True where both ends of a change were observed, shape (n, E - 1)."""
        obs = self.observed_mask
        return np.asarray(obs[:, 1:] & obs[:, :-1])

    def subset(self, idx: np.ndarray) -> SeriesData:
        """The same data for the points ``idx`` (integer positions)."""

        def take(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[idx]

        return replace(
            self,
            ps_ids=self.ps_ids[idx],
            xy_m=self.xy_m[idx],
            subsidence_mm=self.subsidence_mm[idx],
            head_m=self.head_m[idx],
            thickness_m=take(self.thickness_m),
            permeability_m_per_day=take(self.permeability_m_per_day),
            observed=take(self.observed),
        )
