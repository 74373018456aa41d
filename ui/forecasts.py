"""The Scenarios page's forecast parts: per-well scenarios, the difference map, "Check the forecast".

UI only: the work is in :mod:`subsidence.planning.scenarios`, :mod:`subsidence.planning.well_scenarios`,
:mod:`subsidence.validation.hindcast` and :mod:`subsidence.validation.bands`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from subsidence.errors import SubsidenceError
from subsidence.io.exports import csv_bytes, geopackage_bytes, results_geodataframe
from subsidence.models import model_names
from subsidence.planning.scenarios import (
    PRESETS,
    Scenario,
    csv_scenario,
    local_motion_sentence,
    zone_scenario,
)
from subsidence.text import escape_markdown
from subsidence.validation.hindcast import hindcast
from subsidence.viz.hindcast_figures import hindcast_figure
from subsidence.viz.maps import colour_range, legend_html
from ui import cache, jobs, keys, picks, reference, tables
from ui.bigmap import static_layers

NEUTRAL = np.array([150, 150, 150, 200], dtype=np.uint8)


def neutral_rgba(values: np.ndarray) -> np.ndarray | None:
    """One neutral colour for every point when ``values`` barely differ (a degenerate colour range)."""
    lo, hi = colour_range(values)
    if float(np.ptp(values)) < 0.5 or hi - lo < 0.5:
        return np.tile(NEUTRAL, (len(values), 1))
    return None


def local_motion_note(forecast: Any, data: Any) -> None:
    """Say which points move unlike their neighbours: their own motion goes on in every forecast."""
    sentence = local_motion_sentence(forecast, data.ps_ids)
    if sentence is None:
        return
    st.info(escape_markdown(sentence))
    flagged = [str(p) for p in np.asarray(data.ps_ids)[forecast.local.flagged][:10]]  # those named
    st.button(
        f"Pick {len(flagged)} of them to see their curves",
        key="pick_local_motion",
        on_click=lambda: picks.set_picked(picks.picked() + flagged),
    )


def per_well_inputs(area: Any) -> None:
    """Inputs of the zone and CSV scenarios (inside the page's form)."""
    z1, z2, z3 = st.columns(3)
    z1.multiselect("Zone: wells whose rate changes", list(map(str, area.wells.ids)), key="zone_wells")
    z2.number_input(
        "Zone head change (m/yr, + = recovery)",
        min_value=-10.0,
        max_value=10.0,
        value=2.0,
        step=0.5,
        key="zone_rate",
    )
    z3.file_uploader("Future heads per well (CSV: well_id,date,head_m)", type=["csv"], key="heads_csv")


def per_well_scenarios(area: Any, data: Any, chosen_names: list[str]) -> list[Scenario]:
    """The zone and CSV scenarios the user chose (messages instead of errors)."""
    chosen: list[Scenario] = []
    try:
        if "zone of wells" in chosen_names:
            if not st.session_state.get("zone_wells"):
                st.info("Choose the wells of the zone (below the scenarios) to forecast a zone scenario.")
            else:
                chosen.append(
                    zone_scenario(
                        area, data, st.session_state["zone_wells"], float(st.session_state["zone_rate"])
                    )
                )
        if "heads from a CSV" in chosen_names:
            upload = st.session_state.get("heads_csv")
            if upload is None:
                st.info(
                    "Upload a CSV of future heads per well (columns well_id, date, head_m; see docs/forecasts.md)."
                )
            else:
                chosen.append(csv_scenario(area, data, upload.getvalue(), f"heads from {upload.name}"))
    except SubsidenceError as exc:
        st.error(str(exc))
    return chosen


def chosen_scenarios(area: Any, data: Any) -> list[Scenario]:
    """The scenarios chosen in the page's form: presets, the custom rate, the zone and CSV ones."""
    names = st.session_state[keys.SCENARIOS]
    chosen = [s for s in PRESETS if s.name in names]
    if "custom rate" in names:
        rate = float(st.session_state[keys.SCENARIO_RATE])
        chosen.append(Scenario(f"head {rate:+g} m/yr", rate))
    return chosen + per_well_scenarios(area, data, names)


def export_section(area: Any, table: pd.DataFrame, shown: str) -> None:
    """The forecast per point as CSV, and as a GeoPackage when asked."""
    left, right = st.columns(2)
    left.download_button(
        f"Forecast per point, {shown} (CSV)",
        csv_bytes(table),
        "forecast.csv",
        "text/csv",
        key="dl_forecast_csv",
    )
    if right.toggle("Prepare a GeoPackage", key="forecast_gpkg"):
        right.download_button(
            "Forecast per point (GeoPackage)",
            geopackage_bytes(results_geodataframe(area, table)),
            "forecast.gpkg",
            "application/geopackage+sqlite3",
            key="dl_forecast_gpkg",
        )


def difference_section(area: Any, forecasts: list[Any]) -> None:
    """Map of the difference of subsidence added between two chosen scenarios."""
    if len(forecasts) < 2:
        return

    st.subheader("Difference between two scenarios")
    d1, d2 = st.columns(2)
    names_shown = [x.scenario.name for x in forecasts]
    first = d1.selectbox("Scenario", names_shown, index=0, key="diff_a")
    second = d2.selectbox("minus scenario", names_shown, index=1, key="diff_b")
    fa = next(x for x in forecasts if x.scenario.name == first)
    fb = next(x for x in forecasts if x.scenario.name == second)
    diff = fa.added_mm - fb.added_mm
    dlo, dhi = colour_range(diff, symmetric=True)
    flat = float(np.ptp(diff)) < 0.5
    if flat:
        st.warning(
            f"The two scenarios differ by about the same amount everywhere ({int(round(float(np.median(diff)))):+d} mm): the map is "
            "drawn in one neutral colour."
        )
    st.pydeck_chart(
        reference.on_deck(
            cache.ps_deck(
                area,
                diff,
                label=f"{first} minus {second} by {fa.dates[-1].date()} (mm)",
                ramp="diverging",
                value_range=(dlo, dhi),
                picked=picks.picked(),
                basemap=bool(st.session_state.get(keys.BASEMAP, False)),
                rgba=neutral_rgba(diff),
                **static_layers(area, "diff_map"),
            )
        ),
        key="diff_map",
        height=420,
    )
    st.markdown(
        legend_html(dlo, dhi, f"{first} minus {second}: subsidence added (mm)", "diverging"),
        unsafe_allow_html=True,
    )


def check_the_forecast(area: Any, data: Any, picked: list[str]) -> None:
    """Choose a cut date and a model, run the hindcast in the background, show what it says."""
    st.header("Check the forecast")
    st.markdown(
        "Would this forecast have been right before? Choose a **cut date**: the model learns only from what InSAR saw "
        "up to it, then forecasts the rest of the record from the groundwater levels alone, and the result is compared "
        "with what InSAR saw later. Beside it, two simple forecasts any model should beat: **it stops** (no more "
        "subsidence after the cut) and **velocity** (each point's own trend and yearly swing carried on). The 90 % band "
        "is learnt from the model's own errors at earlier cuts; the share of InSAR values inside it is shown."
    )
    middle = data.dates[len(data.dates) // 2].date()
    with st.form("hindcast_form"):
        left, right = st.columns(2)
        left.date_input(
            "Cut date",
            value=middle,
            min_value=data.dates[0].date(),
            max_value=data.dates[-1].date(),
            key="hindcast_cut",
        )
        names = model_names()
        right.selectbox("Model", names, index=names.index("consolidation"), key="hindcast_model")
        run_hindcast = st.form_submit_button("Run the hindcast", key="hindcast_submit")
    if run_hindcast:
        job = jobs.start(
            "hindcast",
            hindcast,
            data=data,
            model_name=st.session_state["hindcast_model"],
            cut=pd.Timestamp(st.session_state["hindcast_cut"]),
        )
        job.meta["area"] = area.fingerprint
        st.session_state["hindcast_job"] = job

    @st.fragment(run_every=1.0)
    def hindcast_progress() -> None:
        job = st.session_state.get("hindcast_job")
        if job is None or job.meta.get("shown"):
            return
        last = job.reports[-1] if job.reports else None
        done = 0.0 if last is None else last.epoch / max(last.max_epochs, 1)
        st.progress(min(done, 1.0), text=f"{last.message if last else 'starting'} · {job.seconds:.0f} s")
        if job.running:
            st.button("Stop", on_click=job.stop, key="stop_hindcast")
        else:
            job.meta["shown"] = True
            st.rerun()

    job = st.session_state.get("hindcast_job")
    if job is not None and not job.meta.get("shown"):  # poll only while a hindcast is under way
        hindcast_progress()
    if job is not None and job.finished is not None:
        if job.error:
            st.error(f"The hindcast did not finish: {job.error}")
        elif job.result is not None and job.meta.get("area") == area.fingerprint:
            h = job.result
            s = h.scores()
            st.markdown(
                f"Cut at **{s['cut']}**, {s['n_forecast_epochs']} later acquisitions at {s['n_points']} points. "
                f"InSAR inside the 90 % band: **{s['coverage_90']:.0%}** of values (mean band width "
                f"{s['mean_band_width_mm']:.0f} mm)."
            )
            tables.show(h.table(), key="hindcast_table", decimals=1)
            errors = h.point_errors()
            lo, hi = colour_range(errors["error_last_mm"].to_numpy(), symmetric=True)
            st.pydeck_chart(
                reference.on_deck(
                    cache.ps_deck(
                        area,
                        errors["error_last_mm"].to_numpy(),
                        label=f"{h.model} minus InSAR at {h.dates[-1].date()} (mm)",
                        ramp="diverging",
                        value_range=(lo, hi),
                        picked=picks.picked(),
                        basemap=st.session_state.get(keys.BASEMAP, False),
                        **static_layers(area, "hindcast_map"),
                    )
                ),
                key="hindcast_map",
                height=420,
            )
            st.markdown(
                legend_html(
                    lo,
                    hi,
                    "forecast minus InSAR at the last acquisition (mm; + = too much subsidence)",
                    "diverging",
                ),
                unsafe_allow_html=True,
            )
            if picked:
                st.plotly_chart(hindcast_figure(h, picked), key="hindcast_curves")
            else:
                st.caption("Pick points on the map above to see their hindcast curves with the band.")
            st.download_button(
                "Hindcast per point and date (CSV)",
                csv_bytes(h.frame()),
                "hindcast.csv",
                "text/csv",
                key="dl_hindcast",
            )
