"""Read and validate a study-area bundle (``shared/spec/study-area-format.md``).

Validation happens here, once, where data enters: every broken rule raises a
:class:`~subsidence.errors.BundleError` whose message names the file, the row or column,
what was expected and what was found. What comes out is a :class:`StudyArea` in the
library's conventions (mm, positive = down, metric ``work_crs``).
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import tempfile
import tomllib
import warnings
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from subsidence import plausibility
from subsidence.archive import check_file_size, read_members
from subsidence.errors import BundleError
from subsidence.studyarea import LAYER_UNITS, PERMEABILITY, THICKNESS, Layer, Raster, StudyArea, Wells
from subsidence.text import shorten

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
MIN_POINTS = 3
# Limits checked before any work (docs/limits.md lists them all).
MAX_UNZIPPED_BYTES = 600_000_000
MAX_MANIFEST_BYTES = 64_000
MAX_FILE_BYTES = {"ps": 400_000_000, "wells": 100_000_000, THICKNESS: 100_000_000, PERMEABILITY: 100_000_000}
MAX_COLUMNS = 5000
MAX_NAME_CHARS = 200
MAX_ID_CHARS = 100
MANIFEST_KEYS = ("name", "crs", "displacement_unit", "displacement_sign", "files")
FIRST_ACQUISITION = pd.Timestamp("1991-01-01")  # ERS-1, the first InSAR satellite, launched 1991
MAX_LAYER_SAMPLES = 3000
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COMPACT_DATE = re.compile(r"^\d{8}$")
_DATE_LIKE = re.compile(r"^\s*\d{4}[-/.]?\d{2}[-/.]?\d{2}(?:[T ].*|[-_].*)?$")
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
    """Extract a bundle archive safely (limits, names, one bundle) and return the manifest's folder."""
    limits = {Path(DEFAULT_FILES[k]).name: v for k, v in MAX_FILE_BYTES.items()}
    members = read_members(
        path,
        BundleError,
        max_member_bytes={MANIFEST: MAX_MANIFEST_BYTES, **limits, "*": max(MAX_FILE_BYTES.values())},
        max_total_bytes=MAX_UNZIPPED_BYTES,
    )
    manifests = sorted((n for n in members if PurePosixPath(n).name == MANIFEST), key=lambda n: n.count("/"))
    label = shorten(path.name, 80)
    if not manifests:
        raise BundleError(f"{label}: no {MANIFEST} in the archive; zip the bundle folder that holds it")
    if len(manifests) > 1:
        raise BundleError(
            f"{label}: {len(manifests)} bundles in one archive ({', '.join(shorten(m, 60) for m in manifests[:3])}); "
            "upload one bundle per archive"
        )
    for name, data in members.items():
        target = dest / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as exc:  # "a" and "a/b" both files, or the temporary folder is full
            raise BundleError(
                f"{label}: member {shorten(name, 80)!r} cannot be unpacked ({exc.strerror}); "
                "zip the bundle folder again"
            ) from exc
    return (dest / manifests[0]).parent


def _load_folder(folder: Path, source: str) -> StudyArea:
    manifest = _read_manifest(folder)
    crs = _parse_crs(manifest["crs"])
    files = manifest["files"]

    ps_path = _bundle_file(folder, files["ps"], "ps", required=True)
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

    wells_path = _bundle_file(folder, files["wells"], "wells", required=True)
    wells = _read_wells(wells_path, crs, work_crs, dates, extent)
    layers = {
        name: _read_layer(folder, files[name], name, crs, work_crs, extent)
        for name in (THICKNESS, PERMEABILITY)
    }
    notes = _quality_notes(points, dates, values, wells, layers)
    notes += plausibility.check(points, dates, values, wells, layers, files)
    if manifest["name_note"]:
        notes.append(manifest["name_note"])
    return StudyArea(
        name=manifest["name"],
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
            f"{shorten(folder.name, 80)}/{MANIFEST}: missing; a bundle folder must hold a {MANIFEST} manifest"
        )
    check_file_size(path, MAX_MANIFEST_BYTES, BundleError, MANIFEST)
    try:
        raw = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BundleError(f"{MANIFEST}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise BundleError(f"{MANIFEST}: not valid TOML ({shorten(exc, 120)})") from exc
    _refuse_unknown(raw, MANIFEST_KEYS, MANIFEST)
    if "crs" not in raw:
        raise BundleError(f'{MANIFEST}: missing key "crs"; expected e.g. crs = "EPSG:32650"')
    for key in ("crs", "displacement_unit", "displacement_sign", "name"):
        if key in raw and not isinstance(raw[key], str):
            raise BundleError(
                f"{MANIFEST}: {key} must be a text in quotes, found a {_toml_type(raw[key])}; "
                f'e.g. {key} = "{ {"crs": "EPSG:32650", "name": "My area"}.get(key, "mm") }"'
            )
    unit = raw.get("displacement_unit", "mm")
    if unit not in UNITS_TO_MM:
        raise BundleError(f'{MANIFEST}: displacement_unit must be "mm" or "m", found {shorten(unit, 40)!r}')
    sign = raw.get("displacement_sign", "negative_down")
    if sign not in SIGNS:
        raise BundleError(
            f'{MANIFEST}: displacement_sign must be "negative_down" or "positive_down", found {shorten(sign, 40)!r}'
        )
    files = dict(DEFAULT_FILES)
    given = raw.get("files", {})
    if not isinstance(given, dict):
        raise BundleError(f"{MANIFEST}: [files] must be a table of file names, found a {_toml_type(given)}")
    _refuse_unknown(given, tuple(DEFAULT_FILES), f"{MANIFEST} [files]")
    for key, value in given.items():
        if not isinstance(value, str):
            raise BundleError(
                f"{MANIFEST}: [files] {key} must be a file name in quotes, found a {_toml_type(value)}"
            )
    files.update(given)
    name = raw.get("name", folder.name)
    short = shorten(name, MAX_NAME_CHARS)
    note = "" if short == name else f"the study-area name was shortened to {MAX_NAME_CHARS} characters"
    return {
        "name": short or shorten(folder.name, MAX_NAME_CHARS),
        "name_note": note,
        "crs": raw["crs"],
        "displacement_unit": unit,
        "displacement_sign": sign,
        "files": files,
    }


def _toml_type(value: object) -> str:
    return {dict: "table", list: "list", str: "text", bool: "true/false", int: "number", float: "number"}.get(
        type(value), type(value).__name__
    )


def _refuse_unknown(table: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    """Unknown keys are refused, naming the nearest known one (a typo must not be dropped)."""
    for key in table:
        if key not in known:
            near = difflib.get_close_matches(str(key), known, n=1, cutoff=0.5)
            hint = f'; did you mean "{near[0]}"?' if near else f"; expected one of {', '.join(known)}"
            raise BundleError(f"{where}: unknown key {shorten(key, 60)!r}{hint}")


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


def _bundle_file(folder: Path, name: str, role: str, *, required: bool) -> Path | None:
    """The bundle file named in the manifest, refused unless it lies inside the bundle folder.

    Absolute names, ``..`` and links (or folders) that resolve outside the bundle are refused
    with one line that names the manifest entry, never the file's content.
    """
    shown = shorten(name, 80)
    if not name.strip() or "\x00" in name:
        raise BundleError(
            f"{MANIFEST}: [files] {role} is empty; expected a file name such as {DEFAULT_FILES[role]!r}"
        )
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", name):
        raise BundleError(
            f"{MANIFEST}: [files] {role} = {shown!r} points outside the bundle; "
            "name a file inside the bundle folder, e.g. " + repr(DEFAULT_FILES[role])
        )
    root = folder.resolve()
    path = folder / pure
    if path.exists() or path.is_symlink():
        real = path.resolve()
        if not real.is_relative_to(root):
            raise BundleError(
                f"{MANIFEST}: [files] {role} = {shown!r} is a link to a file outside the bundle; refused"
            )
    if not path.is_file():
        if required:
            raise BundleError(
                f"{shown}: missing; the {role} file named in {MANIFEST} (or its default) must exist"
            )
        return None
    check_file_size(path, MAX_FILE_BYTES[role], BundleError, shown)
    return path


# --- PS points ------------------------------------------------------------------------------


def _read_table(path: Path) -> pd.DataFrame:
    """Read a CSV, GeoPackage or (Geo)Parquet table; geometry becomes x/y columns."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    try:
        if suffix == ".gpkg":
            frame = _quiet(gpd.read_file, path)
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


# --- layers ---------------------------------------------------------------------------------


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
        raise BundleError(
            f"{path.name}: cannot be read as a GeoTIFF ({type(exc).__name__}: {_reason(exc, path)})"
        ) from exc
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
