"""Writing a synthetic study area as a bundle (CSV/GPKG/Parquet/EGMS, contours, GeoTIFF, truth).

Split from :mod:`subsidence.demo.synthetic`, which generates the area.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from subsidence.demo.synthetic import (
    SyntheticArea,
    SyntheticTruth,
)
from subsidence.errors import SubsidenceError
from subsidence.io.atomic import replace_folder, temp_sibling

if TYPE_CHECKING:
    import geopandas as gpd

DEMO_NAME = "Synthetic demo: Beijing-like plain (not survey data)"
WORK_CRS = "EPSG:32650"
EGMS_CRS = "EPSG:3035"
# EPSG:3035 (and EGMS) covers Europe only: written in it, the plain is moved rigidly (x, y
# shifted, nothing reprojected) to the Po plain near Bologna, itself a subsiding area.
EGMS_SHIFT_M = (4_427_800.0 - 470_000.0, 2_376_400.0 - 4_425_000.0)
THICKNESS_LEVELS = (10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140)
PERMEABILITY_LEVELS = (0.2, 0.5, 1, 2, 5, 10, 20, 40)
RECOVERY_NAME = "Synthetic recovery variant: Beijing-like plain, heads recover from 2013-12 (not survey data)"


def _in_crs(frame: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """A layer in EPSG:32650 put in ``crs`` (EPSG:3035: the rigid shift to Europe)."""
    if crs == EGMS_CRS:
        moved = frame.set_geometry(frame.geometry.translate(*EGMS_SHIFT_M))
        return moved.set_crs(EGMS_CRS, allow_override=True)
    return frame.to_crs(crs)


def _contours(
    gx: np.ndarray, gy: np.ndarray, grid: np.ndarray, levels: tuple[float, ...]
) -> gpd.GeoDataFrame:
    """Contour lines of a (ny, nx) grid at ``levels``: one MultiLineString with ``value`` per level."""
    import contourpy
    import geopandas as gpd
    import shapely

    gen = contourpy.contour_generator(gx, gy, grid, line_type=contourpy.LineType.Separate)
    values, geoms = [], []
    for level in levels:
        lines = [ln for ln in gen.lines(level) if len(ln) >= 2]
        if lines:
            values.append(float(level))
            geoms.append(shapely.MultiLineString([shapely.LineString(ln) for ln in lines]).simplify(50))
    return gpd.GeoDataFrame({"value": values}, geometry=geoms, crs=WORK_CRS)


def _to_crs_xy(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """EPSG:32650 metres to ``crs`` (EPSG:3035: the rigid shift to Europe, see EGMS_SHIFT_M)."""
    from pyproj import Transformer

    if crs == WORK_CRS:
        return x, y
    if crs == EGMS_CRS:
        return x + EGMS_SHIFT_M[0], y + EGMS_SHIFT_M[1]
    tx, ty = Transformer.from_crs(WORK_CRS, crs, always_xy=True).transform(x, y)
    return np.asarray(tx), np.asarray(ty)


def write_bundle(
    area: SyntheticArea,
    folder: str | Path,
    *,
    crs: str = WORK_CRS,
    unit: str = "mm",
    sign: str = "negative_down",
    layer_format: str = "contours",
    ps_format: str = "csv",
    name: str = DEMO_NAME,
    truth: bool = True,
) -> Path:
    """Write ``area`` as a study-area bundle, atomically (a temporary folder, then a rename).

    Parameters
    ----------
    crs : str
        CRS of every x/y written ("EPSG:4326" writes x = lon, y = lat).
    unit : {"mm", "m"}
    sign : {"negative_down", "positive_down"}
    layer_format : {"contours", "points", "geotiff", "none"}
    ps_format : {"csv", "gpkg", "parquet", "egms"}
        "egms" writes an EGMS L2b-style CSV (pid, easting, northing, YYYYMMDD columns) in
        EPSG:3035, mm, negative = away from the satellite; with the default ``crs`` the whole
        bundle is then written in EPSG:3035.

    Notes
    -----
    EPSG:3035 covers Europe only: a bundle written in it has the plain moved rigidly to the
    Po plain near Bologna (x, y shifted by ``EGMS_SHIFT_M``, nothing reprojected), so that
    readers that check a CRS's area of use accept it.
    name : str
        The manifest name; keep "synthetic" in it so nobody mistakes it for survey data.
    truth : bool
        Also write ``truth/truth.npz`` with the noise-free truth.

    Returns
    -------
    Path
        The bundle folder (replaced if it existed).

    Raises
    ------
    SubsidenceError
        For an option outside the allowed values, or an EGMS file asked in another CRS,
        unit or sign.
    """
    import geopandas as gpd

    options = {
        "unit": (unit, ("mm", "m")),
        "sign": (sign, ("negative_down", "positive_down")),
        "layer_format": (layer_format, ("contours", "points", "geotiff", "none")),
        "ps_format": (ps_format, ("csv", "gpkg", "parquet", "egms")),
    }
    for option, (value, allowed) in options.items():
        if value not in allowed:
            raise SubsidenceError(f"write_bundle: {option} must be one of {allowed}, found {value!r}")
    if ps_format == "egms":
        crs = EGMS_CRS if crs == WORK_CRS else crs
        if (crs, unit, sign) != (EGMS_CRS, "mm", "negative_down"):
            raise SubsidenceError(
                f"write_bundle: EGMS files are in {EGMS_CRS}, mm, negative_down; "
                f"found crs={crs!r}, unit={unit!r}, sign={sign!r}"
            )
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(folder)  # written in full, then put in place (subsidence.io.atomic)
    tmp.mkdir(mode=0o755)
    try:
        factor = (1.0 if unit == "mm" else 1e-3) * (-1.0 if sign == "negative_down" else 1.0)
        decimals = 1 if unit == "mm" else 4
        values = np.round(area.subsidence_mm * factor, decimals)
        px, py = _to_crs_xy(area.ps["x"].to_numpy(), area.ps["y"].to_numpy(), crs)
        date_names = area.dates.strftime("%Y%m%d" if ps_format == "egms" else "%Y-%m-%d")
        cols = {
            "ps_id": area.ps["ps_id"],
            "x": px,
            "y": py,
            "height_m": area.ps["height_m"],
            "coherence": area.ps["coherence"],
        }
        ps = pd.concat([pd.DataFrame(cols), pd.DataFrame(values, columns=date_names)], axis=1)
        files = {"ps": "ps.csv"}
        if ps_format in ("csv", "egms"):
            if ps_format == "egms":
                ps = ps.rename(columns={"ps_id": "pid", "x": "easting", "y": "northing"})
            ps.to_csv(tmp / "ps.csv", index=False, float_format="%.10g")
        else:
            geo = gpd.GeoDataFrame(ps.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(px, py), crs=crs)
            files["ps"] = f"ps.{ps_format}"
            geo.to_file(tmp / "ps.gpkg") if ps_format == "gpkg" else geo.to_parquet(tmp / "ps.parquet")
        wx, wy = _to_crs_xy(area.wells["x"].to_numpy(), area.wells["y"].to_numpy(), crs)
        area.wells.assign(x=wx, y=wy).to_csv(tmp / "wells.csv", index=False, float_format="%.10g")
        layers = {
            "thickness": (area.thickness_grid_m, THICKNESS_LEVELS),
            "permeability": (area.permeability_grid_m_per_day, PERMEABILITY_LEVELS),
        }
        for layer, (grid, levels) in layers.items():
            if layer_format == "contours":
                _in_crs(_contours(area.grid_x, area.grid_y, grid, levels), crs).to_file(
                    tmp / f"{layer}.geojson", driver="GeoJSON"
                )
            elif layer_format == "points":
                gxx, gyy = np.meshgrid(area.grid_x[::4], area.grid_y[::4])
                pts = gpd.GeoDataFrame(
                    {"value": np.round(grid[::4, ::4].ravel(), 3)},
                    geometry=gpd.points_from_xy(gxx.ravel(), gyy.ravel()),
                    crs=WORK_CRS,
                )
                _in_crs(pts, crs).to_file(tmp / f"{layer}.geojson", driver="GeoJSON")
            elif layer_format == "geotiff":
                _write_geotiff(tmp / f"{layer}.tif", area.grid_x, area.grid_y, grid, crs)
                files[layer] = f"{layer}.tif"
        manifest = [
            f'name = "{name}"',
            f'crs = "{crs}"',
            f'displacement_unit = "{unit}"',
            f'displacement_sign = "{sign}"',
            "",
            "[files]",
        ]
        manifest += [f'{k} = "{v}"' for k, v in files.items()]
        (tmp / "study_area.toml").write_text("\n".join(manifest) + "\n")
        if truth:
            _write_truth(area, tmp / "truth")
        replace_folder(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _write_geotiff(path: Path, gx: np.ndarray, gy: np.ndarray, grid: np.ndarray, crs: str) -> None:
    """Write a (ny, nx) grid with cell centres ``gx``, ``gy`` (EPSG:32650) as a GeoTIFF in ``crs``."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    cell = float(gx[1] - gx[0])
    source = grid[::-1].astype("float32")  # rows from the north
    src_transform = from_origin(gx[0] - cell / 2, gy[-1] + cell / 2, cell, cell)
    height, width = source.shape
    transform, data = src_transform, source
    if crs == EGMS_CRS:
        west, north = _to_crs_xy(np.array([gx[0] - cell / 2]), np.array([gy[-1] + cell / 2]), crs)
        transform = from_origin(float(west[0]), float(north[0]), cell, cell)
    elif crs != WORK_CRS:
        bounds = rasterio.transform.array_bounds(height, width, src_transform)
        transform, width, height = calculate_default_transform(
            WORK_CRS,
            crs,
            width,
            height,
            *bounds,  # west, south, east, north
        )
        data = np.full((height, width), np.nan, dtype="float32")
        reproject(
            source,
            data,
            src_transform=src_transform,
            src_crs=WORK_CRS,
            dst_transform=transform,
            dst_crs=crs,
            resampling=Resampling.bilinear,
            dst_nodata=np.nan,
        )
    profile = {"driver": "GTiff", "height": height, "width": width, "count": 1, "dtype": "float32"}
    with rasterio.open(path, "w", crs=crs, transform=transform, nodata=np.nan, **profile) as dst:
        dst.write(data, 1)


def _write_truth(area: SyntheticArea, folder: Path) -> None:
    folder.mkdir()
    np.savez_compressed(
        folder / "truth.npz",
        ps_id=area.ps["ps_id"].to_numpy().astype(str),
        dates=area.dates.strftime("%Y-%m-%d").to_numpy().astype(str),
        subsidence_mm=area.truth_mm.astype("float32"),
        head_m=area.head_m.astype("float32"),
        thickness_m=area.thickness_m.astype("float32"),
        permeability_m_per_day=area.permeability_m_per_day.astype("float32"),
        sskv_per_m=area.sskv_per_m.astype("float32"),
        sske_per_m=area.sske_per_m.astype("float32"),
        tau_days=area.tau_days.astype("float32"),
        kv_m_per_day=area.kv_m_per_day.astype("float32"),
        interbed_m=area.interbed_m.astype("float32"),
        anomaly=area.anomaly,
    )
    (folder / "README.txt").write_text(
        "Noise-free truth of the synthetic demo, for tests that models recover physics.\n"
        "Not data: the dashboard never reads or shows it.\n"
    )
    (folder / "config.json").write_text(json.dumps(asdict(area.config), indent=1))


def load_truth(bundle_dir: str | Path) -> SyntheticTruth:
    """Read the noise-free truth written beside a synthetic bundle."""
    with np.load(Path(bundle_dir) / "truth" / "truth.npz") as z:
        return SyntheticTruth(
            dates=pd.DatetimeIndex(pd.to_datetime(z["dates"])),
            ps_id=z["ps_id"],
            subsidence_mm=z["subsidence_mm"].astype(float),
            head_m=z["head_m"].astype(float),
            thickness_m=z["thickness_m"].astype(float),
            permeability_m_per_day=z["permeability_m_per_day"].astype(float),
            sskv_per_m=z["sskv_per_m"].astype(float),
            sske_per_m=z["sske_per_m"].astype(float),
            tau_days=z["tau_days"].astype(float),
            kv_m_per_day=z["kv_m_per_day"].astype(float),
            interbed_m=z["interbed_m"].astype(float),
            anomaly=z["anomaly"],
        )
