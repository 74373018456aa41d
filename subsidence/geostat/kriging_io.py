"""Writing kriging results: the PS table, cross-validation CSVs, the summary JSON and GeoTIFFs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from subsidence.geostat.kriging import KrigingGrid, KrigingResult, summary
from subsidence.io.atomic import atomic_write_via
from subsidence.io.studyarea import StudyArea


def _write_tif(path: Path, grid: KrigingGrid, bands: np.ndarray, descriptions: list[str]) -> Path:
    """North-up float32 GeoTIFF in ``work_crs`` with one band per row of ``bands`` (b, ny, nx)."""
    import rasterio
    from rasterio.transform import from_origin

    cell = grid.cell_size_m
    transform = from_origin(grid.x_m[0] - cell / 2, grid.y_m[-1] + cell / 2, cell, cell)

    def write(tmp: Path) -> None:
        profile = {
            "driver": "GTiff",
            "width": len(grid.x_m),
            "height": len(grid.y_m),
            "count": len(bands),
            "dtype": "float32",
            "crs": grid.work_crs,
            "transform": transform,
            "compress": "deflate",
            "nodata": np.nan,
        }
        with rasterio.open(tmp, "w", **profile) as dst:
            for i, (band, text) in enumerate(zip(bands, descriptions, strict=True), start=1):
                dst.write(band[::-1].astype(np.float32), i)  # rows north to south
                dst.set_band_description(i, text)

    return atomic_write_via(path, write)


def write_kriging(result: KrigingResult, area: StudyArea, out_dir: str | Path) -> list[Path]:
    """Write the kriged values to ``out_dir`` (created if needed).

    Files: ``kriged_ps.csv`` (``ps_id``, ``thickness_m``, ``permeability_m_per_day``, then
    ``head_m_YYYY-MM-DD`` per epoch), ``head_cv_per_epoch.csv``, ``head_cv_per_well.csv``,
    ``kriging_summary.json`` and, with a grid, GeoTIFFs in ``work_crs``: ``head_m.tif`` and
    ``head_variance_m2.tif`` (one band per epoch, the date in the band description),
    ``thickness_m.tif``, ``permeability_m_per_day.tif``. Each file is written atomically.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    f = result.factors
    stamps = [d.strftime("%Y-%m-%d") for d in result.dates]
    table = pd.DataFrame({"ps_id": area.points["ps_id"].astype(str).to_numpy()})
    if f.thickness_m is not None:
        table["thickness_m"] = f.thickness_m
    if f.permeability_m_per_day is not None:
        table["permeability_m_per_day"] = f.permeability_m_per_day
    heads = pd.DataFrame(f.head_m, columns=[f"head_m_{s}" for s in stamps])
    table = pd.concat([table, heads], axis=1)
    per_epoch = result.head_cv.per_epoch
    if per_epoch is None:  # heads are kriged epoch by epoch, so their cross-validation has epochs
        per_epoch = pd.DataFrame(columns=["date", "n_wells", "rmse", "mae", "bias"])
    written = [
        atomic_write_via(out / "kriged_ps.csv", lambda p: table.to_csv(p, index=False, float_format="%.4f")),
        atomic_write_via(out / "head_cv_per_epoch.csv", lambda p: per_epoch.to_csv(p, index=False)),
        atomic_write_via(
            out / "head_cv_per_well.csv", lambda p: result.head_cv.per_site.to_csv(p, index=False)
        ),
    ]
    grid = result.grid
    if grid is not None:
        written.append(_write_tif(out / "head_m.tif", grid, grid.head_m, stamps))
        written.append(_write_tif(out / "head_variance_m2.tif", grid, grid.head_var_m2, stamps))
        for name, values in (
            ("thickness_m", grid.thickness_m),
            ("permeability_m_per_day", grid.permeability_m_per_day),
        ):
            if values is not None:
                written.append(_write_tif(out / f"{name}.tif", grid, values[None], [name]))
    text = json.dumps(summary(result), indent=1)
    written.append(atomic_write_via(out / "kriging_summary.json", lambda p: p.write_text(text)))
    return written
