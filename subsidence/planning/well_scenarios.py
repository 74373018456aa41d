"""Scenarios set per well: a zone of wells at a chosen rate, or future heads read from a CSV.

A scenario per well changes the head trend of some wells only. At each PS point the change is
spread by inverse-distance weighting (power 2) over its :data:`N_NEAREST` nearest wells of the
bundle: wells in the scenario contribute their scenario change, the others the point's own
trend; the point's own seasonal cycle continues on top (:func:`subsidence.planning.scenarios.future_heads`).

CSV format (``docs/forecasts.md``): columns ``well_id,date,head_m``; one row per well and
future date (``YYYY-MM-DD``, after the last acquisition); heads in metres above the datum of
``wells.csv``. The change of a well is its CSV head minus its last reading on or before the last
acquisition, linear between dates and held after the last one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from subsidence.errors import SubsidenceError
from subsidence.io.studyarea import StudyArea
from subsidence.series import SeriesData

N_NEAREST = 6
MIN_DISTANCE_M = 100.0
FAR_YEARS = 100.0
COLUMNS = ("well_id", "date", "head_m")


@dataclass(frozen=True)
class WellChange:
    """Head change of one well relative to the last acquisition: piecewise linear in time.

    ``days`` are days since the data's first acquisition; ``change_m`` metres (+ = rising).
    """

    well_id: str
    x: float
    y: float
    days: tuple[float, ...]
    change_m: tuple[float, ...]

    def at(self, days: np.ndarray) -> np.ndarray:
        return np.asarray(np.interp(days, self.days, self.change_m))


def _last_level(area: StudyArea, well_id: str, last: pd.Timestamp) -> float:
    r = area.wells.readings
    rows = r[(r["well_id"] == well_id) & (r["date"] <= last)]
    if rows.empty:
        raise SubsidenceError(
            f"well {well_id} has no reading on or before the last acquisition ({last.date()}): "
            "its change cannot be measured; leave it out of the scenario"
        )
    return float(rows["head_m"].iloc[-1])


def _xy(area: StudyArea, well_id: str) -> tuple[float, float]:
    i = int(np.flatnonzero(area.wells.ids.astype(str) == well_id)[0])
    return float(area.wells.x[i]), float(area.wells.y[i])


def zone_changes(
    area: StudyArea, data: SeriesData, well_ids: list[str], rate_m_per_yr: float
) -> tuple[WellChange, ...]:
    """Changes of the chosen wells: ``rate_m_per_yr`` from the last acquisition (+ = recovery)."""
    known = set(area.wells.ids.astype(str))
    unknown = [w for w in well_ids if w not in known]
    if unknown or not well_ids:
        raise SubsidenceError(
            f"zone scenario: wells {unknown or '(none)'} are not wells of this study area; choose ids of wells.csv"
        )
    t_last = float(data.days[-1])
    far = t_last + FAR_YEARS * 365.25
    return tuple(
        WellChange(w, *_xy(area, w), (t_last, far), (0.0, rate_m_per_yr * FAR_YEARS))
        for w in sorted(well_ids)
    )


def read_heads_csv(source: str | Path | bytes, area: StudyArea, data: SeriesData) -> tuple[WellChange, ...]:
    """Well changes from a CSV of future heads (format in the module docstring).

    Raises
    ------
    SubsidenceError
        One line naming the row (1 = the first data row) and column, what was expected and how
        to fix it.
    """
    name = "the scenario CSV" if isinstance(source, bytes) else str(source)
    try:
        frame = pd.read_csv(io.BytesIO(source) if isinstance(source, bytes) else source, dtype=str)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise SubsidenceError(
            f"{name}: cannot be read as CSV ({exc}); expected columns {','.join(COLUMNS)}"
        ) from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise SubsidenceError(
            f"{name}: missing column(s) {', '.join(missing)}; expected a header line {','.join(COLUMNS)}"
        )
    if frame.empty:
        raise SubsidenceError(f"{name}: no rows; expected one row per well and future date")
    known = set(area.wells.ids.astype(str))
    last = data.dates[-1]
    rows: dict[str, list[tuple[float, float]]] = {}
    for i, rec in enumerate(frame.itertuples(index=False), start=1):
        well = str(rec.well_id).strip()
        if well not in known:
            raise SubsidenceError(f"{name} row {i}, column well_id: {well!r} is not a well of wells.csv")
        when = pd.to_datetime(str(rec.date).strip(), format="%Y-%m-%d", errors="coerce")
        if pd.isna(when):
            raise SubsidenceError(
                f"{name} row {i}, column date: {rec.date!r} is not a date; expected YYYY-MM-DD"
            )
        if when <= last:
            raise SubsidenceError(
                f"{name} row {i}, column date: {when.date()} is not after the last acquisition ({last.date()})"
            )
        try:
            head = float(str(rec.head_m).strip())
        except ValueError:
            head = float("nan")
        if not np.isfinite(head):
            raise SubsidenceError(f"{name} row {i}, column head_m: {rec.head_m!r} is not a number of metres")
        rows.setdefault(well, []).append(((when - data.dates[0]).days, head))
    out = []
    for well, pairs in sorted(rows.items()):
        pairs.sort()
        level = _last_level(area, well, last)
        days = (float(data.days[-1]), *(float(d) for d, _ in pairs))
        change = (0.0, *(h - level for _, h in pairs))
        out.append(WellChange(well, *_xy(area, well), days, change))
    return tuple(out)


def spread(
    changes: tuple[WellChange, ...], all_wells_xy: np.ndarray, xy_m: np.ndarray, future_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Scenario change at the points and the weight of the scenario wells.

    Returns
    -------
    change_m : ndarray, shape (n, F)
        Sum over scenario wells of weight x change.
    weight : ndarray, shape (n,)
        Total inverse-distance weight of the scenario wells among the point's nearest wells
        (the rest of the weight keeps the point's own trend).
    """
    wells_xy = np.asarray(all_wells_xy, float)
    scen_xy = np.array([[c.x, c.y] for c in changes])
    k = min(N_NEAREST, len(wells_xy))
    d_all = np.hypot(*(xy_m[:, None, :] - wells_xy[None, :, :]).transpose(2, 0, 1))
    cutoff = np.sort(d_all, axis=1)[:, k - 1 : k]  # the k-th nearest well's distance
    w_all = np.where(d_all <= cutoff, 1.0 / np.maximum(d_all, MIN_DISTANCE_M) ** 2, 0.0)
    total = w_all.sum(axis=1)
    d_s = np.hypot(*(xy_m[:, None, :] - scen_xy[None, :, :]).transpose(2, 0, 1))
    w_s = np.where(d_s <= cutoff, 1.0 / np.maximum(d_s, MIN_DISTANCE_M) ** 2, 0.0) / total[:, None]
    per_well = np.stack([c.at(future_days) for c in changes])  # (m, F)
    return w_s @ per_well, w_s.sum(axis=1)
