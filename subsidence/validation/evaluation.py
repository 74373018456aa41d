"""Scores of modelled subsidence changes against InSAR, for any model (the paper's metrics).

Every function takes the observed :class:`~subsidence.series.SeriesData`, modelled
changes of shape (n, E - 1) in mm per acquisition interval (column ``k`` = epoch ``k`` ->
``k + 1``, positive = down; NaN where the model makes no prediction, at least column 0) and
row positions of the points to score. How each figure is computed is written out in
``docs/metrics.md``:

* ``rmse_change_mm``, ``mae_change_mm``: over the scored points and the modelled change
  columns (1 .. E - 2 for one-step models), mm per interval;
* ``rmse_cumulative_mm``: cumulative subsidence rebuilt from the modelled changes, anchored on
  the observed cumulative at the first modelled epoch (epoch 1: the first change has no
  history), RMSE over the scored points and epochs 2 .. E - 1;
* ``rmse_cumulative_last_mm``: the same at the last epoch alone.

Gaps: with ``data.observed`` (InSAR values missing before gap filling) a change counts only
when both its ends were observed, and a cumulative value only when its epoch was observed;
the others are left out of every figure.

Severity classes (:func:`severity_edges`): the paper's 50/100/200/400 mm where the area's
subsidence reaches them (99th percentile of the last epoch at least 200 mm, as on the demo);
otherwise round bounds from the area's own range (a 44 mm area gets 10/20/30 mm), with empty
classes merged into their neighbours.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from subsidence.errors import SubsidenceError
from subsidence.series import SeriesData

PAPER_METRICS = {"rmse_change_mm": 14.412, "mae_change_mm": 10.539, "rmse_cumulative_mm": 67.599}
SEVERITY_EDGES_MM = (50.0, 100.0, 200.0, 400.0)
PAPER_CLASSES_FROM_MM = 200.0
_NICE_STEPS = (1.0, 2.0, 2.5, 5.0)


def _rms(a: np.ndarray, axis: int | None = None) -> np.ndarray | float:
    """Root mean square of the finite values (NaN where there are none), without warnings."""
    ok = np.isfinite(a)
    n = ok.sum(axis=axis)
    total = np.where(ok, a, 0.0) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.sqrt(total.sum(axis=axis) / n)
    return float(out) if axis is None else out


def _mean_abs(a: np.ndarray, axis: int | None = None) -> np.ndarray | float:
    """Mean absolute value of the finite values (NaN where there are none), without warnings."""
    ok = np.isfinite(a)
    n = ok.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.abs(np.where(ok, a, 0.0)).sum(axis=axis) / n
    return float(out) if axis is None else out


def _errors(
    data: SeriesData, modelled: np.ndarray, rows: np.ndarray, s: int
) -> tuple[np.ndarray, np.ndarray]:
    """Change errors (columns ``s`` ..) and cumulative errors (epochs ``s + 1`` ..) of ``rows``,
    NaN where the InSAR value was not observed."""
    err = np.where(data.change_observed, modelled - data.change_mm, np.nan)[rows, s:]
    cum = modelled_cumulative(data, modelled) - data.subsidence_mm
    cum = np.where(data.observed_mask, cum, np.nan)[rows, s + 1 :]
    return err, cum


def _nice_step(top: float) -> float:
    """Largest 1, 2, 2.5 or 5 x 10^k at most ``top``."""
    if not top > 0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(top))
    return float(max(power * m for m in _NICE_STEPS if power * m <= top))


def severity_edges(last_mm: np.ndarray) -> tuple[float, ...]:
    """Class bounds (mm) of severity for an area whose last-epoch cumulative subsidence is ``last_mm``.

    The paper's :data:`SEVERITY_EDGES_MM` when the 99th percentile reaches
    :data:`PAPER_CLASSES_FROM_MM`; otherwise three round bounds ``step, 2 step, 3 step`` with
    ``step`` the largest 1/2/2.5/5 x 10^k at most a quarter of the 99th percentile. Bounds that
    leave a class empty are dropped (the class merges with its neighbour).
    """
    v = np.asarray(last_mm, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return SEVERITY_EDGES_MM
    top = float(np.percentile(v, 99))
    if top >= PAPER_CLASSES_FROM_MM:
        edges = list(SEVERITY_EDGES_MM)
    else:
        step = _nice_step(top / 4)
        edges = [step, 2 * step, 3 * step]
    while len(edges) > 1:
        counts = np.bincount(np.digitize(v, edges), minlength=len(edges) + 1)
        empty = np.flatnonzero(counts == 0)
        if empty.size == 0:
            break
        k = int(empty[-1])
        edges.pop(k - 1 if k > 0 else 0)
    return tuple(float(e) for e in edges)


def _rows(data: SeriesData, modelled: np.ndarray, idx: np.ndarray | None) -> np.ndarray:
    if modelled.shape != (data.n_points, data.n_epochs - 1):
        raise SubsidenceError(
            f"modelled changes have shape {modelled.shape}; expected (n_points, n_epochs - 1) = "
            f"({data.n_points}, {data.n_epochs - 1})"
        )
    rows = np.arange(data.n_points) if idx is None else np.asarray(idx, dtype=np.int64)
    if rows.size == 0:
        raise SubsidenceError("no points to score")
    if rows.min() < 0 or rows.max() >= data.n_points:
        raise SubsidenceError(
            f"point positions must be in [0, {data.n_points}); found {rows.min()}..{rows.max()}"
        )
    return rows


def first_modelled_column(modelled: np.ndarray) -> int:
    """First change column that is finite for every point (1 for one-step models)."""
    full = np.flatnonzero(np.isfinite(modelled).all(axis=0))
    if full.size == 0:
        raise SubsidenceError("the model predicts no change column for every point; nothing to score")
    return int(full[0])


def modelled_cumulative(data: SeriesData, modelled: np.ndarray) -> np.ndarray:
    """Cumulative subsidence rebuilt from modelled changes, shape (n, E), mm.

    With ``s`` the first modelled column (:func:`first_modelled_column`, 1 for the LSTM): the
    observed cumulative up to epoch ``s``, then ``observed[:, s] + cumsum(modelled[:, s:])``.
    """
    _rows(data, modelled, None)
    s = first_modelled_column(modelled)
    out = np.array(data.subsidence_mm, dtype=float)
    out[:, s + 1 :] = data.subsidence_mm[:, s : s + 1] + np.cumsum(modelled[:, s:], axis=1)
    return out


def metrics(data: SeriesData, modelled: np.ndarray, idx: np.ndarray | None = None) -> dict[str, float]:
    """The paper's three figures (and the last-epoch cumulative RMSE) on the points ``idx``.

    Returns
    -------
    dict
        ``rmse_change_mm``, ``mae_change_mm``, ``rmse_cumulative_mm``,
        ``rmse_cumulative_last_mm`` (mm) and ``n_test_points``.
    """
    rows = _rows(data, modelled, idx)
    s = first_modelled_column(modelled)
    err, cum = _errors(data, modelled, rows, s)
    return {
        "rmse_change_mm": float(_rms(err)),
        "mae_change_mm": float(_mean_abs(err)),
        "rmse_cumulative_mm": float(_rms(cum)),
        "rmse_cumulative_last_mm": float(_rms(cum[:, -1])),
        "n_test_points": int(rows.size),
    }


def point_table(data: SeriesData, modelled: np.ndarray, idx: np.ndarray | None = None) -> pd.DataFrame:
    """One row per scored point (the paper's Table 2 for a few of them).

    Returns
    -------
    DataFrame
        ``ps_id``, ``x``, ``y`` (work CRS, m), ``insar_cumulative_mm`` (last epoch),
        ``modelled_cumulative_mm`` (last epoch), ``rmse_change_mm``, ``mae_change_mm``,
        ``cumulative_deviation_mm`` (modelled minus InSAR at the last epoch).
    """
    rows = _rows(data, modelled, idx)
    s = first_modelled_column(modelled)
    err, _ = _errors(data, modelled, rows, s)
    cum = modelled_cumulative(data, modelled)[rows, -1]
    insar = data.subsidence_mm[rows, -1]
    return pd.DataFrame(
        {
            "ps_id": data.ps_ids[rows],
            "x": data.xy_m[rows, 0],
            "y": data.xy_m[rows, 1],
            "insar_cumulative_mm": insar,
            "modelled_cumulative_mm": cum,
            "rmse_change_mm": _rms(err, axis=1),
            "mae_change_mm": _mean_abs(err, axis=1),
            "cumulative_deviation_mm": cum - insar,
        }
    )


def random_points(test_idx: np.ndarray, n: int = 12, seed: int = 0) -> np.ndarray:
    """``n`` test points drawn at random (seeded, sorted), for a table like the paper's Table 2."""
    test_idx = np.asarray(test_idx, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(test_idx, size=min(n, test_idx.size), replace=False))


def severity_labels(edges_mm: tuple[float, ...] = SEVERITY_EDGES_MM) -> list[str]:
    """Class names for ``edges_mm``: ``<50 mm``, ``50-100 mm``, ..., ``>=400 mm``."""
    labels = [f"<{edges_mm[0]:g} mm"]
    labels += [f"{a:g}-{b:g} mm" for a, b in zip(edges_mm[:-1], edges_mm[1:], strict=True)]
    return labels + [f">={edges_mm[-1]:g} mm"]


def severity_table(
    data: SeriesData,
    modelled: np.ndarray,
    idx: np.ndarray | None = None,
    edges_mm: tuple[float, ...] | None = None,
) -> pd.DataFrame:
    """Error against severity (the paper's Fig. 6): classes of InSAR cumulative subsidence.

    Points are classed by their InSAR cumulative subsidence at the last epoch (mm).

    Parameters
    ----------
    edges_mm : tuple of float, optional
        Class bounds; default :func:`severity_edges` of the scored points (the paper's
        50/100/200/400 mm where the area reaches them, round bounds from its range otherwise).

    Returns
    -------
    DataFrame
        One row per class, in order: ``class``, ``n`` (points), ``rmse_change_mm``,
        ``rmse_cumulative_mm`` (epochs 2 .. E - 1 as in :func:`metrics`) and
        ``rmse_cumulative_last_mm``; RMSEs are NaN for an empty class.
    """
    rows = _rows(data, modelled, idx)
    s = first_modelled_column(modelled)
    last = data.subsidence_mm[rows, -1]
    edges = tuple(edges_mm) if edges_mm is not None else severity_edges(last)
    klass = np.digitize(last, edges)
    err, cum = _errors(data, modelled, rows, s)
    records = []
    for k, label in enumerate(severity_labels(edges)):
        m = klass == k
        records.append(
            {
                "class": label,
                "n": int(m.sum()),
                "rmse_change_mm": _rms(err[m]) if m.any() else float("nan"),
                "rmse_cumulative_mm": _rms(cum[m]) if m.any() else float("nan"),
                "rmse_cumulative_last_mm": _rms(cum[m, -1]) if m.any() else float("nan"),
            }
        )
    return pd.DataFrame.from_records(records)
