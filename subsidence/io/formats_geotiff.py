"""GeoTIFF stacks of displacement as PS input, read a block of rows at a time (rasterio).

Two layouts:

- **one file, one band per date**: each band's date is its description or its ``DATE`` tag
  (``YYYYMMDD`` or ``YYYY-MM-DD``);
- **a folder (or list) of single-band files, one per date**: the date is the first
  ``YYYYMMDD``/``YYYY-MM-DD`` in each file name (``disp_20150322.tif``).

All files must share the grid (size, transform, CRS). The raster's nodata value and NaN are
missing values; every pixel with a value at some date becomes a point ``r<row>c<col>`` at
its centre, in the raster's CRS. Unit and sign are given by the user (default mm, negative =
down, the EGMS convention).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from subsidence.errors import BundleError
from subsidence.io.formats import DEFAULT_BLOCK_ROWS, BundleWriter, Sidecars, parse_date, pixel_ids

_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2}|\d{8})")


def _open(path: Path) -> Any:
    import rasterio

    try:
        return rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise BundleError(f"{path.name}: cannot be opened as GeoTIFF ({str(exc)[:120]})") from exc


def _layers(source: Path) -> list[tuple[Path, int, pd.Timestamp]]:
    """(file, band, date) of every date, sorted by date."""
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in (".tif", ".tiff"))
        if not files:
            raise BundleError(f"{source}: no .tif files; give a folder of one GeoTIFF per date")
        out = []
        for f in files:
            found = _DATE_IN_NAME.search(f.stem)
            if found is None:
                raise BundleError(f"{f.name}: no date in the file name; rename it e.g. disp_20150322.tif")
            out.append((f, 1, parse_date(found.group(1), f.name)))
    else:
        if not source.is_file():
            raise BundleError(f"{source}: no such file or folder; give a GeoTIFF stack or a folder of them")
        with _open(source) as src:
            out = []
            for band in range(1, src.count + 1):
                text = src.descriptions[band - 1] or src.tags(band).get("DATE") or ""
                if not text:
                    raise BundleError(
                        f"{source.name}, band {band}: no date; set the band description or DATE tag to YYYYMMDD"
                    )
                out.append((source, band, parse_date(text, f"{source.name}, band {band}")))
    dates = [d for _, _, d in out]
    if len(set(dates)) != len(dates):
        raise BundleError(f"{source.name}: two layers have the same date; keep one per date")
    return sorted(out, key=lambda t: t[2])


def geotiff_to_bundle(
    source: str | Path,
    out: str | Path,
    sidecars: Sidecars,
    *,
    unit: str = "mm",
    sign: str = "negative_down",
    step: int = 1,
    block_rows: int = DEFAULT_BLOCK_ROWS,
    name: str | None = None,
) -> tuple[Path, int]:
    """Convert a GeoTIFF stack (file or folder) to a bundle folder ``out``; returns (folder, points).

    Raises
    ------
    BundleError
        An unreadable file, a layer without a date, files on different grids or without a
        CRS: one line naming the file and the fix.
    """
    source = Path(source)
    sidecars.check()
    layers = _layers(source)
    handles = {f: _open(f) for f in dict.fromkeys(f for f, _, _ in layers)}
    try:
        first = handles[layers[0][0]]
        if first.crs is None:
            raise BundleError(
                f"{layers[0][0].name}: no CRS; write the raster's CRS into it (gdal_edit.py -a_srs)"
            )
        for f, h in handles.items():
            if (h.width, h.height, h.transform, h.crs) != (
                first.width,
                first.height,
                first.transform,
                first.crs,
            ):
                raise BundleError(
                    f"{f.name}: grid {h.width} x {h.height} ({h.crs}) differs from {layers[0][0].name}'s "
                    f"{first.width} x {first.height} ({first.crs}); resample every date to one grid"
                )
        writer = BundleWriter(out, pd.DatetimeIndex([d for _, _, d in layers]), first.crs.to_string())
        cols = np.arange(0, first.width, step)
        for r0 in range(0, first.height, block_rows * step):
            rows = np.arange(r0, min(first.height, r0 + block_rows * step), step)
            window = ((int(rows[0]), int(rows[-1]) + 1), (0, first.width))
            stack = np.empty((len(layers), len(rows), len(cols)))
            for k, (f, band, _) in enumerate(layers):
                h = handles[f]
                block = h.read(band, window=window).astype(np.float64)[::step, ::step]
                if h.nodata is not None:
                    block[block == h.nodata] = np.nan
                stack[k] = block
            rr, cc = np.meshgrid(rows, cols, indexing="ij")
            x, y = first.transform * (cc + 0.5, rr + 0.5)
            writer.add(
                pixel_ids("", rr.ravel(), cc.ravel()),
                np.ravel(x),
                np.ravel(y),
                stack.reshape(len(layers), -1).T,
            )
    finally:
        for h in handles.values():
            h.close()
    folder = writer.finish(name or f"GeoTIFF {source.stem}", unit, sign, sidecars, source.name)
    return folder, writer.n_points
