"""Model inputs: per-point sequences of subsidence change, head change and the geology layers.

Each point gives one sequence. With ``E`` epochs there are ``E - 1`` changes (column ``k`` is
the change from epoch ``k`` to ``k + 1``, as in :mod:`subsidence.models.base`). Step ``t`` of
a sequence (``t = 0 .. E - 3``) holds the inputs known at epoch ``t + 1``:

* the change in InSAR subsidence over interval ``t`` (epoch ``t`` -> ``t + 1``),
* the change in kriged confined head over interval ``t``,
* compressible-layer thickness (m) and permeability coefficient (m/day), the same at every
  step (a layer absent from the bundle is dropped from the inputs),

and its target is the subsidence change over interval ``t + 1``. A one-step-ahead prediction
of change column ``k`` therefore uses the changes up to column ``k - 1`` (inputs up to epoch
``k``) and never the same interval's observed subsidence change.

Unit of the changes (``change_unit``)
-------------------------------------
The paper's data were monthly; real acquisitions are 24, 48 or 72 days apart (here 12-day
multiples). A change per interval mixes the rate of subsidence with the interval's length,
which the model has no input for. The default, ``"per-30-days"``, divides each change by its
interval length and multiplies by 30: a rate in mm (or m of head) per 30 days, the closest to
the paper's "monthly change". ``"per-interval"`` keeps raw changes per acquisition interval.
Whatever the unit, predictions are converted back to mm per interval (multiplying by
``interval_days / 30``) and every metric is reported on the change per interval in mm.

Seasonal inputs
---------------
InSAR over aquifers carries an elastic, reversible seasonal swing (pumping in summer,
recharge in winter). A model can represent it only if it knows the season of the interval it
predicts: ``season_sin``/``season_cos`` are the sine and cosine of the day of the year
(2 pi doy / 365.25) at the middle of the predicted interval (known in advance: a calendar).
They are offered (:func:`available_features` with ``seasonal=True``) only when the series is
dense enough to see a season (at least a year long, a median interval of at most 61 days) and
shows one (an annual sinusoid explains at least a third of what a linear trend leaves):
:func:`seasonal_inputs_useful`.

Scaling
-------
:class:`Scaler` is the paper's min-max scaling to [0, 1], fitted on the training points only
(all steps), stored with the model as plain lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from subsidence.errors import SubsidenceError
from subsidence.geostat.factors import Factors
from subsidence.io.studyarea import PERMEABILITY, THICKNESS, StudyArea
from subsidence.series import SeriesData

PER_30_DAYS = "per-30-days"
PER_INTERVAL = "per-interval"
CHANGE_UNITS = (PER_30_DAYS, PER_INTERVAL)
DAYS_PER_MONTH = 30.0

SEASON_SIN = "season_sin"
SEASON_COS = "season_cos"
SEASON_FEATURES = (SEASON_SIN, SEASON_COS)
DAYS_PER_YEAR = 365.25
SEASONAL_MIN_SPAN_DAYS = 365.0
SEASONAL_MAX_MEDIAN_INTERVAL_DAYS = 61.0
SEASONAL_MIN_SHARE = 1 / 3
THICKNESS_FEATURE = "thickness_m"
PERMEABILITY_FEATURE = "permeability_m_per_day"
_SUBSIDENCE_FEATURE = {PER_30_DAYS: "subsidence_rate_mm_per_30d", PER_INTERVAL: "subsidence_change_mm"}
_HEAD_FEATURE = {PER_30_DAYS: "head_rate_m_per_30d", PER_INTERVAL: "head_change_m"}
# Which bundle layer each static feature needs (named in error messages).
LAYER_OF_FEATURE = {THICKNESS_FEATURE: THICKNESS, PERMEABILITY_FEATURE: PERMEABILITY}


def series_data(area: StudyArea, factors: Factors) -> SeriesData:
    """Put a study area and its kriged factors together as the series every model sees.

    Parameters
    ----------
    area : StudyArea
        Subsidence (n, E) in mm, positive = down; NaN marks a missing value.
    factors : Factors
        Head (n, E) in m above datum and the layers (n,) at the same points.

    Returns
    -------
    SeriesData
        Subsidence gaps filled by linear interpolation in time per point (constant beyond
        the first/last valid value), shifted so that every point is 0 at the first epoch;
        ``observed`` marks the values measured before filling (None when nothing was missing).

    Raises
    ------
    SubsidenceError
        When the factors do not match the area's points and epochs, contain non-finite
        values, or a point has no valid subsidence value.
    """
    n, e = area.subsidence_mm.shape
    if factors.head_m.shape != (n, e):
        raise SubsidenceError(
            f"kriged head has shape {factors.head_m.shape}; expected (n_points, n_epochs) = ({n}, {e})"
        )
    if not np.isfinite(factors.head_m).all():
        raise SubsidenceError(
            f"kriged head has {int((~np.isfinite(factors.head_m)).sum())} non-finite values; krige again"
        )
    for name, layer in ((THICKNESS, factors.thickness_m), (PERMEABILITY, factors.permeability_m_per_day)):
        if layer is not None and (layer.shape != (n,) or not np.isfinite(layer).all()):
            raise SubsidenceError(
                f"{name} at the points: expected {n} finite values, found shape {layer.shape}"
            )
    observed = np.isfinite(area.subsidence_mm)
    return SeriesData(
        ps_ids=area.points["ps_id"].to_numpy().astype(str),
        xy_m=area.xy_m,
        dates=area.dates,
        subsidence_mm=fill_gaps(area.subsidence_mm, area.dates.values.astype("datetime64[s]").astype(float)),
        head_m=np.asarray(factors.head_m, dtype=float),
        thickness_m=None if factors.thickness_m is None else np.asarray(factors.thickness_m, dtype=float),
        permeability_m_per_day=(
            None
            if factors.permeability_m_per_day is None
            else np.asarray(factors.permeability_m_per_day, float)
        ),
        observed=None if observed.all() else observed,
    )


def fill_gaps(values: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Fill NaN by linear interpolation in time, per row; rows start at 0.

    Parameters
    ----------
    values : ndarray, shape (n, E)
    times : ndarray, shape (E,)
        Increasing times (any unit).

    Returns
    -------
    ndarray, shape (n, E)
        A new array without NaN, minus its first column.
    """
    out = np.array(values, dtype=float)
    for i in np.flatnonzero(np.isnan(out).any(axis=1)):
        ok = np.isfinite(out[i])
        if not ok.any():
            raise SubsidenceError(
                f"point at row {i} has no valid subsidence value; remove it from the bundle"
            )
        out[i] = np.interp(times, times[ok], out[i, ok])
    return np.asarray(out - out[:, :1])


def seasonal_share(data: SeriesData, max_points: int = 2000) -> float:
    """Median share of the residual of a linear trend that an annual sinusoid explains, per point.

    ``1 - RSS(trend + sinusoid) / RSS(trend)`` of cumulative subsidence, median over up to
    ``max_points`` points (a fixed, evenly spaced sample): about 0.9 on the P-SBAS-shaped test
    bundle (mostly seasonal motion), 0.16 on the synthetic demo (no seasonal subsidence).
    """
    step = max(1, data.n_points // max_points)
    y = data.subsidence_mm[::step]
    t = data.days
    w = 2 * np.pi / DAYS_PER_YEAR
    trend = np.column_stack([np.ones_like(t), t])
    both = np.column_stack([trend, np.sin(w * t), np.cos(w * t)])

    def rss(design: np.ndarray) -> np.ndarray:
        coef, *_ = np.linalg.lstsq(design, y.T, rcond=None)
        return np.asarray(((y - (design @ coef).T) ** 2).sum(axis=1))

    base = rss(trend)
    ok = base > 0
    if not ok.any():
        return 0.0
    return float(np.median(1 - rss(both)[ok] / base[ok]))


def seasonal_inputs_useful(data: SeriesData) -> bool:
    """True when the series can show a season and does: a year long, a median interval of at
    most 61 days, and an annual sinusoid explaining at least a third of what a linear trend
    leaves (:func:`seasonal_share`).

    Measured: on the synthetic demo (share 0.16) the inputs made ``spatial-lstm``'s summed
    cumulative RMSE worse (28.3 -> 43.5 mm, 5 spatial folds); on the P-SBAS-shaped bundle
    (share 0.9) better (35.2 -> 32.4 mm, change RMSE 4.02 -> 3.84 mm).
    """
    if data.n_epochs < 5:
        return False
    span = float(data.days[-1])
    if (
        span < SEASONAL_MIN_SPAN_DAYS
        or float(np.median(data.interval_days)) > SEASONAL_MAX_MEDIAN_INTERVAL_DAYS
    ):
        return False
    return seasonal_share(data) >= SEASONAL_MIN_SHARE


def season_inputs(data: SeriesData) -> tuple[np.ndarray, np.ndarray]:
    """Sine and cosine of the day of year at the middle of intervals 1 .. E - 2, shape (E - 2,) each."""
    middle = data.dates[1:-1] + (data.dates[2:] - data.dates[1:-1]) / 2
    angle = 2 * np.pi * middle.day_of_year.to_numpy(float) / DAYS_PER_YEAR
    return np.sin(angle), np.cos(angle)


def available_features(
    data: SeriesData, change_unit: str = PER_30_DAYS, seasonal: bool = False
) -> tuple[str, ...]:
    """The paper's input features that ``data`` can provide, in input order.

    With ``seasonal`` the season of the predicted interval (``season_sin``, ``season_cos``)
    is added last when :func:`seasonal_inputs_useful`.

    Returns
    -------
    tuple of str
        Subsidence change, head change, then ``thickness_m`` and ``permeability_m_per_day``
        when the layer exists. The names carry the unit (``subsidence_rate_mm_per_30d`` or
        ``subsidence_change_mm``); this list is saved with every model.
    """
    check_change_unit(change_unit)
    names = [_SUBSIDENCE_FEATURE[change_unit], _HEAD_FEATURE[change_unit]]
    if data.thickness_m is not None:
        names.append(THICKNESS_FEATURE)
    if data.permeability_m_per_day is not None:
        names.append(PERMEABILITY_FEATURE)
    if seasonal and seasonal_inputs_useful(data):
        names.extend(SEASON_FEATURES)
    return tuple(names)


def subsidence_feature(change_unit: str) -> str:
    """Name of the subsidence-change feature for ``change_unit`` (the one fed back when free-running)."""
    check_change_unit(change_unit)
    return _SUBSIDENCE_FEATURE[change_unit]


def check_change_unit(change_unit: str) -> None:
    if change_unit not in CHANGE_UNITS:
        raise SubsidenceError(f"change_unit {change_unit!r}: expected one of {', '.join(CHANGE_UNITS)}")


def missing_layers(feature_names: Sequence[str], layers: Sequence[str]) -> list[str]:
    """Layers that ``feature_names`` need but ``layers`` (names present) lack."""
    return [
        LAYER_OF_FEATURE[f]
        for f in feature_names
        if f in LAYER_OF_FEATURE and LAYER_OF_FEATURE[f] not in layers
    ]


def to_unit(change: np.ndarray, interval_days: np.ndarray, change_unit: str) -> np.ndarray:
    """Changes per interval, shape (..., E - 1), to ``change_unit`` (same shape)."""
    check_change_unit(change_unit)
    return change * (DAYS_PER_MONTH / interval_days) if change_unit == PER_30_DAYS else np.array(change)


def to_interval(change: np.ndarray, interval_days: np.ndarray, change_unit: str) -> np.ndarray:
    """Inverse of :func:`to_unit`: changes in ``change_unit`` back to per interval (same unit of length)."""
    check_change_unit(change_unit)
    return change * (interval_days / DAYS_PER_MONTH) if change_unit == PER_30_DAYS else np.array(change)


def sequence_inputs(data: SeriesData, feature_names: Sequence[str], change_unit: str) -> np.ndarray:
    """Input sequences in physical units.

    Parameters
    ----------
    data : SeriesData
        n points, E epochs (E >= 3).
    feature_names : sequence of str
        Names from :func:`available_features` (a saved model's list).
    change_unit : {"per-30-days", "per-interval"}

    Returns
    -------
    ndarray, shape (n, E - 2, F), float32
        Step ``t`` holds the inputs known at epoch ``t + 1`` (changes of column ``t``).

    Raises
    ------
    SubsidenceError
        When a feature is unknown or its layer is missing from ``data``.
    """
    if data.n_epochs < 3:
        raise SubsidenceError(f"need at least 3 epochs to learn changes from changes; found {data.n_epochs}")
    days = data.interval_days
    steps = data.n_epochs - 2
    columns: dict[str, Any] = {
        _SUBSIDENCE_FEATURE[change_unit]: to_unit(data.change_mm, days, change_unit)[:, :steps],
        _HEAD_FEATURE[change_unit]: to_unit(data.head_change_m, days, change_unit)[:, :steps],
        THICKNESS_FEATURE: data.thickness_m,
        PERMEABILITY_FEATURE: data.permeability_m_per_day,
    }
    if any(name in SEASON_FEATURES for name in feature_names):
        sin, cos = season_inputs(data)
        columns[SEASON_SIN] = np.broadcast_to(sin, (data.n_points, steps))
        columns[SEASON_COS] = np.broadcast_to(cos, (data.n_points, steps))
    out = np.empty((data.n_points, steps, len(feature_names)), dtype=np.float32)
    for j, name in enumerate(feature_names):
        if name not in columns:
            raise SubsidenceError(
                f"feature {name!r} is not one this library builds with change_unit {change_unit!r}; "
                f"expected some of {', '.join([*columns, *SEASON_FEATURES])}"
            )
        value = columns[name]
        if value is None:
            raise SubsidenceError(
                f"feature {name!r} needs the {LAYER_OF_FEATURE[name]} layer, which this study area lacks; "
                "add the layer to the bundle or use a model trained without it"
            )
        out[:, :, j] = value if np.ndim(value) == 2 else np.asarray(value)[:, None]
    return out


def sequence_targets(data: SeriesData, change_unit: str) -> np.ndarray:
    """Targets for :func:`sequence_inputs`: change columns 1 .. E - 2 in ``change_unit``, shape (n, E - 2)."""
    return to_unit(data.change_mm, data.interval_days, change_unit)[:, 1:].astype(np.float32)


@dataclass(frozen=True)
class Scaler:
    """Min-max scaling of named features to [0, 1] (the paper's), fitted on training points.

    Attributes
    ----------
    names : tuple of str, length F
    low, high : tuple of float, length F
        Minimum and maximum of each feature over the training points (all steps), in the
        feature's physical unit. A constant feature gets ``high = low + 1``.
    """

    names: tuple[str, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]

    @classmethod
    def fit(cls, values: np.ndarray, names: Sequence[str]) -> Scaler:
        """Fit on ``values`` of shape (..., F) (pass the training points only)."""
        flat = np.asarray(values, dtype=float).reshape(-1, len(names))
        if flat.shape[0] == 0:
            raise SubsidenceError("cannot fit a scaler on no training points")
        low, high = flat.min(axis=0), flat.max(axis=0)
        high = np.where(high > low, high, low + 1.0)
        return cls(tuple(names), tuple(map(float, low)), tuple(map(float, high)))

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Physical (..., F) -> scaled (..., F), float32."""
        low, high = np.asarray(self.low), np.asarray(self.high)
        return np.asarray(((values - low) / (high - low)).astype(np.float32))

    def inverse(self, scaled: np.ndarray) -> np.ndarray:
        """Scaled (..., F) -> physical (..., F), float64."""
        low, high = np.asarray(self.low), np.asarray(self.high)
        return np.asarray(np.asarray(scaled, dtype=float) * (high - low) + low)

    def to_json(self) -> dict[str, Any]:
        return {"names": list(self.names), "low": list(self.low), "high": list(self.high)}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Scaler:
        try:
            names, low, high = (
                tuple(obj["names"]),
                tuple(map(float, obj["low"])),
                tuple(map(float, obj["high"])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SubsidenceError(f"scaler: expected names, low and high lists, found {obj!r}") from exc
        if not len(names) == len(low) == len(high):
            raise SubsidenceError(f"scaler: {len(names)} names but {len(low)} lows and {len(high)} highs")
        return cls(names, low, high)
