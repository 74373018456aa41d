"""A synthetic study area modelled on the Beijing Plain, written in the bundle format.

Everything is generated from a seed: PS points (clustered in towns), a RadarSat-2-like
irregular acquisition schedule, monitoring wells with cones of depression, seasonal pumping,
gaps and late starts, thickness and permeability published as contour lines, and subsidence
from consolidation physics:

* head h(x, y, t): an initial surface with pumping cones, falling 1-4 m/yr (most in the cones),
  with a seasonal cycle; the decline started in 2001, so compaction is under way in 2011;
* compaction of the compressible layer (thickness b) by the head decline: inelastic
  (specific storage S_skv) below the pre-consolidation head (the lowest head so far),
  elastic (S_ske = S_skv / 40) above it;
* delayed drainage of clay interbeds: each head step's compaction follows Terzaghi's degree
  of consolidation U(t / tau) with tau = S_skv (b_eq / 2)^2 / K_v, where the equivalent
  interbed thickness b_eq grows with b and the clay's vertical conductivity K_v with the
  permeability coefficient: thick, tight layers lag for years;
* local anomalies that no factor explains (construction dewatering switched on at a date);
* InSAR noise: an atmospheric part per acquisition, spatially correlated over kilometres,
  and white noise. Values are treated as vertical (no line-of-sight projection).

The noise-free truth is written beside the data in ``truth/truth.npz`` (the reader ignores
it); it is for tests that a model recovers physics and is never shown as data.

The physics is in :mod:`subsidence.demo.synthetic_physics`, the writing in
:mod:`subsidence.demo.synthetic_bundle`; this module generates the area.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.interpolate import RegularGridInterpolator
from scipy.ndimage import gaussian_filter

from subsidence.demo.synthetic_physics import (
    CENTRES,
    HEIGHT_M,
    PUMPING_START,
    SSKV_PER_M,
    WIDTH_M,
    _frame,
    _gauss,
    compaction_mm,
    head_m,
    time_constant_days,
)
from subsidence.errors import SubsidenceError

TOWNS = (
    (0.42, 0.5, 6000),
    (0.57, 0.51, 3000),
    (0.2, 0.62, 3000),
    (0.29, 0.86, 2500),
    (0.85, 0.25, 3000),
    (0.5, 0.22, 3500),
)


@dataclass(frozen=True)
class SyntheticConfig:
    """Settings of the synthetic study area.

    Attributes
    ----------
    n_points : int
        PS points (the paper: 16,487).
    n_wells : int
        Monitoring wells.
    n_epochs : int
        Acquisitions, chosen among 24-day repeat slots from late 2011 to the end of 2015.
    seed : int
        Everything is drawn from this seed; wells, layers, dates, storage coefficients and the
        subsidence at any given place do not depend on ``n_points`` (so the small demo shares
        them with the full one).
    atmosphere_mm, white_noise_mm : float
        Standard deviations of the atmospheric (correlated over several km) and white InSAR
        noise per acquisition; both are taken relative to the first acquisition, so the error
        of a cumulative value has about sqrt(2) times these.
    target_max_mm : float
        The largest noise-free compaction over the period on a fixed 1 km reference grid (the
        paper's maximum: 624.42 mm); S_skv is scaled to reach it. Dewatering anomalies and
        noise come on top.
    recovery : bool
        The held-out variant: heads fall until :data:`TURN` (mid-period), then recover at
        :data:`RECOVERY_FRACTION` of their decline rate; compaction follows with the aquitard
        lag (residual compaction, then a small elastic rebound). False: the demo, unchanged.
    lattice_above : int
        Above this many points the nominal compaction is computed on a 250 m lattice and
        interpolated to the points (:data:`subsidence.demo.synthetic_chunks.LATTICE_M`): the cost
        no longer grows with the points; at most 0.32 mm from the per-point value.
    """

    n_points: int = 16487
    n_wells: int = 60
    n_epochs: int = 38
    seed: int = 42
    atmosphere_mm: float = 3.0
    white_noise_mm: float = 1.5
    target_max_mm: float = 590.0
    recovery: bool = False
    lattice_above: int = 100_000

    def __post_init__(self) -> None:
        n_slots = len(_slots())
        checks = {
            "n_points": (self.n_points, 1, 10_000_000),
            "n_wells": (self.n_wells, 3, 10_000),
            "n_epochs": (self.n_epochs, 3, n_slots),
        }
        for name, (value, low, high) in checks.items():
            if not low <= value <= high:
                raise SubsidenceError(f"SyntheticConfig.{name} must be in {low}..{high}, found {value}")
        if min(self.atmosphere_mm, self.white_noise_mm) < 0 or self.target_max_mm <= 0:
            raise SubsidenceError(
                "SyntheticConfig: noise levels must be >= 0 and target_max_mm > 0, found "
                f"{self.atmosphere_mm}, {self.white_noise_mm}, {self.target_max_mm}"
            )


@dataclass(frozen=True)
class SyntheticArea:
    """A generated study area in memory (coordinates in EPSG:32650 metres).

    ``subsidence_mm`` holds what InSAR would see (with noise and a few gaps), ``truth_mm`` the
    noise-free subsidence; both (n_points, n_epochs), mm, positive = down, 0 at the first epoch.
    Per-point physics: tau_days = sskv_per_m * (interbed_m / 2) ** 2 / kv_m_per_day.
    """

    config: SyntheticConfig
    ps: pd.DataFrame  # ps_id, x, y, height_m, coherence
    dates: pd.DatetimeIndex
    subsidence_mm: np.ndarray
    truth_mm: np.ndarray
    head_m: np.ndarray  # true head at the PS points (n_points, n_epochs)
    wells: pd.DataFrame  # well_id, x, y, date, head_m
    grid_x: np.ndarray  # (nx,) cell centres of the layer grid
    grid_y: np.ndarray  # (ny,)
    thickness_grid_m: np.ndarray  # (ny, nx)
    permeability_grid_m_per_day: np.ndarray  # (ny, nx)
    thickness_m: np.ndarray  # (n_points,)
    permeability_m_per_day: np.ndarray  # (n_points,)
    sskv_per_m: np.ndarray  # (n_points,)
    sske_per_m: np.ndarray  # (n_points,)
    tau_days: np.ndarray  # (n_points,)
    kv_m_per_day: np.ndarray  # (n_points,) clay vertical conductivity
    interbed_m: np.ndarray  # (n_points,) equivalent interbed thickness b_eq
    anomaly: np.ndarray  # (n_points,) bool: inside a dewatering anomaly


@dataclass(frozen=True)
class SyntheticTruth:
    """The noise-free truth written beside a demo bundle (``truth/truth.npz``).

    Rows follow ``ps.csv`` (``ps_id``); columns follow ``dates`` (the acquisitions).
    ``subsidence_mm`` and ``head_m`` are (n_points, n_epochs): noise-free subsidence (mm,
    positive = down, 0 at the first date) and true confined head (m above datum). The rest are
    (n_points,): thickness (m), permeability coefficient (m/day), S_skv and S_ske (1/m), the
    time constant (days), the clay K_v (m/day), the equivalent interbed thickness (m), with
    ``tau_days = sskv_per_m * (interbed_m / 2) ** 2 / kv_m_per_day``, and ``anomaly`` (bool):
    inside a dewatering anomaly that no factor explains.
    """

    dates: pd.DatetimeIndex
    ps_id: np.ndarray
    subsidence_mm: np.ndarray
    head_m: np.ndarray
    thickness_m: np.ndarray
    permeability_m_per_day: np.ndarray
    sskv_per_m: np.ndarray
    sske_per_m: np.ndarray
    tau_days: np.ndarray
    kv_m_per_day: np.ndarray
    interbed_m: np.ndarray
    anomaly: np.ndarray


def _rngs(seed: int) -> dict[str, np.random.Generator]:
    names = ("dates", "fields", "points", "wells", "noise", "anomalies", "gaps")
    seqs = np.random.SeedSequence(seed).spawn(len(names))
    return {n: np.random.default_rng(s) for n, s in zip(names, seqs, strict=True)}


def _slots() -> pd.DatetimeIndex:
    """RadarSat-2's 24-day repeat slots over the period."""
    return pd.date_range("2011-11-10", "2015-12-20", freq="24D")


def _acquisitions(rng: np.random.Generator, n_epochs: int) -> pd.DatetimeIndex:
    """``n_epochs`` of the slots, always the first and the last: intervals are multiples of 24 days."""
    slots = _slots()
    inner = rng.choice(np.arange(1, len(slots) - 1), size=n_epochs - 2, replace=False)
    return pd.DatetimeIndex(slots[np.sort(np.r_[0, inner, len(slots) - 1])])


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    field = gaussian_filter(rng.standard_normal(shape), sigma, mode="reflect")
    return np.asarray((field - field.mean()) / field.std())


def _layers(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Thickness (m) and permeability (m/day) on a 500 m grid slightly larger than the area."""
    x0, y0 = _frame()
    gx = np.arange(x0 - 2000, x0 + WIDTH_M + 2000, 500.0) + 250
    gy = np.arange(y0 - 2000, y0 + HEIGHT_M + 2000, 500.0) + 250
    xx, yy = np.meshgrid((gx - x0) / WIDTH_M, (gy - y0) / HEIGHT_M)
    # thin near the north-western mountains, thick clays in the east and the bowls
    base = 2 + 26 * np.clip(0.9 * xx + 0.15 * (1 - yy) - 0.3, 0, 1)
    bowls = sum(
        110 * _gauss(xx * WIDTH_M, yy * HEIGHT_M, cx * WIDTH_M, cy * HEIGHT_M, 4500)
        for cx, cy, *_ in CENTRES[:4]
    )
    thickness = np.clip(base + bowls + 8 * _smooth_field(rng, xx.shape, 6), 0, 150)
    # permeable gravels on the north-western fans, tight clays to the south-east
    logk = (
        1.45 - 2.3 * np.clip(0.75 * xx + 0.45 * (1 - yy) - 0.1, 0, 1) + 0.25 * _smooth_field(rng, xx.shape, 8)
    )
    permeability = np.clip(10**logk, 0.1, 50)
    return gx, gy, thickness, permeability


def _sample(gx: np.ndarray, gy: np.ndarray, grid: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.asarray(
        RegularGridInterpolator((gy, gx), grid, bounds_error=False, fill_value=None)(np.column_stack([y, x]))
    )


def _points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """PS points: 70 % in towns (dense), 30 % spread over the plain."""
    x0, y0 = _frame()
    n_town = int(0.7 * n)
    town = rng.integers(0, len(TOWNS), n_town)
    cx = np.array([t[0] for t in TOWNS])[town] * WIDTH_M
    cy = np.array([t[1] for t in TOWNS])[town] * HEIGHT_M
    r = np.array([t[2] for t in TOWNS])[town]
    tx, ty = cx + rng.normal(0, 1, n_town) * r, cy + rng.normal(0, 1, n_town) * r
    ux, uy = rng.uniform(0, WIDTH_M, n - n_town), rng.uniform(0, HEIGHT_M, n - n_town)
    x, y = np.r_[tx, ux], np.r_[ty, uy]
    # points pushed outside the frame are redrawn uniformly inside it
    out = (x < 0) | (x > WIDTH_M) | (y < 0) | (y > HEIGHT_M)
    x[out], y[out] = rng.uniform(0, WIDTH_M, out.sum()), rng.uniform(0, HEIGHT_M, out.sum())
    order = rng.permutation(n)
    return np.round(x[order] + x0, 1), np.round(y[order] + y0, 1)


def _nominal_compaction(
    gx: np.ndarray,
    gy: np.ndarray,
    thick_grid: np.ndarray,
    perm_grid: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    dates: pd.DatetimeIndex,
    recovery: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thickness (m), permeability (m/day) and compaction (mm, 0 at the first date) with S_skv nominal."""
    b = np.clip(_sample(gx, gy, thick_grid, x, y), 0, 150)
    k = np.clip(_sample(gx, gy, perm_grid, x, y), 0.1, 50)
    sskv = np.full_like(b, SSKV_PER_M)
    history = pd.date_range(PUMPING_START, dates[-1], freq="15D")
    t_hist = (history - dates[0]).days.to_numpy(float)
    t_eval = (dates - dates[0]).days.to_numpy(float)
    raw = compaction_mm(
        head_m(x, y, history, recovery=recovery), t_hist, t_eval, b, sskv, time_constant_days(b, k, sskv)
    )
    return b, k, raw - raw[:, :1]


def _wells(rng: np.random.Generator, n: int, dates: pd.DatetimeIndex, recovery: bool = False) -> pd.DataFrame:
    """Wells read about monthly on their own dates, with gaps, late starts and early stops."""
    x0, y0 = _frame()
    near = n * 2 // 5
    centre = rng.integers(0, len(CENTRES), near)
    cx = np.array([c[0] for c in CENTRES])[centre] * WIDTH_M + rng.normal(0, 4000, near)
    cy = np.array([c[1] for c in CENTRES])[centre] * HEIGHT_M + rng.normal(0, 4000, near)
    wx = np.clip(np.r_[cx, rng.uniform(0, WIDTH_M, n - near)], 500, WIDTH_M - 500) + x0
    wy = np.clip(np.r_[cy, rng.uniform(0, HEIGHT_M, n - near)], 500, HEIGHT_M - 500) + y0
    rows = []
    first, last = dates[0] - pd.Timedelta(days=60), dates[-1] + pd.Timedelta(days=30)
    for i in range(n):
        start, stop = first, last
        if rng.random() < 0.15:
            start = dates[0] + pd.Timedelta(days=int(rng.uniform(200, 700)))
        if rng.random() < 0.12:
            stop = dates[-1] - pd.Timedelta(days=int(rng.uniform(150, 600)))
        when = pd.date_range(start, stop, freq="30D")
        when = when + pd.to_timedelta(rng.integers(-5, 6, len(when)), unit="D")
        keep = rng.random(len(when)) > 0.08
        if rng.random() < 0.2:  # a gap of 3-5 months
            g0 = rng.integers(0, max(1, len(when) - 5))
            keep[g0 : g0 + rng.integers(3, 6)] = False
        when = when[keep]
        level = (
            head_m(np.array([wx[i]]), np.array([wy[i]]), when, recovery=recovery)[0]
            + rng.normal(0, 0.3)
            + rng.normal(0, 0.1, len(when))
        )
        rows.append(
            pd.DataFrame(
                {
                    "well_id": f"W{i + 1:03d}",
                    "x": round(wx[i], 1),
                    "y": round(wy[i], 1),
                    "date": when.strftime("%Y-%m-%d"),
                    "head_m": np.round(level, 2),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)
