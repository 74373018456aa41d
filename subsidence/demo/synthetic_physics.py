"""Consolidation physics of the synthetic study area: heads, delayed compaction, time constants.

Split from :mod:`subsidence.demo.synthetic` (see its docstring for the model); the frame, the
pumping centres and the physical constants live here so that generation can import them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CENTRE_X_M, CENTRE_Y_M = 470_000.0, 4_425_000.0  # about 116.65 E, 39.97 N in UTM 50N
WIDTH_M, HEIGHT_M = 60_000.0, 50_000.0
SSKV_PER_M = 1.0e-3
ELASTIC_RATIO = 40.0
PUMPING_START = pd.Timestamp("2001-01-01")
# The recovery variant (held-out test of forecasts): heads fall until the turn, in the middle of
# the acquisition period, then rise at RECOVERY_FRACTION of their former decline rate (as
# Beijing's after the South-to-North water diversion reached it).
TURN = pd.Timestamp("2013-12-01")
RECOVERY_FRACTION = 1.0
ROWS_AT_ONCE = 1024  # points whose compaction is computed together (memory ~ 100 MB)

# Pumping centres (fraction of the width, fraction of the height, depth of cone m, extra decline m/yr,
# radius m): Chaoyang-Tongzhou in the east, Changping and Shunyi in the north, Daxing in the south.
CENTRES = (
    (0.62, 0.55, 25.0, 2.6, 5000.0),
    (0.80, 0.36, 20.0, 3.0, 4500.0),
    (0.36, 0.82, 18.0, 2.0, 4500.0),
    (0.72, 0.84, 15.0, 2.2, 4000.0),
    (0.45, 0.16, 8.0, 0.5, 5000.0),
)


def _gauss(x: np.ndarray, y: np.ndarray, cx: float, cy: float, r: float) -> np.ndarray:
    return np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r**2))


def _frame() -> tuple[float, float]:
    return CENTRE_X_M - WIDTH_M / 2, CENTRE_Y_M - HEIGHT_M / 2


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
    t_step = times_days[1:]
    # the times since a step repeat across evaluation times: U once per distinct time (7x fewer)
    since_all = np.where(t_step[None, :] <= eval_days[:, None], eval_days[:, None] - t_step[None, :], -1.0)
    distinct, where = np.unique(since_all, return_inverse=True)
    where = where.reshape(since_all.shape)
    out = np.empty((heads_m.shape[0], len(eval_days)))
    for r in range(0, heads_m.shape[0], ROWS_AT_ONCE):  # rows are independent: bounded memory
        rows = slice(r, r + ROWS_AT_ONCE)
        heads = heads_m[rows]
        dh = np.diff(heads, axis=1)  # (n, K-1)
        previous_min = np.minimum.accumulate(heads, axis=1)[:, :-1]
        new_min = np.minimum(previous_min, heads[:, 1:])
        inelastic_drop = previous_min - new_min  # >= 0: decline below the pre-consolidation head
        elastic_change = -dh - inelastic_drop  # the rest of the decline (negative when rising)
        tau = tau_days[rows, None]
        u_all = np.where(distinct >= 0, degree_of_consolidation(distinct[None, :] / tau), 0.0)
        for j, te in enumerate(eval_days):
            since = np.where(t_step <= te, te - t_step, -1.0)[None, :]
            inel = (inelastic_drop * u_all[:, where[j]]).sum(axis=1)
            el = (elastic_change * (since >= 0)).sum(axis=1)
            out[rows, j] = b_m[rows] * (sskv[rows] * inel + sskv[rows] / ELASTIC_RATIO * el)
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
    return np.asarray(sskv * (_interbed_m(b_m) / 2) ** 2 / _kv_m_per_day(k_m_per_day, sskv))
