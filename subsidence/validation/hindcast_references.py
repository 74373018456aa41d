"""The two reference forecasts of a hindcast and the robust anchor every forecast starts from.

``it stops`` (no further subsidence) and ``velocity`` (each point's line + annual cycle carried
on), both from the same anchor as the models: each point's line + annual cycle fitted to its
acquisitions up to the cut, evaluated at the cut (:func:`anchor_offset`). Used by
:mod:`subsidence.validation.hindcast`; all values are cumulative since the acquisition at the cut, mm.
"""

from __future__ import annotations

import numpy as np

from subsidence.series import SeriesData

DAYS_PER_YEAR = 365.25


def _line_and_cycle(data: SeriesData, k: int) -> np.ndarray:
    """Each point's line + annual cycle fitted to epochs ``0..k``, evaluated at every epoch (n, E), mm."""
    days = data.days
    w = 2 * np.pi * days / DAYS_PER_YEAR
    design = np.column_stack([np.ones_like(days), days, np.cos(w), np.sin(w)])
    y = np.nan_to_num(data.subsidence_mm[:, : k + 1]).T
    coef, *_ = np.linalg.lstsq(design[: k + 1], y, rcond=None)
    return np.asarray((design @ coef).T)


def anchor_offset(data: SeriesData, k: int) -> np.ndarray:
    """The robust anchor at the cut minus the acquisition at the cut, per point (n,), mm.

    Every forecast (the models and both references alike) starts from each point's line +
    annual cycle fitted to its acquisitions ``0..k``, evaluated at ``k``, instead of from the
    single noisy acquisition at ``k``: the noise of that one acquisition would otherwise enter
    every error once more (measured on the recovery variant: a perfect forecast of the change
    scores 4.7 mm from the acquisition, 3.7 mm from this anchor).
    """
    return np.asarray(_line_and_cycle(data, k)[:, k] - np.nan_to_num(data.subsidence_mm[:, k]))


def velocity_forecast(data: SeriesData, k: int) -> np.ndarray:
    """Each point's line + annual cycle fitted to epochs ``0..k``, extrapolated (n, E - 1 - k), mm since ``k``.

    Starts from the fitted value at ``k`` (the robust anchor, :func:`anchor_offset`).
    """
    fitted = _line_and_cycle(data, k)
    return np.asarray(fitted[:, k + 1 :] - np.nan_to_num(data.subsidence_mm[:, k : k + 1]))


def it_stops_forecast(data: SeriesData, k: int) -> np.ndarray:
    """No further subsidence after the robust anchor at ``k`` (n, E - 1 - k), mm since ``k``."""
    return np.repeat(anchor_offset(data, k)[:, None], data.n_epochs - 1 - k, axis=1)


def observed_since(data: SeriesData, k: int) -> np.ndarray:
    """What InSAR saw after epoch ``k``: cumulative since ``k``, (n, E - 1 - k), mm."""
    return np.asarray(data.subsidence_mm[:, k + 1 :] - data.subsidence_mm[:, k : k + 1])
