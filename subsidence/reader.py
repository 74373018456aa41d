"""Read and validate a study-area bundle (``shared/spec/study-area-format.md``).

Validation happens here, once, where data enters: every broken rule raises a
:class:`~subsidence.errors.BundleError` whose message names the file, the row or column,
what was expected and what was found. What comes out is a :class:`StudyArea` in the
library's conventions (mm, positive = down, metric ``work_crs``).
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import tomllib
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from subsidence.errors import BundleError
from subsidence.studyarea import LAYER_UNITS, PERMEABILITY, THICKNESS, Layer, Raster, StudyArea, Wells

MANIFEST = "study_area.toml"
DEFAULT_FILES = {
    "ps": "ps.csv",
    "wells": "wells.csv",
    THICKNESS: "thickness.geojson",
    PERMEABILITY: "permeability.geojson",
}
UNITS_TO_MM = {"mm": 1.0, "m": 1000.0}
SIGNS = ("negative_down", "positive_down")
MIN_EPOCHS = 3
MIN_WELLS = 3
MAX_UNZIPPED_BYTES = 1_000_000_000
MAX_LAYER_SAMPLES = 3000
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COMPACT_DATE = re.compile(r"^\d{8}$")
_EGMS_COLUMNS = {"pid": "ps_id", "easting": "x", "northing": "y"}


def load_study_area(path: str | Path) -> StudyArea:
    """Load and validate a study-area bundle.

    Parameters
    ----------
    path : str or Path
        A bundle folder holding ``study_area.toml``, or a ``.zip`` of such a folder (the
        manifest at the archive's root or inside one top-level folder).

    Returns
    -------
    StudyArea

    Raises
    ------
    BundleError
        When the bundle breaks a rule of the format; the message names the file, the row or
        column, what was expected and what was found.
    """
    path = Path(path)
    if not path.exists():
        raise BundleError(f"{path}: no such file or folder; expected a bundle folder or a .zip of one")
    if path.is_file():
        if path.suffix.lower() != ".zip":
            raise BundleError(
                f"{path.name}: expected a bundle folder or a .zip archive, found a {path.suffix} file"
            )
        with tempfile.TemporaryDirectory(prefix="bundle-") as tmp:
            root = _extract_zip(path, Path(tmp))
            return _load_folder(root, source=str(path))
    return _load_folder(path, source=str(path))


def _extract_zip(path: Path, dest: Path) -> Path:
    """Extract a bundle archive safely and return the folder that holds the manifest."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise BundleError(f"{path.name}: not a readable .zip archive ({exc})") from exc
    with archive:
        members = archive.infolist()
        total = sum(m.file_size for m in members)
        if total > MAX_UNZIPPED_BYTES:
            raise BundleError(
                f"{path.name}: unpacks to {total / 1e6:.0f} MB, above the {MAX_UNZIPPED_BYTES / 1e6:.0f} MB limit"
            )
        for m in members:
            target = (dest / m.filename).resolve()
            if not target.is_relative_to(dest.resolve()):
                raise BundleError(f"{path.name}: member {m.filename!r} points outside the archive; refused")
        archive.extractall(dest)
    manifests = sorted(dest.rglob(MANIFEST), key=lambda p: len(p.parts))
    if not manifests:
        raise BundleError(f"{path.name}: no {MANIFEST} in the archive; zip the bundle folder that holds it")
    return manifests[0].parent


def _load_folder(folder: Path, source: str) -> StudyArea:
    manifest = _read_manifest(folder)
    crs = _parse_crs(manifest["crs"])
    files = manifest["files"]

    ps_path = _required_file(folder, files["ps"], "ps")
    ps, dates, values, attributes = _read_ps(ps_path, crs)
    work_crs = _work_crs(crs, ps["x"].to_numpy(float), ps["y"].to_numpy(float))
    values = values * UNITS_TO_MM[manifest["displacement_unit"]]
    if manifest["displacement_sign"] == "negative_down":
        values = -values
    first = values[:, :1]
    values = values - np.where(np.isfinite(first), first, 0.0)

    to_work = Transformer.from_crs(crs, work_crs, always_xy=True)
    to_wgs = Transformer.from_crs(work_crs, "EPSG:4326", always_xy=True)
    x, y = to_work.transform(ps["x"].to_numpy(float), ps["y"].to_numpy(float))
    lon, lat = to_wgs.transform(x, y)
    points = gpd.GeoDataFrame(
        {"ps_id": ps["ps_id"].to_numpy(), "x": x, "y": y, "lon": lon, "lat": lat, **attributes},
        geometry=gpd.points_from_xy(x, y),
        crs=work_crs,
    )
    extent = (float(np.min(x)), float(np.min(y)), float(np.max(x)), float(np.max(y)))

    wells_path = _required_file(folder, files["wells"], "wells")
    wells = _read_wells(wells_path, crs, work_crs, dates, extent)
    layers = {
        name: _read_layer(folder, files[name], name, crs, work_crs, extent)
        for name in (THICKNESS, PERMEABILITY)
    }
    notes = _quality_notes(points, dates, values, wells, layers)
    return StudyArea(
        name=str(manifest["name"]),
        crs=crs.to_string(),
        work_crs=work_crs.to_string(),
        points=points,
        dates=dates,
        subsidence_mm=values,
        wells=wells,
        thickness=layers[THICKNESS],
        permeability=layers[PERMEABILITY],
        source=source,
        fingerprint=_fingerprint(points["ps_id"].to_numpy(), dates, values),
        notes=tuple(notes),
    )


# --- manifest -------------------------------------------------------------------------------


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise BundleError(
            f"{folder.name}/{MANIFEST}: missing; a bundle folder must hold a {MANIFEST} manifest"
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{MANIFEST}: not valid TOML ({exc})") from exc
    if "crs" not in raw:
        raise BundleError(f'{MANIFEST}: missing key "crs"; expected e.g. crs = "EPSG:32650"')
    unit = raw.get("displacement_unit", "mm")
    if unit not in UNITS_TO_MM:
        raise BundleError(f'{MANIFEST}: displacement_unit must be "mm" or "m", found {unit!r}')
    sign = raw.get("displacement_sign", "negative_down")
    if sign not in SIGNS:
        raise BundleError(
            f'{MANIFEST}: displacement_sign must be "negative_down" or "positive_down", found {sign!r}'
        )
    files = dict(DEFAULT_FILES)
    given = raw.get("files", {})
    if not isinstance(given, dict):
        raise BundleError(f"{MANIFEST}: [files] must be a table of file names, found {given!r}")
    unknown = set(given) - set(DEFAULT_FILES)
    if unknown:
        raise BundleError(
            f"{MANIFEST}: unknown key(s) in [files]: {sorted(unknown)}; expected {sorted(DEFAULT_FILES)}"
        )
    files.update({k: str(v) for k, v in given.items()})
    return {
        "name": raw.get("name", folder.name),
        "crs": raw["crs"],
        "displacement_unit": unit,
        "displacement_sign": sign,
        "files": files,
    }


def _parse_crs(text: Any) -> CRS:
    try:
        return CRS.from_user_input(text)
    except CRSError as exc:
        raise BundleError(
            f'{MANIFEST}: unknown CRS {text!r}; expected a code pyproj knows, e.g. "EPSG:32650"'
        ) from exc


def _work_crs(crs: CRS, x: np.ndarray, y: np.ndarray) -> CRS:
    """The bundle CRS when it is projected in metres, else the UTM zone at the points' centre."""
    if crs.is_projected and crs.axis_info and crs.axis_info[0].unit_name in ("metre", "meter"):
        return crs
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(np.median(x), np.median(y))
    return utm_crs(float(lon), float(lat))


def _required_file(folder: Path, name: str, role: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise BundleError(f"{name}: missing; the {role} file named in {MANIFEST} (or its default) must exist")
    return path


# --- PS points ------------------------------------------------------------------------------


def _read_table(path: Path) -> pd.DataFrame:
    """Read a CSV, GeoPackage or (Geo)Parquet table; geometry becomes x/y columns."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False)
        if suffix == ".gpkg":
            frame = gpd.read_file(path)
        elif suffix in (".parquet", ".geoparquet"):
            try:
                frame = gpd.read_parquet(path)
            except ValueError:
                return pd.read_parquet(path)
        else:
            raise BundleError(
                f"{path.name}: unsupported file type {suffix}; expected .csv, .gpkg or .parquet"
            )
    except BundleError:
        raise
    except Exception as exc:  # any parser failure is a bad file, reported in one line
        raise BundleError(f"{path.name}: cannot be read ({type(exc).__name__}: {exc})") from exc
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame:
        if "x" not in frame and "easting" not in frame:
            frame = frame.assign(x=frame.geometry.x, y=frame.geometry.y)
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return frame


def _date_columns(columns: list[str], file: str) -> tuple[list[str], pd.DatetimeIndex]:
    found = [c for c in columns if _ISO_DATE.match(c) or _COMPACT_DATE.match(c)]
    parsed = []
    for c in found:
        fmt = "%Y-%m-%d" if "-" in c else "%Y%m%d"
        try:
            parsed.append(pd.to_datetime(c, format=fmt))
        except (ValueError, OverflowError) as exc:
            raise BundleError(
                f"{file}, column {c!r}: expected a valid date YYYY-MM-DD or YYYYMMDD, found {c!r}"
            ) from exc
    if not found:
        raise BundleError(
            f"{file}: no date columns; expected one column per acquisition named YYYY-MM-DD or YYYYMMDD, "
            f"found columns {columns[:8]}"
        )
    dates = pd.DatetimeIndex(parsed)
    if dates.has_duplicates:
        dup = dates[dates.duplicated()][0]
        raise BundleError(
            f"{file}: acquisition date {dup.date()} appears in two columns; expected each date once"
        )
    return found, dates


def _numeric(frame: pd.DataFrame, columns: list[str], file: str, row_label: pd.Series) -> np.ndarray:
    """Convert columns to float; empty cells become NaN, anything else unparseable is an error."""
    out = np.empty((len(frame), len(columns)))
    for j, c in enumerate(columns):
        col = frame[c]
        if col.dtype.kind in "fiu":
            out[:, j] = col.to_numpy(float)
            continue
        text = col.astype(str).str.strip()
        empty = text.isin(["", "nan", "NaN", "NA", "None", "null"])
        num = pd.to_numeric(text.where(~empty), errors="coerce")
        bad = num.isna() & ~empty
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise BundleError(
                f"{file}, row {i + 2} ({row_label.iloc[i]}), column {c!r}: expected a number, found {text.iloc[i]!r}"
            )
        out[:, j] = num.to_numpy(float)
    return out


def _read_ps(
    path: Path, crs: CRS
) -> tuple[pd.DataFrame, pd.DatetimeIndex, np.ndarray, dict[str, np.ndarray]]:
    file = path.name
    frame = _read_table(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    if set(_EGMS_COLUMNS) <= set(frame.columns) and "ps_id" not in frame:
        frame = frame.rename(columns=_EGMS_COLUMNS)
    missing = [c for c in ("ps_id", "x", "y") if c not in frame]
    if missing:
        raise BundleError(
            f"{file}: missing column(s) {missing}; expected ps_id, x, y and one column per date, "
            f"found {list(frame.columns)[:8]}"
        )
    if len(frame) == 0:
        raise BundleError(f"{file}: no rows; expected one row per PS point")
    ids = frame["ps_id"].astype(str).str.strip()
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        rows = [int(i) + 2 for i in dup.index[:2]]
        raise BundleError(f"{file}, rows {rows}: duplicate ps_id {dup.iloc[0]!r}; expected every ps_id once")
    frame = frame.assign(ps_id=ids)
    date_cols, dates = _date_columns(list(frame.columns), file)
    if len(date_cols) < MIN_EPOCHS:
        raise BundleError(
            f"{file}: {len(date_cols)} acquisition date column(s); expected at least {MIN_EPOCHS}"
        )
    xy = _numeric(frame, ["x", "y"], file, ids)
    if not np.isfinite(xy).all():
        i = int(np.flatnonzero(~np.isfinite(xy).all(axis=1))[0])
        raise BundleError(
            f"{file}, row {i + 2} ({ids.iloc[i]}): x and y must be numbers, found an empty cell"
        )
    _check_coordinates(xy, crs, file)
    order = np.argsort(dates.values, kind="stable")
    values = _numeric(frame, [date_cols[k] for k in order], file, ids)
    dates = dates[order]
    empty = ~np.isfinite(values).any(axis=1)
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise BundleError(
            f"{file}, row {i + 2} ({ids.iloc[i]}): every date is empty; expected at least one value per point "
            f"(remove the row)"
        )
    others = [c for c in frame.columns if c not in {"ps_id", "x", "y", *date_cols}]
    attributes = {c: _attribute(frame[c]) for c in others}
    return frame.assign(x=xy[:, 0], y=xy[:, 1]), dates, values, attributes


def _attribute(col: pd.Series) -> np.ndarray:
    num = pd.to_numeric(col, errors="coerce")
    if num.notna().sum() == col.astype(str).str.strip().ne("").sum():
        return num.to_numpy(float)
    return col.astype(str).to_numpy()


def _check_coordinates(xy: np.ndarray, crs: CRS, file: str) -> None:
    """Reject coordinates that cannot be in the manifest CRS (lon/lat given as metres, or back)."""
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    if crs.is_geographic:
        if lo[0] < -180 or hi[0] > 180 or lo[1] < -90 or hi[1] > 90:
            raise BundleError(
                f"{file}: x/y range from ({lo[0]:.6g}, {lo[1]:.6g}) to ({hi[0]:.6g}, {hi[1]:.6g}), which is not "
                f"longitude/latitude in degrees as the manifest CRS {crs.to_string()} requires; "
                f"set crs in {MANIFEST} to the projected CRS of the coordinates"
            )
        return
    if np.all(np.abs(xy[:, 0]) <= 180) and np.all(np.abs(xy[:, 1]) <= 90) and (hi - lo).max() < 10:
        raise BundleError(
            f"{file}: x/y look like longitude/latitude in degrees (from ({lo[0]:.6g}, {lo[1]:.6g}) to "
            f"({hi[0]:.6g}, {hi[1]:.6g})), but the manifest CRS {crs.to_string()} is projected in metres; "
            f'set crs = "EPSG:4326" in {MANIFEST} or give projected coordinates'
        )
    area = crs.area_of_use
    if area is not None:
        lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xy[:, 0], xy[:, 1])
        margin = 2.0
        outside = (
            ~np.isfinite(lon)
            | (lon < area.west - margin)
            | (lon > area.east + margin)
            | (lat < area.south - margin)
            | (lat > area.north + margin)
        )
        if outside.mean() > 0.5:
            raise BundleError(
                f"{file}: most x/y fall outside the area where {crs.to_string()} is valid "
                f"(lon {area.west}..{area.east}, lat {area.south}..{area.north}); check crs in {MANIFEST}"
            )


def utm_crs(lon: float, lat: float) -> CRS:
    """The WGS 84 UTM zone CRS holding (lon, lat)."""
    zone = int((lon + 180) // 6) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


# --- wells ----------------------------------------------------------------------------------


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
            f"{file}: missing column(s) {missing}; expected {required}, found {list(frame.columns)}"
        )
    ids = frame["well_id"].astype(str).str.strip()
    nums = _numeric(frame, ["x", "y", "head_m"], file, ids)
    when = pd.to_datetime(frame["date"].astype(str).str.strip(), format="%Y-%m-%d", errors="coerce")
    if when.isna().any():
        i = int(np.flatnonzero(when.isna().to_numpy())[0])
        raise BundleError(
            f"{file}, row {i + 2}, column 'date': expected YYYY-MM-DD, found {frame['date'].iloc[i]!r}"
        )
    bad = ~np.isfinite(nums).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise BundleError(
            f"{file}, row {i + 2} ({ids.iloc[i]}): x, y and head_m must be numbers, found an empty cell"
        )
    _check_coordinates(nums[:, :2], crs, file)
    readings = pd.DataFrame({"well_id": ids.to_numpy(), "date": when.to_numpy(), "head_m": nums[:, 2]})
    readings = readings.sort_values(["well_id", "date"], kind="stable").reset_index(drop=True)
    first, last = dates[0], dates[-1]
    in_period = readings[(readings["date"] >= first) & (readings["date"] <= last)]
    well_ids = np.array(sorted(readings["well_id"].unique()))
    silent = sorted(set(well_ids) - set(in_period["well_id"]))
    if silent:
        raise BundleError(
            f"{file}: well {str(silent[0])!r} has no reading between {first.date()} and {last.date()} (the acquisition "
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


# --- layers ---------------------------------------------------------------------------------


def _read_layer(
    folder: Path,
    name_in_manifest: str,
    layer: str,
    crs: CRS,
    work_crs: CRS,
    extent: tuple[float, float, float, float],
) -> Layer | None:
    path = folder / name_in_manifest
    if not path.is_file():
        alternatives = [
            p for p in folder.glob(f"{layer}.*") if p.suffix.lower() in (".gpkg", ".tif", ".tiff", ".geojson")
        ]
        if not alternatives:
            return None
        path = alternatives[0]
    if path.suffix.lower() in (".tif", ".tiff"):
        return _read_raster_layer(path, layer, crs, work_crs, extent)
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # any parser failure is a bad file, reported in one line
        raise BundleError(f"{path.name}: cannot be read ({type(exc).__name__}: {exc})") from exc
    if "value" not in frame:
        raise BundleError(
            f"{path.name}: no 'value' property; expected each feature to carry a numeric 'value' "
            f"({LAYER_UNITS[layer]}), found properties {[c for c in frame.columns if c != 'geometry']}"
        )
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(float)
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
    keep = _thin(len(coords), MAX_LAYER_SAMPLES)
    x, y = coords[keep, 0], coords[keep, 1]
    _check_overlap(x, y, extent, file, f"{layer} contours")
    return Layer(layer, LAYER_UNITS[layer], "contours", x, y, vals[keep], lines, values[index])


def _thin(n: int, most: int) -> np.ndarray:
    """Evenly spaced positions keeping at most ``most`` of ``n`` (deterministic)."""
    if n <= most:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, most).round().astype(int))


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
        raise BundleError(f"{path.name}: cannot be read as a GeoTIFF ({type(exc).__name__}: {exc})") from exc
    rows, cols = np.nonzero(np.isfinite(band))
    if len(rows) == 0:
        raise BundleError(
            f"{path.name}: every cell is no-data; expected {layer} values in {LAYER_UNITS[layer]}"
        )
    keep = _thin(len(rows), MAX_LAYER_SAMPLES)
    rows, cols = rows[keep], cols[keep]
    a, b, c, d, e, f = transform
    rx, ry = a * (cols + 0.5) + b * (rows + 0.5) + c, d * (cols + 0.5) + e * (rows + 0.5) + f
    x, y = Transformer.from_crs(raster_crs, work_crs, always_xy=True).transform(rx, ry)
    x, y = np.asarray(x), np.asarray(y)
    _check_overlap(x, y, extent, path.name, f"{layer} cells")
    raster = Raster(band, transform, raster_crs.to_string())  # type: ignore[arg-type]
    return Layer(layer, LAYER_UNITS[layer], "raster", x, y, band[rows, cols], raster=raster)


# --- report ---------------------------------------------------------------------------------


def _quality_notes(
    points: gpd.GeoDataFrame,
    dates: pd.DatetimeIndex,
    values: np.ndarray,
    wells: Wells,
    layers: dict[str, Layer | None],
) -> list[str]:
    notes = []
    missing = int(np.isnan(values).sum())
    if missing:
        rows = int(np.isnan(values).any(axis=1).sum())
        notes.append(
            f"{missing} missing PS values in {rows} series (filled by linear interpolation in time for models)"
        )
    gaps = np.diff(dates.values).astype("timedelta64[D]").astype(int)
    if gaps.max() > 1.5 * np.median(gaps):
        notes.append(
            f"acquisition intervals from {gaps.min()} to {gaps.max()} days (median {int(np.median(gaps))})"
        )
    span = wells.readings.groupby("well_id")["date"].agg(["min", "max"])
    late = int((span["min"] > dates[0]).sum())
    early = int((span["max"] < dates[-1]).sum())
    if late or early:
        notes.append(f"{late} well(s) start after the first acquisition, {early} stop before the last")
    step = wells.readings.groupby("well_id")["date"].diff().dt.days
    long_gaps = int((step > 90).sum())
    if long_gaps:
        notes.append(f"{long_gaps} gap(s) longer than 90 days between well readings")
    for name, layer in layers.items():
        if layer is None:
            notes.append(f"no {name} layer: models use the other inputs")
    return notes


def _fingerprint(ids: np.ndarray, dates: pd.DatetimeIndex, values: np.ndarray) -> str:
    digest = hashlib.sha256()
    digest.update("\n".join(map(str, ids)).encode())
    digest.update(dates.strftime("%Y-%m-%d").str.cat(sep=",").encode())
    digest.update(np.nan_to_num(np.round(values, 2), nan=-9999.0).astype("<f8").tobytes())
    return digest.hexdigest()[:16]


def list_bundles(folder: str | Path) -> list[Path]:
    """Bundle folders directly under ``folder`` (those holding a manifest), sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if (p / MANIFEST).is_file())
