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
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.interpolate import RegularGridInterpolator
from scipy.ndimage import gaussian_filter

from subsidence.errors import SubsidenceError

if TYPE_CHECKING:
    import geopandas as gpd

DEMO_NAME = "Synthetic demo: Beijing-like plain (not survey data)"
WORK_CRS = "EPSG:32650"
EGMS_CRS = "EPSG:3035"
# EPSG:3035 (and EGMS) covers Europe only: written in it, the plain is moved rigidly (x, y
# shifted, nothing reprojected) to the Po plain near Bologna, itself a subsiding area.
EGMS_SHIFT_M = (4_427_800.0 - 470_000.0, 2_376_400.0 - 4_425_000.0)
CENTRE_X_M, CENTRE_Y_M = 470_000.0, 4_425_000.0  # about 116.65 E, 39.97 N in UTM 50N
WIDTH_M, HEIGHT_M = 60_000.0, 50_000.0
THICKNESS_LEVELS = (10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140)
PERMEABILITY_LEVELS = (0.2, 0.5, 1, 2, 5, 10, 20, 40)
SSKV_PER_M = 1.0e-3
ELASTIC_RATIO = 40.0
PUMPING_START = pd.Timestamp("2001-01-01")
# The recovery variant (held-out test of forecasts): heads fall until the turn, in the middle of
# the acquisition period, then rise at RECOVERY_FRACTION of their former decline rate (as
# Beijing's after the South-to-North water diversion reached it).
TURN = pd.Timestamp("2013-12-01")
RECOVERY_FRACTION = 1.0
RECOVERY_NAME = "Synthetic recovery variant: Beijing-like plain, heads recover from 2013-12 (not survey data)"

# Pumping centres (fraction of the width, fraction of the height, depth of cone m, extra decline m/yr,
# radius m): Chaoyang-Tongzhou in the east, Changping and Shunyi in the north, Daxing in the south.
CENTRES = (
    (0.62, 0.55, 25.0, 2.6, 5000.0),
    (0.80, 0.36, 20.0, 3.0, 4500.0),
    (0.36, 0.82, 18.0, 2.0, 4500.0),
    (0.72, 0.84, 15.0, 2.2, 4000.0),
    (0.45, 0.16, 8.0, 0.5, 5000.0),
)
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
    """

    n_points: int = 16487
    n_wells: int = 60
    n_epochs: int = 38
    seed: int = 42
    atmosphere_mm: float = 3.0
    white_noise_mm: float = 1.5
    target_max_mm: float = 590.0
    recovery: bool = False

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
    return (field - field.mean()) / field.std()


def _gauss(x: np.ndarray, y: np.ndarray, cx: float, cy: float, r: float) -> np.ndarray:
    return np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r**2))


def _frame() -> tuple[float, float]:
    return CENTRE_X_M - WIDTH_M / 2, CENTRE_Y_M - HEIGHT_M / 2


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
    return RegularGridInterpolator((gy, gx), grid, bounds_error=False, fill_value=None)(
        np.column_stack([y, x])
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


def head_m(
    x: np.ndarray, y: np.ndarray, t: pd.DatetimeIndex | np.ndarray, *, recovery: bool = False
) -> np.ndarray:
    """True confined head (m above datum) at points (n,) and times (T,), shape (n, T).

    A regional surface sloping from the north-west, pumping cones deepening 1-4 m/yr since
    2001 and a seasonal pumping cycle (lowest in early summer). With ``recovery`` the trend
    turns at :data:`TURN` and rises at :data:`RECOVERY_FRACTION` of the former decline rate.
    """
    x0, y0 = _frame()
    u, v = (np.asarray(x) - x0) / WIDTH_M, (np.asarray(y) - y0) / HEIGHT_M
    years = (pd.DatetimeIndex(t) - PUMPING_START).days.to_numpy() / 365.25
    frac = (pd.DatetimeIndex(t).day_of_year.to_numpy() / 365.25)[None, :]
    surface = 15 - 20 * u + 12 * v
    depth = np.zeros_like(u)
    rate = 1.0 + 0.25 * v  # m/yr outside the cones: every confined head falls 1-4 m/yr
    for cx, cy, cone, extra, r in CENTRES:
        g = _gauss(u * WIDTH_M, v * HEIGHT_M, cx * WIDTH_M, cy * HEIGHT_M, r)
        depth += cone * g
        rate += extra * g
    season = (0.5 + 1.2 * np.clip(rate - 1.0, 0, 4) / 3.0)[:, None] * np.cos(2 * np.pi * (frac - 0.45))
    if recovery:
        turn = (TURN - PUMPING_START).days / 365.25
        years = np.where(years <= turn, years, turn - RECOVERY_FRACTION * (years - turn))
    return (surface - depth)[:, None] - rate[:, None] * years[None, :] + season


def degree_of_consolidation(tv: np.ndarray) -> np.ndarray:
    """Terzaghi's average degree of consolidation U for time factor ``tv`` = t / tau (>= 0).

    Double drainage, tau = S_skv (b/2)^2 / K_v. Uses sqrt(4 T / pi) for small T and the
    series (3 terms suffice there) otherwise.
    """
    tv = np.maximum(np.asarray(tv, float), 0.0)
    small = np.sqrt(4 * tv / np.pi)
    series = 1.0 - sum(
        8 / ((2 * m + 1) ** 2 * np.pi**2) * np.exp(-((2 * m + 1) ** 2) * np.pi**2 * tv / 4) for m in range(3)
    )
    return np.where(tv < 0.2, small, series)


def compaction_mm(
    heads_m: np.ndarray,
    times_days: np.ndarray,
    eval_days: np.ndarray,
    b_m: np.ndarray,
    sskv: np.ndarray,
    tau_days: np.ndarray,
) -> np.ndarray:
    """Delayed compaction (mm, positive = down) from a head history, by superposed head steps.

    Parameters
    ----------
    heads_m : ndarray, shape (n, K)
        Head history at the points, on ``times_days``.
    times_days : ndarray, shape (K,)
    eval_days : ndarray, shape (E,)
        Times at which compaction is wanted.
    b_m, sskv, tau_days : ndarray, shape (n,)
        Compressible thickness, inelastic skeletal specific storage (1/m), time constant.

    Notes
    -----
    Each head step below the lowest head so far (the pre-consolidation head) compacts with
    S_skv and the delay U((t - t_k) / tau); steps above it (recovery or decline within the
    elastic range) act elastically with S_ske = S_skv / 40 and no delay.
    """
    dh = np.diff(heads_m, axis=1)  # (n, K-1)
    previous_min = np.minimum.accumulate(heads_m, axis=1)[:, :-1]
    new_min = np.minimum(previous_min, heads_m[:, 1:])
    inelastic_drop = previous_min - new_min  # >= 0: decline below the pre-consolidation head
    elastic_change = -dh - inelastic_drop  # the rest of the decline (negative when rising)
    t_step = times_days[1:]
    out = np.empty((heads_m.shape[0], len(eval_days)))
    for j, te in enumerate(eval_days):
        since = np.where(t_step <= te, te - t_step, -1.0)[None, :]
        u = np.where(since >= 0, degree_of_consolidation(since / tau_days[:, None]), 0.0)
        inel = (inelastic_drop * u).sum(axis=1)
        el = (elastic_change * (since >= 0)).sum(axis=1)
        out[:, j] = b_m * (sskv * inel + sskv / ELASTIC_RATIO * el)
    return out * 1000.0


def _interbed_m(b_m: np.ndarray) -> np.ndarray:
    """Equivalent clay-interbed thickness (m): the layer drains through many thin interbeds."""
    return 2.0 + 0.08 * b_m


def _kv_m_per_day(k_m_per_day: np.ndarray, sskv: np.ndarray) -> np.ndarray:
    """Clay vertical conductivity (m/day), tied to the permeability coefficient and to S_skv.

    Proportional to S_skv so that the time constant does not change when the storage is scaled
    to the target subsidence.
    """
    return 2.5e-5 * (sskv / SSKV_PER_M) * k_m_per_day**0.6


def time_constant_days(b_m: np.ndarray, k_m_per_day: np.ndarray, sskv: np.ndarray) -> np.ndarray:
    """Time constant (days) of delayed drainage, tau = S_skv (b_eq / 2)^2 / K_v.

    Parameters
    ----------
    b_m, k_m_per_day, sskv : ndarray, shape (n,)
        Compressible thickness (m), permeability coefficient (m/day), S_skv (1/m).

    Returns
    -------
    ndarray, shape (n,)
        Grows with the thickness (through the interbed thickness b_eq) and falls with the
        permeability; thick, tight layers lag for years.
    """
    return sskv * (_interbed_m(b_m) / 2) ** 2 / _kv_m_per_day(k_m_per_day, sskv)


def _atmosphere(
    rng: np.random.Generator, x: np.ndarray, y: np.ndarray, n_epochs: int, sd_mm: float
) -> np.ndarray:
    """Per-epoch atmospheric delay, correlated over ~5-10 km, (n, E), relative to epoch 0."""
    x0, y0 = _frame()
    gx = np.linspace(x0 - 2000, x0 + WIDTH_M + 2000, 65)
    gy = np.linspace(y0 - 2000, y0 + HEIGHT_M + 2000, 55)
    out = np.empty((len(x), n_epochs))
    for k in range(n_epochs):
        field = _smooth_field(rng, (len(gy), len(gx)), 4.0) * sd_mm
        out[:, k] = _sample(gx, gy, field, x, y)
    return out - out[:, :1]


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


def generate(config: SyntheticConfig = SyntheticConfig()) -> SyntheticArea:
    """Generate the synthetic study area (deterministic for ``config.seed``)."""
    rng = _rngs(config.seed)
    dates = _acquisitions(rng["dates"], config.n_epochs)
    gx, gy, thick_grid, perm_grid = _layers(rng["fields"])
    x, y = _points(rng["points"], config.n_points)
    b, k, raw = _nominal_compaction(gx, gy, thick_grid, perm_grid, x, y, dates, config.recovery)
    # S_skv is scaled so that the largest compaction on a fixed 1 km reference grid reaches the
    # target: the scale (and so the physics at any place) does not depend on the PS points
    rx, ry = np.meshgrid(*(np.arange(0.0, size + 1, 1000.0) for size in (WIDTH_M, HEIGHT_M)))
    x0, y0 = _frame()
    # the scale is the demo's in both variants: the recovery variant shares its physics
    reference = _nominal_compaction(gx, gy, thick_grid, perm_grid, rx.ravel() + x0, ry.ravel() + y0, dates)
    scale = config.target_max_mm / reference[2][:, -1].max()
    sskv = SSKV_PER_M * scale * np.ones_like(b)
    t_eval = (dates - dates[0]).days.to_numpy(float)

    # dewatering anomalies: local bowls switched on at a date, unexplained by the factors
    ra = rng["anomalies"]
    anomaly_mm = np.zeros_like(raw)
    anomaly = np.zeros(len(x), bool)
    for _ in range(5):
        ax, ay = x0 + ra.uniform(0.1, 0.9) * WIDTH_M, y0 + ra.uniform(0.1, 0.9) * HEIGHT_M
        radius, rate = ra.uniform(500, 900), ra.uniform(30, 70)  # m, mm/yr at the centre
        start = ra.uniform(0.1, 0.6) * t_eval[-1]
        g = _gauss(x, y, ax, ay, radius)
        anomaly |= g > 0.1
        anomaly_mm += g[:, None] * rate * np.maximum(t_eval - start, 0)[None, :] / 365.25

    truth = raw * scale + anomaly_mm

    noise = _atmosphere(rng["noise"], x, y, config.n_epochs, config.atmosphere_mm)
    white = rng["noise"].normal(0, config.white_noise_mm, truth.shape)
    observed = truth + noise + white - white[:, :1]
    rg = rng["gaps"]
    for i in rg.choice(len(x), size=max(1, len(x) // 800), replace=False):
        observed[i, rg.choice(np.arange(1, config.n_epochs), size=rg.integers(1, 4), replace=False)] = np.nan

    rp = rng["points"]
    ps = pd.DataFrame(
        {
            "ps_id": [f"PS{i:06d}" for i in range(1, len(x) + 1)],
            "x": x,
            "y": y,
            "height_m": np.round(30 + 25 * (1 - (y - y0) / HEIGHT_M) + rp.normal(0, 3, len(x)), 1),
            "coherence": np.round(rp.uniform(0.6, 0.98, len(x)), 2),
        }
    )
    return SyntheticArea(
        config=config,
        ps=ps,
        dates=dates,
        subsidence_mm=observed,
        truth_mm=truth,
        head_m=head_m(x, y, dates, recovery=config.recovery),
        wells=_wells(rng["wells"], config.n_wells, dates, config.recovery),
        grid_x=gx,
        grid_y=gy,
        thickness_grid_m=thick_grid,
        permeability_grid_m_per_day=perm_grid,
        thickness_m=b,
        permeability_m_per_day=k,
        sskv_per_m=sskv,
        sske_per_m=sskv / ELASTIC_RATIO,
        tau_days=time_constant_days(b, k, sskv),
        kv_m_per_day=_kv_m_per_day(k, sskv),
        interbed_m=_interbed_m(b),
        anomaly=anomaly,
    )


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


# --- writing --------------------------------------------------------------------------------


def _in_crs(frame: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """A layer in EPSG:32650 put in ``crs`` (EPSG:3035: the rigid shift to Europe)."""
    if crs == EGMS_CRS:
        moved = frame.set_geometry(frame.geometry.translate(*EGMS_SHIFT_M))
        return moved.set_crs(EGMS_CRS, allow_override=True)
    return frame.to_crs(crs)


def _contours(
    gx: np.ndarray, gy: np.ndarray, grid: np.ndarray, levels: tuple[float, ...]
) -> gpd.GeoDataFrame:
    """Contour lines of a (ny, nx) grid at ``levels``: one MultiLineString with ``value`` per level."""
    import contourpy
    import geopandas as gpd
    import shapely

    gen = contourpy.contour_generator(gx, gy, grid, line_type=contourpy.LineType.Separate)
    values, geoms = [], []
    for level in levels:
        lines = [ln for ln in gen.lines(level) if len(ln) >= 2]
        if lines:
            values.append(float(level))
            geoms.append(shapely.MultiLineString([shapely.LineString(ln) for ln in lines]).simplify(50))
    return gpd.GeoDataFrame({"value": values}, geometry=geoms, crs=WORK_CRS)


def _to_crs_xy(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """EPSG:32650 metres to ``crs`` (EPSG:3035: the rigid shift to Europe, see EGMS_SHIFT_M)."""
    from pyproj import Transformer

    if crs == WORK_CRS:
        return x, y
    if crs == EGMS_CRS:
        return x + EGMS_SHIFT_M[0], y + EGMS_SHIFT_M[1]
    tx, ty = Transformer.from_crs(WORK_CRS, crs, always_xy=True).transform(x, y)
    return np.asarray(tx), np.asarray(ty)


def write_bundle(
    area: SyntheticArea,
    folder: str | Path,
    *,
    crs: str = WORK_CRS,
    unit: str = "mm",
    sign: str = "negative_down",
    layer_format: str = "contours",
    ps_format: str = "csv",
    name: str = DEMO_NAME,
    truth: bool = True,
) -> Path:
    """Write ``area`` as a study-area bundle, atomically (a temporary folder, then a rename).

    Parameters
    ----------
    crs : str
        CRS of every x/y written ("EPSG:4326" writes x = lon, y = lat).
    unit : {"mm", "m"}
    sign : {"negative_down", "positive_down"}
    layer_format : {"contours", "points", "geotiff", "none"}
    ps_format : {"csv", "gpkg", "parquet", "egms"}
        "egms" writes an EGMS L2b-style CSV (pid, easting, northing, YYYYMMDD columns) in
        EPSG:3035, mm, negative = away from the satellite; with the default ``crs`` the whole
        bundle is then written in EPSG:3035.

    Notes
    -----
    EPSG:3035 covers Europe only: a bundle written in it has the plain moved rigidly to the
    Po plain near Bologna (x, y shifted by ``EGMS_SHIFT_M``, nothing reprojected), so that
    readers that check a CRS's area of use accept it.
    name : str
        The manifest name; keep "synthetic" in it so nobody mistakes it for survey data.
    truth : bool
        Also write ``truth/truth.npz`` with the noise-free truth.

    Returns
    -------
    Path
        The bundle folder (replaced if it existed).

    Raises
    ------
    SubsidenceError
        For an option outside the allowed values, or an EGMS file asked in another CRS,
        unit or sign.
    """
    import geopandas as gpd

    options = {
        "unit": (unit, ("mm", "m")),
        "sign": (sign, ("negative_down", "positive_down")),
        "layer_format": (layer_format, ("contours", "points", "geotiff", "none")),
        "ps_format": (ps_format, ("csv", "gpkg", "parquet", "egms")),
    }
    for option, (value, allowed) in options.items():
        if value not in allowed:
            raise SubsidenceError(f"write_bundle: {option} must be one of {allowed}, found {value!r}")
    if ps_format == "egms":
        crs = EGMS_CRS if crs == WORK_CRS else crs
        if (crs, unit, sign) != (EGMS_CRS, "mm", "negative_down"):
            raise SubsidenceError(
                f"write_bundle: EGMS files are in {EGMS_CRS}, mm, negative_down; "
                f"found crs={crs!r}, unit={unit!r}, sign={sign!r}"
            )
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a bundle is meant to be read by others
    try:
        factor = (1.0 if unit == "mm" else 1e-3) * (-1.0 if sign == "negative_down" else 1.0)
        decimals = 1 if unit == "mm" else 4
        values = np.round(area.subsidence_mm * factor, decimals)
        px, py = _to_crs_xy(area.ps["x"].to_numpy(), area.ps["y"].to_numpy(), crs)
        date_names = area.dates.strftime("%Y%m%d" if ps_format == "egms" else "%Y-%m-%d")
        cols = {
            "ps_id": area.ps["ps_id"],
            "x": px,
            "y": py,
            "height_m": area.ps["height_m"],
            "coherence": area.ps["coherence"],
        }
        ps = pd.concat([pd.DataFrame(cols), pd.DataFrame(values, columns=date_names)], axis=1)
        files = {"ps": "ps.csv"}
        if ps_format in ("csv", "egms"):
            if ps_format == "egms":
                ps = ps.rename(columns={"ps_id": "pid", "x": "easting", "y": "northing"})
            ps.to_csv(tmp / "ps.csv", index=False, float_format="%.10g")
        else:
            geo = gpd.GeoDataFrame(ps.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(px, py), crs=crs)
            files["ps"] = f"ps.{ps_format}"
            geo.to_file(tmp / "ps.gpkg") if ps_format == "gpkg" else geo.to_parquet(tmp / "ps.parquet")
        wx, wy = _to_crs_xy(area.wells["x"].to_numpy(), area.wells["y"].to_numpy(), crs)
        area.wells.assign(x=wx, y=wy).to_csv(tmp / "wells.csv", index=False, float_format="%.10g")
        layers = {
            "thickness": (area.thickness_grid_m, THICKNESS_LEVELS),
            "permeability": (area.permeability_grid_m_per_day, PERMEABILITY_LEVELS),
        }
        for layer, (grid, levels) in layers.items():
            if layer_format == "contours":
                _in_crs(_contours(area.grid_x, area.grid_y, grid, levels), crs).to_file(
                    tmp / f"{layer}.geojson", driver="GeoJSON"
                )
            elif layer_format == "points":
                gxx, gyy = np.meshgrid(area.grid_x[::4], area.grid_y[::4])
                pts = gpd.GeoDataFrame(
                    {"value": np.round(grid[::4, ::4].ravel(), 3)},
                    geometry=gpd.points_from_xy(gxx.ravel(), gyy.ravel()),
                    crs=WORK_CRS,
                )
                _in_crs(pts, crs).to_file(tmp / f"{layer}.geojson", driver="GeoJSON")
            elif layer_format == "geotiff":
                _write_geotiff(tmp / f"{layer}.tif", area.grid_x, area.grid_y, grid, crs)
                files[layer] = f"{layer}.tif"
        manifest = [
            f'name = "{name}"',
            f'crs = "{crs}"',
            f'displacement_unit = "{unit}"',
            f'displacement_sign = "{sign}"',
            "",
            "[files]",
        ]
        manifest += [f'{k} = "{v}"' for k, v in files.items()]
        (tmp / "study_area.toml").write_text("\n".join(manifest) + "\n")
        if truth:
            _write_truth(area, tmp / "truth")
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _write_geotiff(path: Path, gx: np.ndarray, gy: np.ndarray, grid: np.ndarray, crs: str) -> None:
    """Write a (ny, nx) grid with cell centres ``gx``, ``gy`` (EPSG:32650) as a GeoTIFF in ``crs``."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    cell = float(gx[1] - gx[0])
    source = grid[::-1].astype("float32")  # rows from the north
    src_transform = from_origin(gx[0] - cell / 2, gy[-1] + cell / 2, cell, cell)
    height, width = source.shape
    transform, data = src_transform, source
    if crs == EGMS_CRS:
        west, north = _to_crs_xy(np.array([gx[0] - cell / 2]), np.array([gy[-1] + cell / 2]), crs)
        transform = from_origin(float(west[0]), float(north[0]), cell, cell)
    elif crs != WORK_CRS:
        bounds = rasterio.transform.array_bounds(height, width, src_transform)
        transform, width, height = calculate_default_transform(
            WORK_CRS,
            crs,
            width,
            height,
            *bounds,  # west, south, east, north
        )
        data = np.full((height, width), np.nan, dtype="float32")
        reproject(
            source,
            data,
            src_transform=src_transform,
            src_crs=WORK_CRS,
            dst_transform=transform,
            dst_crs=crs,
            resampling=Resampling.bilinear,
            dst_nodata=np.nan,
        )
    profile = {"driver": "GTiff", "height": height, "width": width, "count": 1, "dtype": "float32"}
    with rasterio.open(path, "w", crs=crs, transform=transform, nodata=np.nan, **profile) as dst:
        dst.write(data, 1)


def _write_truth(area: SyntheticArea, folder: Path) -> None:
    folder.mkdir()
    np.savez_compressed(
        folder / "truth.npz",
        ps_id=area.ps["ps_id"].to_numpy().astype(str),
        dates=area.dates.strftime("%Y-%m-%d").to_numpy().astype(str),
        subsidence_mm=area.truth_mm.astype("float32"),
        head_m=area.head_m.astype("float32"),
        thickness_m=area.thickness_m.astype("float32"),
        permeability_m_per_day=area.permeability_m_per_day.astype("float32"),
        sskv_per_m=area.sskv_per_m.astype("float32"),
        sske_per_m=area.sske_per_m.astype("float32"),
        tau_days=area.tau_days.astype("float32"),
        kv_m_per_day=area.kv_m_per_day.astype("float32"),
        interbed_m=area.interbed_m.astype("float32"),
        anomaly=area.anomaly,
    )
    (folder / "README.txt").write_text(
        "Noise-free truth of the synthetic demo, for tests that models recover physics.\n"
        "Not data: the dashboard never reads or shows it.\n"
    )
    (folder / "config.json").write_text(json.dumps(asdict(area.config), indent=1))


def load_truth(bundle_dir: str | Path) -> SyntheticTruth:
    """Read the noise-free truth written beside a synthetic bundle."""
    with np.load(Path(bundle_dir) / "truth" / "truth.npz") as z:
        return SyntheticTruth(
            dates=pd.DatetimeIndex(pd.to_datetime(z["dates"])),
            ps_id=z["ps_id"],
            subsidence_mm=z["subsidence_mm"].astype(float),
            head_m=z["head_m"].astype(float),
            thickness_m=z["thickness_m"].astype(float),
            permeability_m_per_day=z["permeability_m_per_day"].astype(float),
            sskv_per_m=z["sskv_per_m"].astype(float),
            sske_per_m=z["sske_per_m"].astype(float),
            tau_days=z["tau_days"].astype(float),
            kv_m_per_day=z["kv_m_per_day"].astype(float),
            interbed_m=z["interbed_m"].astype(float),
            anomaly=z["anomaly"],
        )


def write_demo(folder: str | Path, n_points: int = 16487, seed: int = 42, variant: str = "demo") -> Path:
    """Generate and write the demo bundle (``n_points`` PS points) to ``folder``.

    ``variant`` is ``"demo"`` (heads fall throughout) or ``"recovery"`` (heads turn and rise
    from :data:`TURN`: the held-out test of forecasts).
    """
    if variant not in VARIANTS:
        raise SubsidenceError(f"unknown demo variant {variant!r}: expected one of {', '.join(VARIANTS)}")
    recovery = variant == "recovery"
    area = generate(SyntheticConfig(n_points=n_points, seed=seed, recovery=recovery))
    return write_bundle(area, folder, name=RECOVERY_NAME if recovery else DEMO_NAME)


VARIANTS = ("demo", "recovery")
