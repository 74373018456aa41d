"""The causes of subsidence read at the PS points: kriged head and geology layers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Factors:
    """Influencing factors at the PS points of a study area.

    Attributes
    ----------
    head_m : ndarray, shape (n_points, n_epochs)
        Confined groundwater level (metres above datum) kriged at each PS point for each
        acquisition date.
    head_sd_m : ndarray, shape (n_points, n_epochs)
        Kriging standard deviation of ``head_m`` (metres).
    thickness_m : ndarray, shape (n_points,), or None
        Compressible-layer thickness (metres, >= 0); None when the bundle has no layer.
    permeability_m_per_day : ndarray, shape (n_points,), or None
        Permeability coefficient (m/day, > 0); None when the bundle has no layer.
    """

    head_m: np.ndarray
    head_sd_m: np.ndarray
    thickness_m: np.ndarray | None
    permeability_m_per_day: np.ndarray | None
