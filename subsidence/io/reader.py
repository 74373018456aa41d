"""Read and validate a study-area bundle (``shared/spec/study-area-format.md``).

Validation happens here, once, where data enters: every broken rule raises a
:class:`~subsidence.errors.BundleError` whose message names the file, the row or column,
what was expected and what was found. What comes out is a :class:`StudyArea` in the
library's conventions (mm, positive = down, metric ``work_crs``).
"""

from __future__ import annotations

import difflib
import tempfile
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from subsidence.errors import BundleError
from subsidence.io import plausibility
from subsidence.io.archive import check_file_size, read_members
from subsidence.io.bundle_paths import DEFAULT_FILES, MANIFEST, MAX_FILE_BYTES, _bundle_file
from subsidence.io.ps_table import _read_ps, utm_crs
from subsidence.io.studyarea import PERMEABILITY, THICKNESS, Layer, StudyArea, Wells, data_fingerprint
from subsidence.io.wells_layers import _read_layer, _read_wells
from subsidence.text import shorten

UNITS_TO_MM = {"mm": 1.0, "m": 1000.0}
SIGNS = ("negative_down", "positive_down")
# Limits checked before any work (docs/limits.md lists them all).
MAX_UNZIPPED_BYTES = 600_000_000
MAX_MANIFEST_BYTES = 64_000
MAX_NAME_CHARS = 200
MANIFEST_KEYS = ("name", "crs", "displacement_unit", "displacement_sign", "files")


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
            root = extract_bundle(path, Path(tmp))
            return _load_folder(root, source=str(path))
    return _load_folder(path, source=str(path))


def extract_bundle(path: Path, dest: Path) -> Path:
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
        fingerprint=data_fingerprint(points["ps_id"].to_numpy(), dates, values),
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


def list_bundles(folder: str | Path) -> list[Path]:
    """Bundle folders directly under ``folder`` (those holding a manifest), sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if (p / MANIFEST).is_file())
