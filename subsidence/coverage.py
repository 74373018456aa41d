"""Which acquisitions the wells cover, and the model period (``docs/coverage.md``).

Groundwater levels are read at the wells' own dates; every model step needs a kriged head at
each acquisition date, and kriging needs at least :data:`MIN_WELLS` wells reporting. The
coverage policy says when a well reports at an acquisition:

* **inside a well's span** (between its first and last reading) its level is interpolated
  linearly in time between readings (long gaps are flagged in the data-quality report);
* **beyond its span** the first or last reading is carried to an acquisition at most
  :func:`tolerance_days` away: half the well's median interval between readings, at least
  :data:`MIN_TOLERANCE_DAYS` and at most :data:`MAX_TOLERANCE_DAYS` (15 days for a well read
  monthly). Further away the well is silent.

An acquisition that fewer than :data:`MIN_WELLS` wells cover is **outside the model period**.
The default model period is the longest run of consecutive covered acquisitions (ties: the
latest); the acquisitions outside it are left out, each with its reason. The user may narrow
the period with a start and an end date, or choose ``extend_heads``: then each well is
extended over the whole InSAR period by its own trend and annual season (least squares on its
readings, anchored to its last readings) and the extended levels are marked as extrapolated.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from subsidence.errors import SubsidenceError
from subsidence.io.studyarea import StudyArea, Wells, data_fingerprint

MIN_WELLS = 3
MIN_TOLERANCE_DAYS = 15.0
MAX_TOLERANCE_DAYS = 90.0
MIN_PERIOD_EPOCHS = 3
OBSERVED = "observed"
EXTRAPOLATED = "extrapolated"
EXTRAPOLATED_COLUMN = "extrapolated"
_DAY_S = 86400.0
_YEAR_DAYS = 365.25


def tolerance_days(dates: pd.Series | pd.DatetimeIndex | np.ndarray) -> float:
    """How far (days) one well's first or last reading is carried beyond its span.

    Half the median interval between the well's distinct reading dates, clipped to
    [:data:`MIN_TOLERANCE_DAYS`, :data:`MAX_TOLERANCE_DAYS`]; the minimum for a single reading.
    """
    days = np.unique(pd.DatetimeIndex(dates).values.astype("datetime64[D]").astype(np.int64))
    if len(days) < 2:
        return MIN_TOLERANCE_DAYS
    return float(np.clip(np.median(np.diff(days)) / 2.0, MIN_TOLERANCE_DAYS, MAX_TOLERANCE_DAYS))


def _seconds(dates: Any) -> np.ndarray:
    return pd.DatetimeIndex(dates).values.astype("datetime64[s]").astype(np.int64).astype(float)


def levels_at(wells: Wells, dates: pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """Well levels at the given dates under the coverage policy.

    Parameters
    ----------
    wells : Wells
    dates : DatetimeIndex or array of datetime64, shape (n_epochs,)

    Returns
    -------
    ndarray, shape (n_wells, n_epochs)
        Head (m above datum) in the order of ``wells.ids``: linear in time inside each well's
        span, its first/last reading carried up to :func:`tolerance_days` beyond it, NaN
        further away. Readings on the same date are averaged.
    """
    t = _seconds(dates)
    out = np.full((wells.n_wells, len(t)), np.nan)
    readings = wells.readings.groupby(["well_id", "date"], sort=True)["head_m"].mean().reset_index()
    position = {str(w): i for i, w in enumerate(wells.ids)}
    for well_id, group in readings.groupby("well_id", sort=False):
        i = position.get(str(well_id))
        if i is None:
            continue
        ts = _seconds(group["date"])
        h = group["head_m"].to_numpy(float)
        reach = tolerance_days(group["date"]) * _DAY_S
        inside = (t >= ts[0] - reach) & (t <= ts[-1] + reach)
        out[i, inside] = np.interp(t[inside], ts, h)  # np.interp holds the end values
    return out


def coverage_counts(area: StudyArea) -> np.ndarray:
    """Number of wells reporting at each acquisition under the policy, shape (n_epochs,)."""
    return np.asarray(np.isfinite(levels_at(area.wells, area.dates)).sum(axis=0))


@dataclass(frozen=True)
class ModelPeriod:
    """The acquisitions models and maps use, and why the others are left out.

    Attributes
    ----------
    first, last : Timestamp
        First and last acquisition of the period (inclusive).
    left_out : tuple of (str, str)
        ``("YYYY-MM-DD", reason)`` for every acquisition outside the period, in date order.
    heads : {"observed", "extrapolated"}
        ``"extrapolated"`` when wells are extended beyond their readings by trend and season.
    n_kept, n_total : int
        Acquisitions in the period, and in the study area.
    """

    first: pd.Timestamp
    last: pd.Timestamp
    left_out: tuple[tuple[str, str], ...]
    heads: str
    n_kept: int
    n_total: int

    @property
    def is_full(self) -> bool:
        """True when the period keeps every acquisition with observed heads (nothing changes)."""
        return not self.left_out and self.heads == OBSERVED

    def sentence(self) -> str:
        """One plain sentence for pages and reports."""
        span = f"{self.first.date()} to {self.last.date()} ({self.n_kept} of {self.n_total} acquisitions)"
        if self.heads == EXTRAPOLATED:
            return (
                f"Model period {span}; groundwater levels beyond the wells' readings are extrapolated "
                f"from each well's trend and season, so results there are less certain."
            )
        if not self.left_out:
            return f"Model period {span}: the wells cover every acquisition."
        groups: dict[str, list[str]] = {}
        for day, reason in self.left_out:
            groups.setdefault(_plain_reason(reason), []).append(day)
        parts = [
            f"{len(days)} acquisition(s) ({days[0]}{'' if len(days) == 1 else ' to ' + days[-1]}) {why}"
            for why, days in groups.items()
        ]
        return f"Model period {span}; left out: {'; '.join(parts)}."

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``model_period`` object."""
        return {
            "first": str(self.first.date()),
            "last": str(self.last.date()),
            "n_kept": self.n_kept,
            "n_left_out": len(self.left_out),
            "left_out": [{"date": d, "reason": r} for d, r in self.left_out],
            "heads": self.heads,
            "sentence": self.sentence(),
        }


def _plain_reason(reason: str) -> str:
    """The reason of a left-out acquisition, as said for a group of them."""
    if reason.startswith("only"):
        return f"because fewer than {MIN_WELLS} wells have readings near them"
    if reason.startswith("separated"):
        return "because acquisitions the wells do not cover separate them from the period"
    return "because they are outside the chosen dates"


def default_period(area: StudyArea) -> ModelPeriod:
    """The longest run of acquisitions that at least :data:`MIN_WELLS` wells cover."""
    return period_for(area)


def _parse(value: Any, name: str) -> pd.Timestamp | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError) as exc:
        raise SubsidenceError(f"{name} date: expected YYYY-MM-DD, found {value!r}") from exc


def _longest_run(ok: np.ndarray) -> tuple[int, int] | None:
    """(start, stop) of the longest run of True (the latest on ties); None when none."""
    best: tuple[int, int] | None = None
    start = None
    for k, flag in enumerate([*ok.tolist(), False]):
        if flag and start is None:
            start = k
        elif not flag and start is not None:
            if best is None or k - start >= best[1] - best[0]:
                best = (start, k)
            start = None
    return best


def period_for(
    area: StudyArea,
    start: Any = None,
    end: Any = None,
    extend_heads: bool = False,
) -> ModelPeriod:
    """The model period for the user's choice.

    Parameters
    ----------
    area : StudyArea
    start, end : date-like or None
        Keep acquisitions on or after ``start`` and on or before ``end`` (``YYYY-MM-DD``).
    extend_heads : bool
        Extend every well over the InSAR period by its trend and season instead of leaving
        uncovered acquisitions out.

    Returns
    -------
    ModelPeriod
        The longest run of covered acquisitions between ``start`` and ``end``.

    Raises
    ------
    SubsidenceError
        A date that cannot be read, ``start`` after ``end``, or fewer than
        :data:`MIN_PERIOD_EPOCHS` acquisitions left.
    """
    dates = area.dates
    lo, hi = _parse(start, "start"), _parse(end, "end")
    if lo is not None and hi is not None and lo > hi:
        raise SubsidenceError(f"start {lo.date()} is after end {hi.date()}; expected start <= end")
    counts = np.full(len(dates), area.wells.n_wells) if extend_heads else coverage_counts(area)
    in_range = np.ones(len(dates), bool)
    if lo is not None:
        in_range &= dates >= lo
    if hi is not None:
        in_range &= dates <= hi
    run = _longest_run(in_range & (counts >= MIN_WELLS))
    n_run = 0 if run is None else run[1] - run[0]
    if run is None or n_run < MIN_PERIOD_EPOCHS:
        covered = int((counts >= MIN_WELLS).sum())
        raise SubsidenceError(
            f"only {n_run} consecutive acquisition(s) between {dates[in_range][0].date() if in_range.any() else lo} "
            f"and {dates[in_range][-1].date() if in_range.any() else hi} have at least {MIN_WELLS} wells reporting "
            f"({covered} of {len(dates)} in all); expected at least {MIN_PERIOD_EPOCHS}: widen --start/--end, "
            f"add well readings, or extend heads (--extend-heads)"
        )
    left_out = []
    for k, d in enumerate(dates):
        if run[0] <= k < run[1]:
            continue
        if not in_range[k]:
            reason = "before the chosen start" if lo is not None and d < lo else "after the chosen end"
        elif counts[k] < MIN_WELLS:
            reason = f"only {int(counts[k])} well(s) have readings near this date ({MIN_WELLS} needed)"
        else:
            reason = "separated from the model period by acquisitions the wells do not cover"
        left_out.append((str(d.date()), reason))
    return ModelPeriod(
        first=dates[run[0]],
        last=dates[run[1] - 1],
        left_out=tuple(left_out),
        heads=EXTRAPOLATED if extend_heads else OBSERVED,
        n_kept=n_run,
        n_total=len(dates),
    )


# --- extrapolated heads ----------------------------------------------------------------------


def _design(t_years: np.ndarray, seasonal: bool) -> np.ndarray:
    cols = [np.ones_like(t_years), t_years]
    if seasonal:
        cols += [np.sin(2 * np.pi * t_years), np.cos(2 * np.pi * t_years)]
    return np.column_stack(cols)


def extend_wells(wells: Wells, dates: pd.DatetimeIndex) -> Wells:
    """Wells with readings added at ``dates`` the policy leaves uncovered, from trend + season.

    Each well's readings are fitted by least squares with a linear trend and an annual
    sinusoid (the sinusoid only when its readings span a year and number at least 6; the
    trend only with readings spanning 60 days or more; otherwise its mean level). The fit is
    anchored to the readings: before the span it is shifted by the mean residual of the first
    three readings, after it by that of the last three. Added rows have ``extrapolated`` True.
    """
    readings = wells.readings.copy()
    if EXTRAPOLATED_COLUMN not in readings:
        readings[EXTRAPOLATED_COLUMN] = False
    observed = readings[~readings[EXTRAPOLATED_COLUMN].astype(bool)]
    covered = np.isfinite(levels_at(replace(wells, readings=observed), dates))
    origin = dates[0]
    added = []
    for i, well_id in enumerate(wells.ids):
        gaps = ~covered[i]
        own = observed[observed["well_id"].astype(str) == str(well_id)].sort_values("date")
        if not gaps.any() or own.empty:
            continue
        t = np.asarray((own["date"] - origin).dt.days, float) / _YEAR_DAYS
        h = own["head_m"].to_numpy(float)
        span = t.max() - t.min()
        cols = 1 if span * _YEAR_DAYS < 60 else 4 if (span >= 1.0 and len(t) >= 6) else 2
        design = _design(t, seasonal=cols == 4)[:, :cols]
        coef = np.linalg.lstsq(design, h, rcond=None)[0]
        residual = h - design @ coef
        when = dates[gaps]
        tw = np.asarray((when - origin).days, float) / _YEAR_DAYS
        fit = _design(tw, seasonal=cols == 4)[:, :cols] @ coef
        shift = np.where(tw < t.min(), residual[:3].mean(), residual[-3:].mean())
        added.append(
            pd.DataFrame(
                {
                    "well_id": str(well_id),
                    "date": when,
                    "head_m": fit + shift,
                    EXTRAPOLATED_COLUMN: True,
                }
            )
        )
    if added:
        readings = pd.concat([readings, *added], ignore_index=True)
    readings = readings.sort_values(["well_id", "date"], kind="stable").reset_index(drop=True)
    return replace(wells, readings=readings)


# --- the restricted study area ---------------------------------------------------------------


def _reference(values: np.ndarray, t: np.ndarray, k: int) -> np.ndarray:
    """Each series' value at epoch ``k``: itself, else interpolated in time, else its next value."""
    ref = values[:, k].copy()
    for i in np.flatnonzero(~np.isfinite(ref)):
        ok = np.isfinite(values[i])
        before, after = ok & (t < t[k]), ok & (t > t[k])
        if before.any() and after.any():
            ref[i] = np.interp(t[k], t[ok], values[i, ok])
        elif after.any():
            ref[i] = values[i, np.flatnonzero(after)[0]]
    return ref


def apply_period(area: StudyArea, period: ModelPeriod) -> StudyArea:
    """A new study area restricted to the period's acquisitions.

    Cumulative subsidence is re-zeroed at the first kept date (a missing value there is
    interpolated in time from the full series). Points without a value inside the period are
    dropped (said in the notes). With extrapolated heads the wells are extended
    (:func:`extend_wells`). A full period with observed heads returns ``area`` itself, so its
    fingerprint, and the models saved on it, stay valid.
    """
    if period.is_full:
        return area
    keep = (area.dates >= period.first) & (area.dates <= period.last)
    dates = area.dates[keep]
    values = period_values(area.subsidence_mm, area.dates, period)
    alive = np.isfinite(values).any(axis=1)
    points = area.points
    notes = [*area.notes, period.sentence()]
    if not alive.all():
        notes.append(f"{int((~alive).sum())} point(s) without any value in the model period were left out")
        values, points = values[alive], points[alive].reset_index(drop=True)
    wells = extend_wells(area.wells, dates) if period.heads == EXTRAPOLATED else area.wells
    digest = data_fingerprint(points["ps_id"].to_numpy(), dates, values)
    if period.heads == EXTRAPOLATED:
        digest = hashlib.sha256(f"{digest}|heads=extrapolated".encode()).hexdigest()[:16]
    return replace(
        area,
        points=points,
        dates=dates,
        subsidence_mm=values,
        wells=wells,
        fingerprint=digest,
        notes=tuple(notes),
    )


def period_values(values: np.ndarray, dates: pd.DatetimeIndex, period: ModelPeriod) -> np.ndarray:
    """Rows of cumulative subsidence (n, len(dates)) restricted to the period's acquisitions and
    re-zeroed at its first one (a missing value there interpolated in time); for chunks read
    one at a time as for a whole area (:func:`apply_period`)."""
    keep = (dates >= period.first) & (dates <= period.last)
    ref = _reference(values, _seconds(dates), int(np.flatnonzero(keep)[0]))
    out = values[:, keep] - ref[:, None]
    out[np.isfinite(ref), 0] = 0.0  # cumulative since the first kept date, by definition
    return np.asarray(out)


def restrict(
    area: StudyArea, start: Any = None, end: Any = None, extend_heads: bool = False
) -> tuple[StudyArea, ModelPeriod]:
    """:func:`period_for` then :func:`apply_period`: the area models use, and its period."""
    period = period_for(area, start, end, extend_heads)
    return apply_period(area, period), period
