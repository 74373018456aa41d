"""``python -m subsidence import SOURCE --wells FILE --out DIR``: survey rasters to a bundle.

SOURCE is MintPy's ``timeseries.h5`` (``--geometry geometryRadar.h5`` for radar coordinates)
or a GeoTIFF stack (one multi-band file with dated bands, or a folder of one file per date);
the kind is told by the suffix (``.h5``/``.he5``: MintPy; ``.tif``/``.tiff`` or a folder:
GeoTIFF). Read a block of rows at a time; writes a bundle with ``ps.parquet``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from subsidence.errors import SubsidenceError


def import_survey(args: argparse.Namespace) -> dict[str, Any]:
    """Convert ``args.source`` to a bundle folder ``args.out``."""
    from subsidence.io.formats import Sidecars

    source = Path(args.source)
    sidecars = Sidecars(Path(args.wells), _opt(args.thickness), _opt(args.permeability))
    common = {"step": args.step, "block_rows": args.block_rows, "name": args.name}
    if source.suffix.lower() in (".h5", ".he5"):
        from subsidence.io.formats_mintpy import mintpy_to_bundle

        folder, n = mintpy_to_bundle(source, args.out, sidecars, geometry=args.geometry, **common)
        kind = "mintpy"
    elif source.is_dir() or source.suffix.lower() in (".tif", ".tiff"):
        from subsidence.io.formats_geotiff import geotiff_to_bundle

        folder, n = geotiff_to_bundle(source, args.out, sidecars, unit=args.unit, sign=args.sign, **common)
        kind = "geotiff"
    else:
        raise SubsidenceError(
            f"{source.name}: expected MintPy's timeseries.h5, a GeoTIFF (.tif) stack or a folder of GeoTIFFs"
        )
    return {"path": str(folder), "format": kind, "n_points": n}


def _opt(text: str | None) -> Path | None:
    return Path(text) if text else None


def add_flags(p: argparse.ArgumentParser) -> None:
    """Arguments of ``import``."""
    p.add_argument(
        "source", help="MintPy timeseries.h5, a GeoTIFF stack (.tif) or a folder of one GeoTIFF per date"
    )
    p.add_argument("--out", required=True, help="new bundle folder to write")
    p.add_argument("--wells", required=True, help="wells CSV of the area (copied into the bundle)")
    p.add_argument("--thickness", default=None, help="thickness layer file (optional, copied)")
    p.add_argument("--permeability", default=None, help="permeability layer file (optional, copied)")
    p.add_argument(
        "--geometry", default=None, help="MintPy geometryRadar.h5/geometryGeo.h5 (latitude, longitude)"
    )
    p.add_argument("--unit", choices=("mm", "m"), default="mm", help="GeoTIFF displacement unit (default mm)")
    p.add_argument(
        "--sign", choices=("negative_down", "positive_down"), default="negative_down",
        help="GeoTIFF displacement sign (default negative_down, as EGMS and line-of-sight products)",
    )  # fmt: skip
    p.add_argument("--step", type=int, default=1, help="keep every N-th row and column of pixels (default 1)")
    p.add_argument("--block-rows", type=int, default=256, help="raster rows read at a time (default 256)")
    p.add_argument("--name", default=None, help="name of the study area (default from the file)")
