"""The PS table of a bundle: CSV/GeoPackage/Parquet reading, date columns, numbers, ids,
attributes, coordinate checks and the UTM zone for geographic coordinates."""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer

from subsidence.errors import BundleError
from subsidence.io.bundle_paths import MANIFEST
from subsidence.text import shorten

MIN_EPOCHS = 3
MIN_POINTS = 3
MAX_COLUMNS = 5000
MAX_ID_CHARS = 100
FIRST_ACQUISITION = pd.Timestamp("1991-01-01")  # ERS-1, the first InSAR satellite, launched 1991
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COMPACT_DATE = re.compile(r"^\d{8}$")
_DATE_LIKE = re.compile(r"^\s*\d{4}[-/.]?\d{2}[-/.]?\d{2}(?:[T ].*|[-_].*)?$")
_EGMS_COLUMNS = {"pid": "ps_id", "easting": "x", "northing": "y"}


def _read_table(path: Path) -> pd.DataFrame:
    """Read a CSV, GeoPackage or (Geo)Parquet table; geometry becomes x/y columns."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    try:
        if suffix == ".gpkg":
            frame: pd.DataFrame = _quiet(gpd.read_file, path)
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
        raise BundleError(
            f"{path.name}: cannot be read ({type(exc).__name__}: {_reason(exc, path)})"
        ) from exc
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame:
        if "x" not in frame and "easting" not in frame:
            frame = frame.assign(x=frame.geometry.x, y=frame.geometry.y)
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV as text cells, read strictly: UTF-8, no NUL bytes, each column name once."""
    file = shorten(path.name, 80)
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise BundleError(
            f"{file}: contains NUL bytes, so it is not a text CSV; export it again as CSV (UTF-8)"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BundleError(
            f"{file}, line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as CSV UTF-8"
        ) from exc
    del raw
    try:
        header = next(csv.reader(io.StringIO(text[: text.find("\n") if "\n" in text else None])), [])
    except csv.Error as exc:
        raise BundleError(f"{file}, line 1: not a CSV header ({shorten(exc, 100)})") from exc
    if len(header) > MAX_COLUMNS:
        raise BundleError(f"{file}: {len(header):,} columns; at most {MAX_COLUMNS:,} are read")
    names = [h.strip() for h in header]
    seen: dict[str, int] = {}
    for j, name in enumerate(names):
        if name in seen:
            raise BundleError(
                f"{file}, line 1: column {shorten(name, 60)!r} appears twice (columns {seen[name] + 1} and {j + 1}); "
                "expected each column once"
            )
        seen[name] = j
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error) as exc:
        raise BundleError(f"{file}: cannot be read as CSV ({shorten(exc, 150)})") from exc


def _date_columns(columns: list[str], file: str) -> tuple[list[str], pd.DatetimeIndex]:
    found = [c for c in columns if _ISO_DATE.match(c) or _COMPACT_DATE.match(c)]
    for c in columns:
        if c not in found and _DATE_LIKE.match(c):
            raise BundleError(
                f"{file}, column {shorten(c, 60)!r}: looks like a date but is not written YYYY-MM-DD or YYYYMMDD; "
                "rename the column (e.g. 2012-07-07) or, if it is not a date, give it a name that does not start with one"
            )
    parsed = []
    for c in found:
        fmt = "%Y-%m-%d" if "-" in c else "%Y%m%d"
        try:
            parsed.append(pd.to_datetime(c, format=fmt))
        except (ValueError, OverflowError) as exc:
            raise BundleError(
                f"{file}, column {c!r}: expected a valid date YYYY-MM-DD or YYYYMMDD, found {c!r}"
            ) from exc
        if not FIRST_ACQUISITION <= parsed[-1] <= pd.Timestamp.now() + pd.Timedelta(days=366):
            raise BundleError(
                f"{file}, column {c!r}: date {parsed[-1].date()} is outside the years InSAR can have measured "
                f"({FIRST_ACQUISITION.year} to next year); check the column name"
            )
    if not found:
        raise BundleError(
            f"{file}: no date columns; expected one column per acquisition named YYYY-MM-DD or YYYYMMDD, "
            f"found columns {shorten(columns[:8], 150)}"
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
            _refuse_infinite(out[:, j], file, c, row_label)
            continue
        text = col.astype(str).str.strip()
        empty = text.isin(["", "nan", "NaN", "NA", "None", "null"])
        num = pd.to_numeric(text.where(~empty), errors="coerce")
        bad = num.isna() & ~empty
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise BundleError(
                f"{file}, row {i + 2} ({shorten(row_label.iloc[i], 40)}), column {shorten(c, 40)!r}: expected a number, "
                f"found {shorten(text.iloc[i], 40)!r}"
                + ("; use a decimal point, not a comma" if re.match(r"^-?\d+,\d+$", text.iloc[i]) else "")
            )
        out[:, j] = num.to_numpy(float)
        _refuse_infinite(out[:, j], file, c, row_label)
    return out


def _refuse_infinite(values: np.ndarray, file: str, column: str, row_label: pd.Series) -> None:
    bad = np.isinf(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise BundleError(
            f"{file}, row {i + 2} ({shorten(row_label.iloc[i], 40)}), column {shorten(column, 40)!r}: "
            f"found {values[i]} (not a finite number); expected a number in mm or m, or an empty cell"
        )


def _check_ids(ids: pd.Series, file: str, column: str, frame: pd.DataFrame) -> None:
    """Refuse empty ids (naming a blank line as such) and ids longer than MAX_ID_CHARS."""
    empty = ids.eq("")
    if empty.any():
        i = int(np.flatnonzero(empty.to_numpy())[0])
        blank = frame.iloc[i].astype(str).str.strip().eq("").all()
        what = "is blank (only separators)" if blank else f"has an empty {column}"
        raise BundleError(
            f"{file}, row {i + 2}: the line {what}; give every row a {column} or remove the line"
        )
    long = ids.str.len() > MAX_ID_CHARS
    if long.any():
        i = int(np.flatnonzero(long.to_numpy())[0])
        raise BundleError(
            f"{file}, row {i + 2}: {column} {shorten(ids.iloc[i], 40)!r} has {len(ids.iloc[i]):,} characters; "
            f"expected at most {MAX_ID_CHARS}"
        )


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
            f"found {shorten(list(frame.columns)[:8], 150)}"
        )
    if len(frame) < MIN_POINTS:
        raise BundleError(
            f"{file}: {len(frame)} PS point(s); expected at least {MIN_POINTS} rows, one per PS point"
        )
    ids = frame["ps_id"].astype(str).str.strip()
    _check_ids(ids, file, "ps_id", frame)
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        rows = [int(i) + 2 for i in dup.index[:2]]
        raise BundleError(
            f"{file}, rows {rows}: duplicate ps_id {shorten(dup.iloc[0], 40)!r}; expected every ps_id once"
        )
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
            f"{file}, row {i + 2} ({shorten(ids.iloc[i], 40)}): x and y must be numbers, found an empty cell"
        )
    _check_coordinates(xy, crs, file)
    order = np.argsort(dates.values, kind="stable")
    values = _numeric(frame, [date_cols[k] for k in order], file, ids)
    dates = dates[order]
    empty = ~np.isfinite(values).any(axis=1)
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise BundleError(
            f"{file}, row {i + 2} ({shorten(ids.iloc[i], 40)}): every date is empty; expected at least one value per point "
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


def _reason(exc: BaseException, path: Path) -> str:
    """A parser's reason, short, with the server's folder names taken out."""
    text = str(exc)
    for where in (str(path.resolve()), str(path), str(path.parent.resolve()), str(path.parent)):
        text = text.replace(where, path.name if where.endswith(path.name) else "")
    return shorten(text, 150)


def _quiet(read: Any, path: Path) -> Any:
    """Call a GDAL-backed reader with its warnings silenced: a bad file becomes one error, not noise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read(path)
