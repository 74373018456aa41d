"""Where the model's numbers can be trusted: one plain class per PS point.

Each point is checked against up to five rules (see :data:`EXPLANATION`, repeated in
``docs/hazard.md``); each rule says "good", "use with care" or "do not use", and the point
gets the worst of them, with the rules that limited it named in words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from subsidence.errors import SubsidenceError

GOOD = "good"
CARE = "use with care"
DO_NOT_USE = "do not use"
CLASSES = (GOOD, CARE, DO_NOT_USE)


@dataclass(frozen=True)
class Rules:
    """Limits of each rule: up to the first value "good", up to the second "use with care".

    Attributes
    ----------
    head_sd_m : (float, float)
        Kriging standard deviation of the groundwater level at the point (m).
    well_km : (float, float)
        Distance to the nearest well (km).
    ps_neighbours : (int, int)
        Other PS points within the density radius: at least the first "good", at least the
        second "use with care", fewer "do not use".
    density_radius_m : float or None
        The density radius (m); None: ``density_spacings`` times the median distance between
        a point and its nearest neighbour in this study area (so sparse and dense data sets
        are judged against their own typical spacing).
    density_spacings : float
    cv_error_mm : (float, float)
        Mean absolute cross-validated error of the held-out points within ``cv_radius_m`` (mm).
    cv_radius_m : float
    band_mm : (float, float)
        Width of the forecast band at the horizon (mm).
    """

    head_sd_m: tuple[float, float] = (3.0, 8.0)
    well_km: tuple[float, float] = (3.0, 8.0)
    ps_neighbours: tuple[int, int] = (3, 1)
    density_radius_m: float | None = None
    density_spacings: float = 3.0
    cv_error_mm: tuple[float, float] = (15.0, 40.0)
    cv_radius_m: float = 1000.0
    band_mm: tuple[float, float] = (50.0, 150.0)


RULES = Rules()


def explanation(rules: Rules = RULES) -> str:
    """The one-paragraph plain explanation of the classes (shown on the page and in the pack)."""
    r = rules
    return (
        "Each point is checked five ways, and takes the worst result. "
        f"How well the wells pin down the groundwater level there: the kriging standard deviation of the level "
        f"is good up to {r.head_sd_m[0]:g} m, use with care up to {r.head_sd_m[1]:g} m. "
        f"How far the nearest well is: good within {r.well_km[0]:g} km, use with care within {r.well_km[1]:g} km. "
        f"How many other InSAR points lie within {_radius_words(r)}: good with {r.ps_neighbours[0]} or more, "
        f"use with care with {r.ps_neighbours[1]} to {r.ps_neighbours[0] - 1}, do not use when the point is alone. "
        f"How wrong the model was nearby when tested on points it did not see (within {r.cv_radius_m:g} m, "
        f"when a test was run): good up to {r.cv_error_mm[0]:g} mm, use with care up to {r.cv_error_mm[1]:g} mm. "
        f"How wide the forecast band is at the horizon (when there is a forecast): good up to {r.band_mm[0]:g} mm, "
        f"use with care up to {r.band_mm[1]:g} mm. "
        "Beyond the second limit of any check the point is marked do not use: its numbers should not be used "
        "for decisions, and maps show it in grey."
    )


def _radius_words(r: Rules) -> str:
    if r.density_radius_m is not None:
        return f"{r.density_radius_m:g} m"
    return f"{r.density_spacings:g} times the typical spacing between points of the study area"


EXPLANATION = explanation()


def density_radius(xy_m: np.ndarray, rules: Rules = RULES) -> float:
    """The radius (m) within which neighbours are counted (see :class:`Rules`)."""
    if rules.density_radius_m is not None:
        return float(rules.density_radius_m)
    if len(xy_m) < 2:
        return 0.0
    spacing = float(np.median(cKDTree(xy_m).query(xy_m, k=2)[0][:, 1]))
    return rules.density_spacings * max(spacing, 1.0)


def _grade(value: np.ndarray, limits: tuple[float, float], higher_is_better: bool = False) -> np.ndarray:
    """0 good, 1 use with care, 2 do not use; -1 where ``value`` is NaN (no evidence, not counted)."""
    v = np.asarray(value, float)
    if higher_is_better:
        g = np.where(v >= limits[0], 0, np.where(v >= limits[1], 1, 2))
    else:
        g = np.where(v <= limits[0], 0, np.where(v <= limits[1], 1, 2))
    return np.where(np.isfinite(v), g, -1)


def _check(name: str, a: np.ndarray | None, n: int) -> np.ndarray | None:
    if a is None:
        return None
    arr = np.asarray(a, float)
    if arr.ndim == 2:  # per point and epoch: the typical value over time
        arr = np.nanmedian(arr, axis=1)
    if arr.shape != (n,):
        raise SubsidenceError(f"confidence: {name} has shape {arr.shape}; expected one value per point ({n})")
    return arr


def nearby_mean(xy_m: np.ndarray, values: np.ndarray, radius_m: float) -> np.ndarray:
    """Mean of the finite ``values`` within ``radius_m`` of each point (NaN where there are none)."""
    known = np.isfinite(values)
    out = np.full(len(xy_m), np.nan)
    if not known.any():
        return out
    tree = cKDTree(xy_m[known])
    vals = values[known]
    for i, near in enumerate(tree.query_ball_point(xy_m, radius_m)):
        if near:
            out[i] = float(np.mean(vals[near]))
    return out


def confidence(
    xy_m: np.ndarray,
    head_sd_m: np.ndarray,
    well_xy_m: np.ndarray,
    cv_error_mm: np.ndarray | None = None,
    band_mm: np.ndarray | None = None,
    rules: Rules = RULES,
) -> pd.DataFrame:
    """One confidence class per point, with the values behind it.

    Parameters
    ----------
    xy_m : ndarray, shape (n, 2)
        PS coordinates (m, metric CRS).
    head_sd_m : ndarray, shape (n,) or (n, E)
        Kriging standard deviation of the head at each point (m); per epoch, its median is used.
    well_xy_m : ndarray, shape (w, 2)
        Well coordinates in the same CRS.
    cv_error_mm : ndarray, shape (n,), optional
        Absolute cross-validated error (mm) at held-out points, NaN at the others.
    band_mm : ndarray, shape (n,), optional
        Forecast band width at the horizon (mm).
    rules : Rules

    Returns
    -------
    DataFrame
        ``head_sd_m``, ``well_km``, ``ps_neighbours``, ``cv_error_nearby_mm``, ``band_mm``,
        ``confidence`` (one of :data:`CLASSES`) and ``reasons`` (what limited it, in words).
    """
    xy = np.asarray(xy_m, float)
    n = len(xy)
    sd = _check("head_sd_m", head_sd_m, n)
    wells = np.asarray(well_xy_m, float).reshape(-1, 2)
    if len(wells) == 0:
        raise SubsidenceError("confidence: no wells; the groundwater level cannot be judged")
    well_km = cKDTree(wells).query(xy)[0] / 1000.0
    neighbours = cKDTree(xy).query_ball_point(xy, density_radius(xy, rules), return_length=True) - 1
    cv = _check("cv_error_mm", cv_error_mm, n)
    cv_near = nearby_mean(xy, np.abs(cv), rules.cv_radius_m) if cv is not None else np.full(n, np.nan)
    band = _check("band_mm", band_mm, n)
    band = band if band is not None else np.full(n, np.nan)
    checks = [
        ("head uncertain", sd, rules.head_sd_m, False, "{:.1f} m"),
        ("far from a well", well_km, rules.well_km, False, "{:.1f} km"),
        ("few InSAR points near", neighbours.astype(float), rules.ps_neighbours, True, "{:.0f}"),
        ("model error nearby", cv_near, rules.cv_error_mm, False, "{:.0f} mm"),
        ("wide forecast band", band, rules.band_mm, False, "{:.0f} mm"),
    ]
    worst = np.zeros(n, int)
    reasons: list[list[str]] = [[] for _ in range(n)]
    for label, values, limits, higher, fmt in checks:
        g = _grade(values, limits, higher)
        worst = np.maximum(worst, g)
        for i in np.flatnonzero(g > 0):
            reasons[i].append(f"{label} ({fmt.format(values[i])})")
    return pd.DataFrame(
        {
            "head_sd_m": sd,
            "well_km": well_km,
            "ps_neighbours": neighbours,
            "cv_error_nearby_mm": cv_near,
            "band_mm": band,
            "confidence": np.asarray(CLASSES, dtype=object)[worst],
            "reasons": ["; ".join(r) if r else "every check good" for r in reasons],
        }
    )


def class_counts(labels: pd.Series | np.ndarray) -> pd.DataFrame:
    """Points per confidence class, in class order."""
    counts = pd.Series(labels).value_counts()
    return pd.DataFrame({"confidence": list(CLASSES), "points": [int(counts.get(c, 0)) for c in CLASSES]})
