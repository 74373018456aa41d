"""MintPy ``timeseries.h5`` (+ its geometry file) as PS input, read a block of rows at a time.

MintPy writes ``timeseries`` (dates x rows x columns, metres, line of sight, positive =
towards the satellite, i.e. mostly uplift) and ``date`` (``YYYYMMDD`` bytes). Pixel positions:

- **geocoded** files carry ``X_FIRST``, ``Y_FIRST``, ``X_STEP``, ``Y_STEP`` attributes (the
  upper-left corner and the pixel size; ``EPSG`` attribute, default 4326): pixel centres are
  computed, no geometry file needed (``geometryGeo.h5`` is accepted and its ``latitude`` and
  ``longitude`` used when given);
- **radar-coordinate** files need ``geometryRadar.h5`` with ``latitude`` and ``longitude``
  datasets of the same rows x columns (WGS 84).

Every pixel with a value at some date becomes a point ``r<row>c<col>``; ``step`` keeps every
``step``-th row and column (a 10 m grid at ``step=3`` is a 30 m one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from subsidence.errors import BundleError
from subsidence.io.formats import DEFAULT_BLOCK_ROWS, BundleWriter, Sidecars, parse_date, pixel_ids


def _open(path: Path) -> Any:
    import h5py

    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise BundleError(
            f"{path.name}: cannot be opened as HDF5 ({exc}); give MintPy's timeseries.h5"
        ) from exc


def _dataset(h5: Any, name: str, file: str, fix: str) -> Any:
    if name not in h5:
        raise BundleError(f"{file}: no dataset {name!r} (found {sorted(h5.keys())[:6]}); {fix}")
    return h5[name]


def mintpy_to_bundle(
    timeseries: str | Path,
    out: str | Path,
    sidecars: Sidecars,
    *,
    geometry: str | Path | None = None,
    step: int = 1,
    block_rows: int = DEFAULT_BLOCK_ROWS,
    name: str | None = None,
) -> tuple[Path, int]:
    """Convert MintPy output to a bundle folder ``out``; returns (folder, number of points).

    Raises
    ------
    BundleError
        A missing file or dataset, dates that do not read, a geometry of another shape, or
        radar coordinates without a geometry file: one line naming the file and the fix.
    """
    path = Path(timeseries)
    sidecars.check()
    if not path.is_file():
        raise BundleError(f"{path}: no such file; give MintPy's timeseries.h5")
    with _open(path) as h5:
        ts = _dataset(h5, "timeseries", path.name, "give MintPy's timeseries.h5 (or timeseries_*.h5)")
        raw = _dataset(h5, "date", path.name, "give MintPy's timeseries.h5, whose 'date' lists YYYYMMDD")[()]
        if ts.ndim != 3 or ts.shape[0] != len(raw):
            raise BundleError(
                f"{path.name}: 'timeseries' has shape {ts.shape} for {len(raw)} dates; expected (dates, rows, columns)"
            )
        dates = pd.DatetimeIndex(
            [
                parse_date(d.decode() if isinstance(d, bytes) else str(d), f"{path.name}, dataset 'date'")
                for d in raw
            ]
        )
        attrs = dict(h5.attrs)
        rows, cols = ts.shape[1:]
        geom = _open(Path(geometry)) if geometry is not None else None
        try:
            locate, crs = _locator(attrs, geom, Path(geometry) if geometry else None, (rows, cols), path.name)
            writer = BundleWriter(out, dates, crs)
            keep_c = np.arange(0, cols, step)
            for r0 in range(0, rows, block_rows * step):
                keep_r = np.arange(r0, min(rows, r0 + block_rows * step), step)
                block = np.asarray(ts[:, keep_r[0] : keep_r[-1] + 1 : step, ::step], dtype=np.float64)
                rr, cc = np.meshgrid(keep_r, keep_c, indexing="ij")
                x, y = locate(rr, cc)
                values = block.reshape(len(dates), -1).T
                writer.add(pixel_ids("", rr.ravel(), cc.ravel()), x.ravel(), y.ravel(), values)
        finally:
            if geom is not None:
                geom.close()
    folder = writer.finish(name or f"MintPy {path.stem}", "m", "negative_down", sidecars, path.name)
    return folder, writer.n_points


def _locator(
    attrs: dict[str, Any], geom: Any, geom_path: Path | None, shape: tuple[int, int], file: str
) -> tuple[Any, str]:
    """A function (rows, cols) -> (x, y) of pixel centres, and its CRS."""
    if geom is not None:
        assert geom_path is not None
        lat = _dataset(geom, "latitude", geom_path.name, "give MintPy's geometryRadar.h5 or geometryGeo.h5")
        lon = _dataset(geom, "longitude", geom_path.name, "give MintPy's geometryRadar.h5 or geometryGeo.h5")
        if lat.shape != shape or lon.shape != shape:
            raise BundleError(
                f"{geom_path.name}: 'latitude' has shape {lat.shape}, the time series {shape}; "
                "give the geometry file of the same MintPy run"
            )

        def from_geometry(rr: np.ndarray, cc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            r = slice(int(rr.min()), int(rr.max()) + 1)
            la, lo = np.asarray(lat[r], float), np.asarray(lon[r], float)
            return lo[rr - r.start, cc], la[rr - r.start, cc]

        return from_geometry, "EPSG:4326"
    if not {"X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP"} <= set(attrs):
        raise BundleError(
            f"{file}: radar coordinates (no X_FIRST/Y_FIRST attributes); give its geometry file "
            "with --geometry geometryRadar.h5"
        )
    x0, y0 = float(attrs["X_FIRST"]), float(attrs["Y_FIRST"])
    dx, dy = float(attrs["X_STEP"]), float(attrs["Y_STEP"])
    epsg = attrs.get("EPSG")
    crs = f"EPSG:{int(epsg)}" if epsg not in (None, "", b"") else "EPSG:4326"

    def from_attributes(rr: np.ndarray, cc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x0 + (cc + 0.5) * dx, y0 + (rr + 0.5) * dy

    return from_attributes, crs
