"""The pipeline in bounded memory: bundle -> kriging at the points -> sample training -> per-point
predictions and scores, chunk by chunk (``python -m subsidence train BUNDLE --chunked``).

Steps of :func:`run_chunked`:

1. **Index** (:func:`subsidence.io.ps_stream.open_stream`): ids, coordinates and the last
   cumulative value of every point, in one pass over the columns that hold them.
2. **Sample** (:func:`subsidence.scale.sampling.stratified_sample`): ``sample`` points stratified by
   severity class and spatial tile.
3. **Kriging** (:class:`PointKriger`): variograms fitted once (they depend on the wells and the
   layer samples only, never on the PS points), then heads and layers kriged at any points;
   the sample's series are built and the model is fitted on them.
4. **Inference, scores and export**: every chunk of ``chunk_rows`` rows is kriged, predicted
   one step ahead, scored on its points outside the sample (:class:`Scores` sums errors, so
   the total is exactly the in-memory figure over the same points) and appended to a
   GeoParquet file (:class:`PredictionWriter`).

Memory: the index (about 100 bytes a point), the sample's series and one chunk; it grows with
the number of points only through the index. Use point-wise models (``paper-lstm``,
``physics-lstm``, baselines); ``spatial-lstm`` would see only the neighbours in its chunk.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from subsidence.coverage import ModelPeriod, apply_period, period_for, period_values
from subsidence.features import fill_gaps
from subsidence.geostat.factors import Factors
from subsidence.geostat.kriging import KrigingConfig, krige_study_area
from subsidence.geostat.kriging_heads import _HeadKriging
from subsidence.geostat.kriging_layers import _krige_layer
from subsidence.io.bundle_paths import _bundle_file
from subsidence.io.ps_stream import DEFAULT_CHUNK_ROWS, PsStream, open_stream
from subsidence.io.studyarea import PERMEABILITY, THICKNESS, Layer, StudyArea
from subsidence.io.wells_layers import _read_layer, _read_wells
from subsidence.models.base import ONE_STEP
from subsidence.scale.sampling import stratified_sample
from subsidence.series import SeriesData
from subsidence.threads import step_threads
from subsidence.validation import evaluation

DEFAULT_SAMPLE = 20_000
"""Training points drawn by default (the demo's size: an LSTM learns no more from more)."""
MAX_SAMPLE_SHARE = 0.7
"""At most this share of the points trains (the paper's 70/30), so that the rest can be scored."""


@dataclass(frozen=True)
class PointKriger:
    """Heads and layers of a study area, krigeable at any points with variograms fitted once."""

    heads: _HeadKriging
    layers: tuple[Layer, ...]
    work_crs: str
    config: KrigingConfig

    def at(self, xy_m: np.ndarray) -> Factors:
        """Kriged head (n, E), its standard deviation and the layers at ``xy_m`` (metres)."""
        est, var = self.heads.krige(xy_m, np.float64, False, lambda f, m: None)
        found = {
            layer.name: _krige_layer(layer, xy_m, None, self.work_crs, self.config).at_points
            for layer in self.layers
        }
        return Factors(est, np.sqrt(np.maximum(var, 0.0)), found.get(THICKNESS), found.get(PERMEABILITY))


def fit_kriger(area: StudyArea, config: KrigingConfig | None = None) -> tuple[PointKriger, Factors]:
    """Fit the head variogram(s) on ``area``'s wells; returns the kriger and ``area``'s factors."""
    config = config if config is not None else KrigingConfig(grid=False)
    with step_threads("krige"):
        result = krige_study_area(area, config)
    wells = area.wells
    heads = _HeadKriging(
        np.column_stack([wells.x, wells.y]),
        result.well_levels_m,  # already interpolated to the dates by the kriging
        result.head_variograms,
        area.dates,
        wells.ids.astype(str),
        config,
        result.filled_levels_m,
    )
    return PointKriger(heads, tuple(area.layers.values()), area.work_crs, config), result.factors


@dataclass(frozen=True)
class SamplePlan:
    """The sample and the model period of a scaled run, shared by the chunked and Dask routes."""

    rows: np.ndarray  # sorted positions of the training sample in the stream
    area: StudyArea  # the sample as a study area, restricted to the period
    period: ModelPeriod
    capped: bool  # the sample asked for was more than MAX_SAMPLE_SHARE of the points

    def values(self, mm: np.ndarray, dates: pd.DatetimeIndex) -> np.ndarray:
        """A chunk's cumulative subsidence over the period (re-zeroed at its first acquisition)."""
        return mm if self.period.is_full else period_values(mm, dates, self.period)

    def summary(self, stream: PsStream) -> dict[str, Any]:
        """The sample's and the period's part of a run's summary."""
        out: dict[str, Any] = {
            "n_points": stream.n_points,
            "n_sample": int(self.rows.size),
            "sampling": "stratified by severity class and spatial tile (subsidence.scale.sampling)",
            "model_period": self.period.to_json(),
        }
        if self.capped:
            out["sample_note"] = (
                f"the sample was capped at {MAX_SAMPLE_SHARE:.0%} of the {stream.n_points:,} points so that "
                "the others can be scored"
            )
        return out


def plan_sample(
    stream: PsStream,
    sample: int,
    seed: int,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    start: Any = None,
    end: Any = None,
    extend_heads: bool = False,
) -> SamplePlan:
    """Draw the sample (at most :data:`MAX_SAMPLE_SHARE` of the points) and choose the model
    period as the in-memory route does (:func:`subsidence.coverage.period_for`: by default the
    longest run of acquisitions the wells cover; ``start``/``end``/``extend_heads`` as the user's)."""
    most = max(1, int(MAX_SAMPLE_SHARE * stream.n_points))
    rows = stratified_sample(stream.xy_m, stream.last_mm, min(sample, most), seed)
    full = sample_area(stream, rows, chunk_rows)
    period = period_for(full, start, end, extend_heads)
    return SamplePlan(rows, apply_period(full, period), period, sample > most)


def series(
    ids: np.ndarray, xy_m: np.ndarray, dates: pd.DatetimeIndex, mm: np.ndarray, f: Factors
) -> SeriesData:
    """The series every model sees, for rows of a chunk (as :func:`subsidence.features.series_data`)."""
    observed = np.isfinite(mm)
    return SeriesData(
        ps_ids=ids.astype(str),
        xy_m=xy_m,
        dates=dates,
        subsidence_mm=fill_gaps(mm, dates.values.astype("datetime64[s]").astype(float)),
        head_m=np.asarray(f.head_m, dtype=float),
        thickness_m=None if f.thickness_m is None else np.asarray(f.thickness_m, dtype=float),
        permeability_m_per_day=None
        if f.permeability_m_per_day is None
        else np.asarray(f.permeability_m_per_day, float),
        observed=None if observed.all() else observed,
    )


def sample_area(stream: PsStream, rows: np.ndarray, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> StudyArea:
    """A study area of the rows ``rows`` (sorted positions) with the bundle's wells and layers."""
    import geopandas as gpd

    parts = list(stream.chunks(chunk_rows, rows))
    ids = np.concatenate([p.ps_ids for p in parts])
    xy = np.concatenate([p.xy_m for p in parts])
    mm = np.concatenate([p.subsidence_mm for p in parts if p.subsidence_mm is not None])
    files = stream.manifest["files"]
    assert isinstance(files, dict)
    extent = (*stream.xy_m.min(axis=0), *stream.xy_m.max(axis=0))
    wells_path = _bundle_file(stream.folder, files["wells"], "wells", required=True)
    assert wells_path is not None
    wells = _read_wells(wells_path, stream.crs, stream.work_crs, stream.dates, extent)
    layers = {
        n: _read_layer(stream.folder, files[n], n, stream.crs, stream.work_crs, extent)
        for n in (THICKNESS, PERMEABILITY)
    }
    points = gpd.GeoDataFrame(
        {"ps_id": ids, "x": xy[:, 0], "y": xy[:, 1]},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=stream.work_crs,
    )
    return StudyArea(
        str(stream.manifest["name"]), stream.crs.to_string(), stream.work_crs.to_string(), points,
        stream.dates, mm, wells, layers[THICKNESS], layers[PERMEABILITY], str(stream.folder), "",
    )  # fmt: skip


@dataclass
class Scores:
    """Sums of errors over scored points, added chunk by chunk and merged across workers."""

    edges: tuple[float, ...]
    sums: dict[str, float] = field(default_factory=dict)
    by_class: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))

    def add(self, data: SeriesData, modelled: np.ndarray, rows: np.ndarray) -> None:
        """Add the errors of ``rows`` (positions in ``data``)."""
        if rows.size == 0:
            return
        s = evaluation.first_modelled_column(modelled)
        err, cum = evaluation._errors(data, modelled, rows, s)
        parts = {
            "change_sq": np.nansum(err**2), "change_abs": np.nansum(np.abs(err)),
            "change_n": np.isfinite(err).sum(), "cum_sq": np.nansum(cum**2), "cum_n": np.isfinite(cum).sum(),
            "last_sq": np.nansum(cum[:, -1] ** 2), "last_n": np.isfinite(cum[:, -1]).sum(), "points": rows.size,
        }  # fmt: skip
        for k, v in parts.items():
            self.sums[k] = self.sums.get(k, 0.0) + float(v)
        klass = np.digitize(data.subsidence_mm[rows, -1], self.edges)
        table = np.zeros((len(self.edges) + 1, 3))
        np.add.at(table[:, 0], klass, 1.0)
        np.add.at(table[:, 1], klass, np.nansum(cum**2, axis=1))
        np.add.at(table[:, 2], klass, np.isfinite(cum).sum(axis=1))
        self.by_class = table if self.by_class.size == 0 else self.by_class + table

    def merge(self, other: Scores) -> Scores:
        """These sums plus ``other``'s (same edges)."""
        out = Scores(self.edges, dict(self.sums), self.by_class.copy())
        for k, v in other.sums.items():
            out.sums[k] = out.sums.get(k, 0.0) + v
        if other.by_class.size:
            out.by_class = other.by_class.copy() if out.by_class.size == 0 else out.by_class + other.by_class
        return out

    def to_json(self) -> dict[str, Any]:
        """The CLI's metrics: RMSE/MAE of the change, cumulative RMSE, per severity class."""
        s = self.sums

        def ratio(a: str, b: str, root: bool = True) -> float | None:  # None: no point to score
            if not s.get(b):
                return None
            value = s.get(a, 0.0) / s[b]
            return round(float(np.sqrt(value) if root else value), 3)

        out: dict[str, Any] = {
            "rmse_change_mm": ratio("change_sq", "change_n"),
            "mae_change_mm": ratio("change_abs", "change_n", root=False),
            "rmse_cumulative_mm": ratio("cum_sq", "cum_n"),
            "rmse_cumulative_last_mm": ratio("last_sq", "last_n"),
            "n_test_points": int(s.get("points", 0)),
        }
        table = self.by_class if self.by_class.size else np.zeros((len(self.edges) + 1, 3))
        out["by_severity"] = [
            {
                "class": label,
                "n": int(n),
                "rmse_cumulative_mm": round(float(np.sqrt(sq / c)), 3) if c else None,
            }
            for label, (n, sq, c) in zip(evaluation.severity_labels(self.edges), table, strict=True)
        ]
        return out


class PredictionWriter:
    """Per-point predictions appended chunk by chunk to one GeoParquet file (WKB points).

    Columns: ``ps_id``, ``x_m``, ``y_m`` (working CRS), ``in_sample`` (a training point),
    ``insar_last_mm`` and ``modelled_last_mm`` (cumulative at the last acquisition),
    ``rmse_change_mm`` (the point's one-step change RMSE), then one ``modelled_mm_YYYY-MM-DD``
    column per acquisition (modelled cumulative subsidence, mm, float32), ``geometry``.
    """

    def __init__(self, path: str | Path, work_crs: Any, dates: pd.DatetimeIndex) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.crs, self.dates = work_crs, dates
        self._writer: pq.ParquetWriter | None = None
        self.rows = 0

    def write(self, data: SeriesData, modelled: np.ndarray, in_sample: np.ndarray) -> None:
        table = evaluation.point_table(data, modelled)
        cum = evaluation.modelled_cumulative(data, modelled).astype(np.float32)
        columns: dict[str, Any] = {
            "ps_id": data.ps_ids, "x_m": data.xy_m[:, 0], "y_m": data.xy_m[:, 1], "in_sample": in_sample,
            "insar_last_mm": table["insar_cumulative_mm"].to_numpy(),
            "modelled_last_mm": table["modelled_cumulative_mm"].to_numpy(),
            "rmse_change_mm": table["rmse_change_mm"].to_numpy(),
        }  # fmt: skip
        columns.update({f"modelled_mm_{d.date()}": cum[:, k] for k, d in enumerate(self.dates)})
        columns["geometry"] = shapely.to_wkb(shapely.points(data.xy_m))
        frame = pa.table(columns)
        if self._writer is None:
            geo = {
                "version": "1.0.0",
                "primary_column": "geometry",
                "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Point"], "crs": json.loads(self.crs.to_json())}},
            }  # fmt: skip
            schema = frame.schema.with_metadata({b"geo": json.dumps(geo).encode()})
            self._writer = pq.ParquetWriter(self.path, schema)
        self._writer.write_table(frame.cast(self._writer.schema))
        self.rows += len(data.ps_ids)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


Progress = Callable[[str], None]


def run_chunked(
    bundle: str | Path,
    model: Any,
    *,
    sample: int = DEFAULT_SAMPLE,
    seed: int = 0,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    predictions: str | Path | None = None,
    progress: Progress | None = None,
    **period: Any,
) -> tuple[Any, dict[str, Any]]:
    """Index, sample, krige, fit ``model`` (unfitted) on the sample, then predict, score and export.

    ``period``: ``start``, ``end``, ``extend_heads`` of the model period (:func:`plan_sample`).

    Returns
    -------
    fitted : the fitted model
    summary : dict
        ``n_points``, ``n_sample``, ``sampling``, the :class:`Scores` metrics over the points
        outside the sample, ``path`` of the predictions (when asked), ``seconds``.
    """
    say = progress or (lambda message: None)
    start = time.perf_counter()
    stream = open_stream(bundle, chunk_rows)
    plan = plan_sample(stream, sample, seed, chunk_rows, **period)
    rows, area = plan.rows, plan.area
    say(f"index of {stream.n_points} points read; sample of {rows.size} drawn; {plan.period.sentence()}")
    kriger, factors = fit_kriger(area)
    train = series(area.points["ps_id"].to_numpy(), area.xy_m, area.dates, area.subsidence_mm, factors)
    with step_threads("train"):
        fitted = model.fit(train, np.arange(train.n_points), seed=seed)
    say(f"model fitted on {train.n_points} points")
    scores = Scores(evaluation.severity_edges(stream.last_mm))
    writer = PredictionWriter(predictions, stream.work_crs, area.dates) if predictions is not None else None
    in_sample = np.zeros(stream.n_points, dtype=bool)
    in_sample[rows] = True
    try:
        for chunk in stream.chunks(chunk_rows):
            assert chunk.subsidence_mm is not None
            mm = plan.values(chunk.subsidence_mm, stream.dates)
            scored = predict_chunk(kriger, fitted, chunk.ps_ids, chunk.xy_m, area.dates, mm)
            mask = in_sample[chunk.start : chunk.start + len(chunk.ps_ids)]
            scores.add(scored[0], scored[1], np.flatnonzero(~mask))
            if writer is not None:
                writer.write(scored[0], scored[1], mask)
            say(f"{chunk.start + len(chunk.ps_ids)} of {stream.n_points} points predicted")
    finally:
        if writer is not None:
            writer.close()
    out = {
        **plan.summary(stream),
        **scores.to_json(),
        "seconds": round(time.perf_counter() - start, 2),
    }
    if writer is not None:
        out["path"] = str(writer.path)
    return fitted, out


def predict_chunk(
    kriger: PointKriger, fitted: Any, ids: np.ndarray, xy_m: np.ndarray, dates: pd.DatetimeIndex, mm: Any
) -> tuple[SeriesData, np.ndarray]:
    """Krige, build the series and predict one step ahead for one chunk: (series, modelled)."""
    with step_threads("krige"):
        factors = kriger.at(xy_m)
    data = series(ids, xy_m, dates, np.asarray(mm, dtype=float), factors)
    with step_threads("evaluate"):
        return data, fitted.predict(data, ONE_STEP)


def sample_meta(fitted: Any, summary: dict[str, Any], seed: int) -> dict[str, Any]:
    """What a model fitted on a sample records beside its weights (the sample's recipe, scores)."""
    return {
        "n_points": summary["n_points"],
        "sample": {"n": summary["n_sample"], "seed": seed, "rule": summary["sampling"]},
        "seed": seed,
        "epochs_trained": getattr(fitted, "epochs_trained", None),
        "metrics": {k: v for k, v in summary.items() if k.startswith(("rmse", "mae", "n_test"))},
    }
