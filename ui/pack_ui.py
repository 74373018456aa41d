"""The Hazard page's decision-pack panel: build the pack from what the session computed, offer its files.

The hindcast shown in the pack is the one last run on the Scenarios page ("Check the forecast")
for this study area, if any; otherwise the pack says plainly that none was run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from subsidence.planning.scenarios import PRESETS
from subsidence.report.pack import PackInputs, build_pack, file_hashes, gpkg_bytes
from subsidence.report.pack_map import MAP_SUFFIX
from ui import cache, picks
from ui.area import is_demo
from ui.errors import shown_errors


def session_hindcast(area: Any) -> Any:
    """The hindcast last run on the Scenarios page for this study area, or None."""
    job = st.session_state.get("hindcast_job")
    if job is None or job.finished is None or job.error or job.meta.get("area") != area.fingerprint:
        return None
    return job.result


def pack_panel(
    area: Any, data: Any, model: Any, results: Any, forecast: Any, settings: dict[str, Any]
) -> None:
    """The toggle that builds the pack, then its three downloads (HTML, GeoPackage, interactive map)."""
    st.markdown(
        "One HTML file that opens offline in any browser, with the maps, the model's validation (the paper's "
        "scores beside ours, the hindcast), the picked points, the scenarios and the caveats; a GeoPackage with "
        "every layer for GIS; and an interactive map (its web basemap and map scripts need the internet)."
    )
    hind = session_hindcast(area)
    st.caption(
        f"Hindcast in the pack: {hind.model} from {hind.cut.date()}."
        if hind is not None
        else "No hindcast run yet (Scenarios page, *Check the forecast*): the pack will say so."
    )
    if not st.toggle("Prepare the decision pack", key="hazard_pack"):
        return
    pack = None
    with st.spinner("Writing the decision pack…"), shown_errors("decision pack"):
        horizon = float(settings["horizon"])
        extra = [f for s in PRESETS if (f := cache.forecast(area, data, s, horizon)) is not None]
        pack = build_pack(
            PackInputs(
                area=area,
                data=data,
                head_sd_m=settings["head_sd"],
                model_name=model.name,
                model_source=model.shown_source,
                metrics={k: v for k, v in results.metrics["one-step"].items() if isinstance(v, (int, float))},
                points_scored=model.points,
                modelled_mm=results.cumulative["one-step"],
                test_mask=results.test_mask,
                forecasts=[forecast, *[f for f in extra if f.scenario != forecast.scenario]],
                picks=picks.picked(),
                files=file_hashes([p for p in (Path(area.source), Path(model.source)) if p.exists()]),
                demo=is_demo(area),
                threshold_mm=settings["threshold"],
                threshold_kind=settings["kind"],
                max_distance_m=float(settings["distance"]),
                hindcast=hind,
            )
        )
    if pack is None:
        return
    left, middle, right = st.columns(3)
    left.download_button(
        "Download the decision pack",
        pack.html.encode("utf-8"),
        "decision-pack.html",
        "text/html",
        key="dl_pack_html",
        type="primary",
    )
    middle.download_button(
        "Every layer (GeoPackage)",
        gpkg_bytes(pack.layers),
        "decision-pack.gpkg",
        "application/geopackage+sqlite3",
        key="dl_pack_gpkg",
    )
    right.download_button(
        "Interactive map (HTML, needs internet)",
        pack.map_html.encode("utf-8"),
        f"decision-pack{MAP_SUFFIX}",
        "text/html",
        key="dl_pack_map",
        help="A Leaflet map of every result: its scripts and street basemap load from the internet.",
    )
    st.caption(f"Data fingerprint (SHA-256 of the bundle and model files): {pack.fingerprint}")
