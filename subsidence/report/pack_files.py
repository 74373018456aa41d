"""Files of the decision pack: the data fingerprint, the GeoPackage layers, and writing both files."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from subsidence.errors import SubsidenceError
from subsidence.io.studyarea import StudyArea
from subsidence.planning import hazard
from subsidence.series import SeriesData

if TYPE_CHECKING:
    from subsidence.planning.scenarios import Forecast
    from subsidence.report.pack import Pack


def file_hashes(paths: Sequence[str | Path]) -> list[tuple[str, int, str]]:
    """(name, bytes, sha256) of every file under each path (a file or a folder, sorted)."""
    rows = []
    for root in map(Path, paths):
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for p in files:
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            name = f"{root.name}/{p.relative_to(root).as_posix()}" if root.is_dir() else p.name
            rows.append((name, p.stat().st_size, digest))
    return rows


def fingerprint(rows: Sequence[tuple[str, int, str]]) -> str:
    """One sha256 over the names and hashes of :func:`file_hashes` (the data fingerprint)."""
    return hashlib.sha256("\n".join(f"{n}\t{h}" for n, _, h in rows).encode()).hexdigest()


def pack_layers(
    area: StudyArea,
    data: SeriesData,
    paths: hazard.Paths,
    ttt: pd.DataFrame,
    dist: pd.DataFrame,
    confid: pd.DataFrame,
    deviation: np.ndarray,
    forecasts: Sequence[Forecast],
) -> dict[str, gpd.GeoDataFrame]:
    from subsidence.io.exports import results_geodataframe

    ids = np.asarray(data.ps_ids).astype(str)

    def geo(frame: pd.DataFrame) -> gpd.GeoDataFrame:
        return results_geodataframe(area, frame.assign(ps_id=ids))

    def day(s: pd.Series) -> np.ndarray:
        out: np.ndarray = s.dt.strftime("%Y-%m-%d").fillna("").to_numpy()
        return out

    scen = {f"horizon_mm_{k + 1}": f.median_mm[:, -1] for k, f in enumerate(forecasts)}
    wells = gpd.GeoDataFrame(
        {"well_id": [str(w) for w in area.wells.ids]},
        geometry=gpd.points_from_xy(area.wells.x, area.wells.y),
        crs=area.work_crs,
    )
    return {
        "subsidence": geo(
            pd.DataFrame({"insar_cumulative_mm": data.subsidence_mm[:, -1], "deviation_mm": deviation})
        ),
        "confidence": geo(confid.drop(columns=[])),
        "time_to_threshold": geo(
            ttt.drop(columns=["ps_id"]).assign(
                date=day(ttt["date"]), early_date=day(ttt["early_date"]), late_date=day(ttt["late_date"])
            )
        ),
        "angular_distortion": geo(dist.drop(columns=["ps_id"])),
        "scenarios": geo(pd.DataFrame(scen)),
        "wells": wells,
    }


def write_pack(pack: Pack, out: str | Path) -> tuple[Path, Path]:
    """Write the HTML to ``out``, the GeoPackage (every layer) and the interactive map beside it.

    The GeoPackage has the same name ending in ``.gpkg``, the map in ``-map.html`` (:func:`map_path`).
    """
    from subsidence.io.exports import geopackage_bytes, write_atomic

    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise SubsidenceError(f"--out {out}: expected a file ending in .html")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, pack.html.encode("utf-8"))
    gpkg = out.with_suffix(".gpkg")
    write_atomic(gpkg, gpkg_bytes(pack.layers) if pack.layers else geopackage_bytes(gpd.GeoDataFrame()))
    if pack.map_html:
        write_atomic(map_path(out), pack.map_html.encode("utf-8"))
    return out, gpkg


def map_path(out: str | Path) -> Path:
    """Where the interactive map goes beside the pack ``out`` (same name, ending in ``-map.html``)."""
    from subsidence.report.pack_map import MAP_SUFFIX

    out = Path(out)
    return out.with_name(out.stem + MAP_SUFFIX)


def gpkg_bytes(layers: dict[str, gpd.GeoDataFrame]) -> bytes:
    """One GeoPackage with every layer, as bytes (for a download button)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pack.gpkg"
        for name, frame in layers.items():
            frame.to_file(path, layer=name, driver="GPKG")
        return path.read_bytes()
