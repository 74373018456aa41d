"""Plausibility rules for a study area: values that parse but cannot be right.

Each rule either adds a plain-words note to the data-quality report (``StudyArea.notes``) or,
where the value would make every result meaningless, refuses the bundle with a
:class:`~subsidence.errors.BundleError` naming the file, the row or point and the fix.
``docs/limits.md`` lists the thresholds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from subsidence.errors import BundleError
from subsidence.io.studyarea import Layer, Wells
from subsidence.text import shorten

MAX_STEP_MM = 1000.0  # refused: a metre between two acquisitions is not land subsidence
NOTE_STEP_MM = 100.0  # noted: a decimetre between two acquisitions is suspicious
MAX_ABS_HEAD_M = 9000.0  # refused: above any well on Earth (heads in cm or mm?)
DUPLICATE_DISTANCE_M = 1e-3  # wells closer than this are one place (kriging would be singular)
NOTE_HEAD_STEP_M = 20.0  # noted: a well's typical change between readings (cm?)
MAX_WELL_MOVE_M = 1.0  # refused: one well with two locations
NOTE_THICKNESS_M = 3000.0  # noted: thicker than any aquifer system (cm?)
NOTE_TINY_MM = 1.0  # noted: every series within 1 mm (metres read as mm?)


def check_wells(ids: pd.Series, nums: np.ndarray, file: str) -> None:
    """Refuse heads no well can have and wells whose coordinates change between rows.

    Parameters
    ----------
    ids : Series
        ``well_id`` of each row.
    nums : ndarray, shape (n, 3)
        ``x``, ``y``, ``head_m`` of each row (finite).
    file : str
        The wells file's name, for messages.
    """
    heads = nums[:, 2]
    big = np.abs(heads) > MAX_ABS_HEAD_M
    if big.any():
        i = int(np.flatnonzero(big)[0])
        raise BundleError(
            f"{file}, row {i + 2} ({shorten(ids.iloc[i], 40)}), column 'head_m': {heads[i]:g} m is beyond any "
            f"groundwater level (|head| <= {MAX_ABS_HEAD_M:g} m); give heads in metres, not cm or mm"
        )
    frame = pd.DataFrame({"id": ids.to_numpy(), "x": nums[:, 0], "y": nums[:, 1], "row": np.arange(len(ids))})
    spread = frame.groupby("id").agg(x0=("x", "min"), x1=("x", "max"), y0=("y", "min"), y1=("y", "max"))
    moved = pd.Series(np.hypot(spread["x1"] - spread["x0"], spread["y1"] - spread["y0"]), index=spread.index)
    if (moved > MAX_WELL_MOVE_M).any():
        well = moved[moved > MAX_WELL_MOVE_M].index[0]
        rows = frame.loc[frame["id"] == well]
        first = rows.iloc[0]
        other = rows.loc[(rows["x"] != first["x"]) | (rows["y"] != first["y"])].iloc[0]
        raise BundleError(
            f"{file}: well {shorten(well, 40)!r} is at ({first['x']:g}, {first['y']:g}) in row {int(first['row']) + 2} "
            f"and at ({other['x']:g}, {other['y']:g}) in row {int(other['row']) + 2}; expected one location per "
            "well (give a moved well a new well_id)"
        )


def _wells_apart(wells: Wells, files: dict[str, str]) -> None:
    """Refuse two wells at one place now, as kriging would later (coverage notes: report.py)."""
    from scipy.spatial.distance import cdist

    xy = np.column_stack([wells.x, wells.y])
    ids = wells.ids
    if len(xy) > 1:
        d = cdist(xy, xy)
        np.fill_diagonal(d, np.inf)
        if d.min() <= DUPLICATE_DISTANCE_M:
            i, j = np.unravel_index(int(np.argmin(d)), d.shape)
            raise BundleError(
                f"{files['wells']}: wells {shorten(ids[i], 40)!r} and {shorten(ids[j], 40)!r} are at the same place; "
                "expected distinct locations (merge them or remove one)"
            )


def check(
    points: pd.DataFrame,
    dates: pd.DatetimeIndex,
    values: np.ndarray,
    wells: Wells,
    layers: dict[str, Layer | None],
    files: dict[str, str],
) -> list[str]:
    """Notes on suspicious values; refuses jumps of metres between acquisitions.

    Parameters
    ----------
    points : DataFrame
        Holds ``ps_id``.
    dates : DatetimeIndex
    values : ndarray, shape (n_points, n_epochs)
        Cumulative subsidence in mm (positive down), NaN where missing.
    wells : Wells
    layers : dict
        Layer name -> Layer or None.
    files : dict
        Role -> file name, for messages.

    Returns
    -------
    list of str
        Plain-words notes for the data-quality report.
    """
    notes: list[str] = []
    filled = pd.DataFrame(values).ffill(axis=1).to_numpy()
    steps = np.abs(np.diff(filled, axis=1))
    steps = np.where(np.isfinite(steps), steps, 0.0)
    worst = steps.max(axis=1) if steps.size else np.zeros(len(values))
    ids = points["ps_id"].to_numpy()
    if len(worst) and worst.max() > MAX_STEP_MM:
        i = int(np.argmax(worst))
        k = int(np.argmax(steps[i]))
        raise BundleError(
            f"{files['ps']}, point {shorten(ids[i], 40)!r}: moves {worst[i]:,.0f} mm between {dates[k].date()} and "
            f"{dates[k + 1].date()}; expected under {MAX_STEP_MM:,.0f} mm between acquisitions (check "
            "displacement_unit in the manifest, or remove the point)"
        )
    jumpy = worst > NOTE_STEP_MM
    if jumpy.any():
        i = int(np.argmax(worst))
        notes.append(
            f"{int(jumpy.sum())} PS series jump more than {NOTE_STEP_MM:g} mm between two acquisitions "
            f"(largest {worst[i]:,.0f} mm at point {shorten(ids[i], 40)}); check them, they dominate the errors"
        )
    finite = values[np.isfinite(values)]
    if finite.size and np.abs(finite).max() < NOTE_TINY_MM and values.shape[1] > 1:
        notes.append(
            f"every PS value is within {NOTE_TINY_MM:g} mm; if the file is in metres set "
            'displacement_unit = "m" in the manifest'
        )
    _wells_apart(wells, files)
    readings = wells.readings
    if len(readings):
        step = readings.groupby("well_id")["head_m"].diff().abs()
        typical = step.groupby(readings["well_id"]).median()
        odd = typical[typical > NOTE_HEAD_STEP_M]
        if len(odd):
            notes.append(
                f"{len(odd)} well(s) change by more than {NOTE_HEAD_STEP_M:g} m between typical readings "
                f"(e.g. {shorten(odd.index[0], 40)}); are the heads in cm? head_m must be metres"
            )
    for name, layer in layers.items():
        vals = getattr(layer, "values", None)
        if name == "thickness" and vals is not None and len(vals) and np.nanmax(vals) > NOTE_THICKNESS_M:
            notes.append(
                f"thickness values reach {np.nanmax(vals):,.0f} m, thicker than any aquifer system; "
                "are they in cm? thickness must be metres"
            )
    return notes
