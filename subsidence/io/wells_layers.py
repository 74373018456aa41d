"""The wells table and the optional layers (contours, points, rasters) of a bundle."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from subsidence.errors import BundleError
from subsidence.io import plausibility
from subsidence.io.bundle_paths import _bundle_file
from subsidence.io.ps_table import _check_coordinates, _check_ids, _numeric, _quiet, _read_table, _reason
from subsidence.io.studyarea import LAYER_UNITS, Layer, Raster, Wells
from subsidence.text import shorten
from subsidence.thinning import thin

MIN_WELLS = 3
MAX_LAYER_SAMPLES = 3000


# --- wells -----------------------------------------------------------------------------------


def _read_wells(
    path: Path, crs: CRS, work_crs: CRS, dates: pd.DatetimeIndex, extent: tuple[float, float, float, float]
) -> Wells:
    file = path.name
    frame = _read_table(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    required = ["well_id", "x", "y", "date", "head_m"]
    missing = [c for c in required if c not in frame]
    if missing:
        raise BundleError(
            f"{file}: missing column(s) {missing}; expected {required}, found {shorten(list(frame.columns), 150)}"
        )
    if len(frame) == 0:
        raise BundleError(f"{file}: no rows; expected one row per well reading")
    ids = frame["well_id"].astype(str).str.strip()
    _check_ids(ids, file, "well_id", frame)
    nums = _numeric(frame, ["x", "y", "head_m"], file, ids)
    when = pd.to_datetime(frame["date"].astype(str).str.strip(), format="%Y-%m-%d", errors="coerce")
    if when.isna().any():
        i = int(np.flatnonzero(when.isna().to_numpy())[0])
        raise BundleError(
            f"{file}, row {i + 2}, column 'date': expected YYYY-MM-DD, found {shorten(frame['date'].iloc[i], 40)!r}"
        )
    bad = ~np.isfinite(nums).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise BundleError(
            f"{file}, row {i + 2} ({shorten(ids.iloc[i], 40)}): x, y and head_m must be numbers, found an empty cell"
        )
    _check_coordinates(nums[:, :2], crs, file)
    plausibility.check_wells(ids, nums, file)
    readings = pd.DataFrame({"well_id": ids.to_numpy(), "date": when.to_numpy(), "head_m": nums[:, 2]})
    readings = readings.sort_values(["well_id", "date"], kind="stable").reset_index(drop=True)
    first, last = dates[0], dates[-1]
    in_period = readings[(readings["date"] >= first) & (readings["date"] <= last)]
    well_ids = np.array(sorted(readings["well_id"].unique()))
    silent = sorted(set(well_ids) - set(in_period["well_id"]))
    if silent:
        raise BundleError(
            f"{file}: well {shorten(silent[0], 40)!r} has no reading between {first.date()} and {last.date()} (the acquisition "
            f"period); expected readings in the period (remove the well or add its readings)"
        )
    if len(well_ids) < MIN_WELLS:
        raise BundleError(
            f"{file}: {len(well_ids)} well(s); expected at least {MIN_WELLS} to krige groundwater levels"
        )
    where = pd.DataFrame({"well_id": ids, "x": nums[:, 0], "y": nums[:, 1]}).groupby("well_id").first()
    where = where.loc[well_ids]
    x, y = Transformer.from_crs(crs, work_crs, always_xy=True).transform(
        where["x"].to_numpy(), where["y"].to_numpy()
    )
    _check_overlap(np.asarray(x), np.asarray(y), extent, file, "wells")
    lon, lat = Transformer.from_crs(work_crs, "EPSG:4326", always_xy=True).transform(x, y)
    return Wells(
        ids=well_ids,
        x=np.asarray(x),
        y=np.asarray(y),
        lon=np.asarray(lon),
        lat=np.asarray(lat),
        readings=readings,
    )


def _check_overlap(
    x: np.ndarray, y: np.ndarray, extent: tuple[float, float, float, float], file: str, what: str
) -> None:
    xmin, ymin, xmax, ymax = extent
    pad = 0.1 * max(xmax - xmin, ymax - ymin, 1.0)
    inside = (x >= xmin - pad) & (x <= xmax + pad) & (y >= ymin - pad) & (y <= ymax + pad)
    if not inside.any():
        raise BundleError(
            f"{file}: no {what} lie within the PS extent (x {xmin:.0f}..{xmax:.0f}, y {ymin:.0f}..{ymax:.0f} in the "
            f"work CRS); found x {np.min(x):.0f}..{np.max(x):.0f}, y {np.min(y):.0f}..{np.max(y):.0f}; check its "
            f"coordinates and the manifest CRS"
        )


# --- layers ----------------------------------------------------------------------------------


def _read_layer(
    folder: Path,
    name_in_manifest: str,
    layer: str,
    crs: CRS,
    work_crs: CRS,
    extent: tuple[float, float, float, float],
) -> Layer | None:
    path = _bundle_file(folder, name_in_manifest, layer, required=False)
    if path is None:
        alternatives = sorted(
            p for p in folder.glob(f"{layer}.*") if p.suffix.lower() in (".gpkg", ".tif", ".tiff", ".geojson")
        )
        if not alternatives:
            return None
        path = _bundle_file(folder, alternatives[0].name, layer, required=True)
        assert path is not None
    if path.suffix.lower() in (".tif", ".tiff"):
        return _read_raster_layer(path, layer, crs, work_crs, extent)
    try:
        frame = _quiet(gpd.read_file, path)
    except Exception as exc:  # any parser failure is a bad file, reported in one line
        raise BundleError(
            f"{path.name}: cannot be read ({type(exc).__name__}: {_reason(exc, path)})"
        ) from exc
    if "value" not in frame:
        raise BundleError(
            f"{path.name}: no 'value' property; expected each feature to carry a numeric 'value' "
            f"({LAYER_UNITS[layer]}), found properties {shorten([c for c in frame.columns if c != 'geometry'], 150)}"
        )
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(float)
    if np.isinf(values).any():
        i = int(np.flatnonzero(np.isinf(values))[0])
        raise BundleError(f"{path.name}, feature {i + 1}: 'value' is {values[i]}; expected a finite number")
    if (values < 0).any():
        i = int(np.flatnonzero(values < 0)[0])
        raise BundleError(
            f"{path.name}, feature {i + 1}: 'value' is {values[i]:g}; {layer} cannot be negative "
            f"(expected {LAYER_UNITS[layer]} >= 0)"
        )
    usable = np.isfinite(values) & frame.geometry.notna().to_numpy()
    frame, values = frame[usable], values[usable]
    if len(frame) == 0:
        raise BundleError(
            f"{path.name}: no feature has a numeric 'value'; expected numbers in {LAYER_UNITS[layer]}"
        )
    file_crs = frame.crs
    geoms = frame.geometry.to_numpy()
    if file_crs is None or (file_crs.is_geographic and not crs.is_geographic and _looks_projected(geoms)):
        file_crs = crs  # GeoJSON without (or mislabelled) CRS: coordinates are in the manifest CRS
    geoms = gpd.GeoSeries(geoms, crs=file_crs).to_crs(work_crs).to_numpy()
    kinds = set(shapely.get_type_id(geoms))
    lines_ids = {1, 5}  # LineString, MultiLineString
    point_ids = {0, 4}
    if kinds <= lines_ids:
        return _contour_layer(geoms, values, layer, extent, path.name)
    if kinds <= point_ids:
        parts, index = shapely.get_parts(geoms, return_index=True)
        x, y = shapely.get_x(parts), shapely.get_y(parts)
        _check_overlap(x, y, extent, path.name, f"{layer} points")
        return Layer(layer, LAYER_UNITS[layer], "points", x, y, values[index])
    raise BundleError(
        f"{path.name}: expected LineString contours or Point features, found other geometry types"
    )


def _looks_projected(geoms: np.ndarray) -> bool:
    bounds = shapely.total_bounds(geoms)
    return bool(np.abs(bounds).max() > 360)


def _contour_layer(
    geoms: np.ndarray, values: np.ndarray, layer: str, extent: tuple[float, float, float, float], file: str
) -> Layer:
    parts, index = shapely.get_parts(geoms, return_index=True)
    span = max(extent[2] - extent[0], extent[3] - extent[1], 1.0)
    dense = shapely.segmentize(parts, span / 300.0)
    lines = tuple(shapely.get_coordinates(g) for g in dense)
    coords, which = shapely.get_coordinates(dense, return_index=True)
    vals = values[index][which]
    keep = thin(len(coords), MAX_LAYER_SAMPLES, seed=None)
    x, y = coords[keep, 0], coords[keep, 1]
    _check_overlap(x, y, extent, file, f"{layer} contours")
    return Layer(layer, LAYER_UNITS[layer], "contours", x, y, vals[keep], lines, values[index])


def _read_raster_layer(
    path: Path, layer: str, crs: CRS, work_crs: CRS, extent: tuple[float, float, float, float]
) -> Layer:
    import rasterio

    try:
        with rasterio.open(path) as src:
            band = src.read(1, masked=True).astype(float).filled(np.nan)
            transform = tuple(src.transform)[:6]
            raster_crs = CRS.from_user_input(src.crs.to_wkt()) if src.crs else crs
    except Exception as exc:  # any parser failure is a bad file, reported in one line
        raise BundleError(
            f"{path.name}: cannot be read as a GeoTIFF ({type(exc).__name__}: {_reason(exc, path)})"
        ) from exc
    rows, cols = np.nonzero(np.isfinite(band))
    if len(rows) == 0:
        raise BundleError(
            f"{path.name}: every cell is no-data; expected {layer} values in {LAYER_UNITS[layer]}"
        )
    keep = thin(len(rows), MAX_LAYER_SAMPLES, seed=None)
    rows, cols = rows[keep], cols[keep]
    a, b, c, d, e, f = transform
    rx, ry = a * (cols + 0.5) + b * (rows + 0.5) + c, d * (cols + 0.5) + e * (rows + 0.5) + f
    x, y = Transformer.from_crs(raster_crs, work_crs, always_xy=True).transform(rx, ry)
    x, y = np.asarray(x), np.asarray(y)
    _check_overlap(x, y, extent, path.name, f"{layer} cells")
    raster = Raster(band, transform, raster_crs.to_string())
    return Layer(layer, LAYER_UNITS[layer], "raster", x, y, band[rows, cols], raster=raster)
