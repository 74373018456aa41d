"""A fitted model's results on a study area, ready for maps, tables and plain words.

One call, :func:`model_results`, runs the model in both modes over every point and scores it
on the test points; the other functions turn that into what a page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from subsidence.errors import SubsidenceError
from subsidence.models.base import FREE_RUNNING, MODES, ONE_STEP
from subsidence.series import SeriesData
from subsidence.validation import evaluation

MEASURES = ("deviation", "rmse", "insar")
MEASURE_LABELS = {
    "deviation": "deviation of cumulative subsidence (modelled − InSAR)",
    "rmse": "RMSE of the change per interval",
    "insar": "InSAR cumulative subsidence",
}


@dataclass(frozen=True)
class ModelResults:
    """Modelled subsidence at every point, in both modes, scored on the test points.

    Attributes
    ----------
    data : SeriesData
    test_mask : ndarray of bool, shape (n,)
    changes : dict mode -> ndarray (n, E - 1)
        Modelled change per interval, mm ("one-step" and, when the model offers it,
        "free-running").
    cumulative : dict mode -> ndarray (n, E)
        Modelled cumulative subsidence, mm (see :func:`subsidence.validation.evaluation.modelled_cumulative`).
    tables : dict mode -> DataFrame
        :func:`subsidence.validation.evaluation.point_table` for every point, plus ``set`` (test/train).
    metrics : dict mode -> dict
        Scores on the test points.
    severity : dict mode -> DataFrame
        Error against severity class on the test points.
    """

    data: SeriesData
    test_mask: np.ndarray
    changes: dict[str, np.ndarray]
    cumulative: dict[str, np.ndarray]
    tables: dict[str, pd.DataFrame]
    metrics: dict[str, dict[str, float]]
    severity: dict[str, pd.DataFrame]

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(self.changes)


def model_results(model: Any, data: SeriesData, test_idx: np.ndarray) -> ModelResults:
    """Run ``model`` over every point in each mode it offers and score it on ``test_idx``."""
    test_mask = np.zeros(data.n_points, bool)
    test_mask[np.asarray(test_idx, dtype=np.int64)] = True
    changes, cumulative, tables, scores, severity = {}, {}, {}, {}, {}
    for mode in MODES:
        try:
            modelled = model.predict(data, mode)
        except SubsidenceError:
            if mode == ONE_STEP:
                raise
            continue
        changes[mode] = modelled
        cumulative[mode] = evaluation.modelled_cumulative(data, modelled)
        tables[mode] = evaluation.point_table(data, modelled).assign(set=np.where(test_mask, "test", "train"))
        scores[mode] = evaluation.metrics(data, modelled, test_idx)
        severity[mode] = evaluation.severity_table(data, modelled, test_idx)
    return ModelResults(data, test_mask, changes, cumulative, tables, scores, severity)


def map_values(
    results: ModelResults, measure: str, epoch: int, mode: str = ONE_STEP
) -> tuple[np.ndarray, str, str]:
    """Values to colour the map by, with their ramp and label.

    Parameters
    ----------
    measure : {"deviation", "rmse", "insar"}
    epoch : int
        Epoch index for "deviation" and "insar".

    Returns
    -------
    values : ndarray, shape (n,), mm
    ramp : str
        A ramp of :mod:`subsidence.viz.maps` ("diverging" for deviations).
    label : str
    """
    if measure not in MEASURES:
        raise SubsidenceError(f"measure {measure!r}: expected one of {', '.join(MEASURES)}")
    day = results.data.dates[epoch].date()
    if measure == "deviation":
        values = results.cumulative[mode][:, epoch] - results.data.subsidence_mm[:, epoch]
        return values, "diverging", f"{MEASURE_LABELS[measure]} on {day}"
    if measure == "rmse":
        return results.tables[mode]["rmse_change_mm"].to_numpy(), "magnitude", MEASURE_LABELS[measure]
    return results.data.subsidence_mm[:, epoch], "subsidence", f"{MEASURE_LABELS[measure]} on {day}"


COLUMNS = (
    "ps_id",
    "set",
    "x",
    "y",
    "insar_cumulative_mm",
    "modelled_cumulative_mm",
    "cumulative_deviation_mm",
    "rmse_change_mm",
    "mae_change_mm",
)
DECIMALS = {
    "x": 0,
    "y": 0,
    "insar_cumulative_mm": 1,
    "modelled_cumulative_mm": 1,
    "cumulative_deviation_mm": 1,
    "rmse_change_mm": 2,
    "mae_change_mm": 2,
}


def picked_table(results: ModelResults, ps_ids: list[str], mode: str = ONE_STEP) -> pd.DataFrame:
    """The paper's Table 2 for the picked points, in pick order (x, y in work CRS metres; mm)."""
    table = results.tables[mode].set_index("ps_id")
    present = [p for p in ps_ids if p in table.index]
    return table.loc[present].reset_index()[list(COLUMNS)].round(DECIMALS)


def export_table(results: ModelResults) -> pd.DataFrame:
    """Per-point results for export: one row per PS point, both modes' cumulative and errors."""
    base = results.tables[ONE_STEP][list(COLUMNS)]
    if FREE_RUNNING in results.tables:
        free = results.tables[FREE_RUNNING][
            ["modelled_cumulative_mm", "cumulative_deviation_mm", "rmse_change_mm"]
        ]
        base = base.join(free.add_suffix("_free"))
    return base


def plain_summary(results: ModelResults, noise_mm: float | None = None) -> list[str]:
    """A few sentences for non-specialists: where the model does well and where it fails."""
    m = results.metrics[ONE_STEP]
    sev = results.severity[ONE_STEP].dropna(subset=["rmse_cumulative_last_mm"])
    n_test = int(results.test_mask.sum())
    lines = [
        f"On {n_test:,} test points the model is off by {m['rmse_change_mm']:.1f} mm per acquisition interval "
        f"(RMSE) and, summed over the whole period, by {m['rmse_cumulative_last_mm']:.0f} mm at the last date."
    ]
    if len(sev) >= 2:
        best, worst = (
            sev.iloc[sev["rmse_cumulative_last_mm"].argmin()],
            sev.iloc[sev["rmse_cumulative_last_mm"].argmax()],
        )
        lines.append(
            f"It does best where the ground sank {best['class']} ({best['rmse_cumulative_last_mm']:.0f} mm off at the end) "
            f"and worst where it sank {worst['class']} ({worst['rmse_cumulative_last_mm']:.0f} mm off)."
        )
    if noise_mm is not None and np.isfinite(noise_mm):
        ratio = m["rmse_change_mm"] / noise_mm
        lines.append(
            f"InSAR itself scatters by about {noise_mm:.1f} mm per interval at stable points, so the model's error is "
            f"{ratio:.1f} times the measurement noise."
        )
    if FREE_RUNNING in results.metrics:
        lines.append(
            f"Run on its own predictions (as a forecast would be), its cumulative error at the last date is "
            f"{results.metrics[FREE_RUNNING]['rmse_cumulative_last_mm']:.0f} mm."
        )
    return lines
