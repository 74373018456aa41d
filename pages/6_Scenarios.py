"""Scenarios: forecasts under groundwater scenarios (area-wide, per zone, from a CSV), compared, and checked by hindcasts."""

from __future__ import annotations

import numpy as np
import streamlit as st

from subsidence.io.exports import figure_html
from subsidence.planning.scenarios import (
    PRESETS,
    forecast_table,
    heads_outside_training,
    scenario_table,
    threshold_table,
)
from subsidence.viz.figures import forecast_figure
from subsidence.viz.maps import colour_range, legend_html
from ui import cache, keys, mapbits, picks, tables, trust
from ui import forecasts as forecast_parts
from ui.area import study_area_sidebar
from ui.forecasts import check_the_forecast, difference_section, neutral_rgba, per_well_inputs
from ui.models import current_model

st.set_page_config(page_title="Scenarios", page_icon="🔮", layout="wide")
area = study_area_sidebar()
data = cache.series_for(area) if area is not None else None
if area is None or data is None:
    st.stop()

st.title("Groundwater scenarios")
st.markdown(
    "What if confined heads keep falling, are held, or recover? Each scenario continues every point's kriged head from "
    f"the last acquisition ({area.dates[-1].date()}), keeping its seasonal cycle; the **consolidation** model (fitted on "
    "this study area, see the Compare page) turns heads into compaction, added to what InSAR measured last. The shaded "
    "band is the wider of two: the spread of the physics refitted on three spatial folds (parameter uncertainty) and "
    "the 90 % band learnt from the physics' own forecast errors inside the record (see *Check the forecast* below). "
    "Neither includes the uncertainty of the scenario itself."
)
with st.form("scenario_form"):
    a, b, c = st.columns(3)
    a.multiselect(
        "Scenarios",
        [s.name for s in PRESETS] + ["custom rate", "zone of wells", "heads from a CSV"],
        default=[PRESETS[0].name, PRESETS[2].name],
        key=keys.SCENARIOS,
    )
    b.number_input(
        "Custom head change (m/yr, + = recovery)",
        min_value=-10.0,
        max_value=10.0,
        value=2.0,
        step=0.5,
        key=keys.SCENARIO_RATE,
    )
    c.slider(
        "Horizon (years after the last acquisition)", min_value=1, max_value=15, value=5, key=keys.HORIZON
    )
    per_well_inputs(area)
    st.form_submit_button("Forecast", type="primary", key="forecast_submit")

chosen = forecast_parts.chosen_scenarios(area, data)
if not chosen:
    st.info("Choose at least one scenario.")
    st.stop()
made = [cache.forecast(area, data, s, float(st.session_state[keys.HORIZON])) for s in chosen]
forecasts = [f for f in made if f is not None]
if len(forecasts) < len(made):  # the error is on the page
    st.stop()

st.subheader("What each scenario adds by the horizon")
tables.show(scenario_table(forecasts), key="scenario_table", decimals=3)
st.caption("Share of points adding more than each amount by the horizon (points sample the built-up area):")
tables.show(threshold_table(forecasts), key="threshold_table")
forecast_parts.local_motion_note(forecasts[0], data)
for fc in forecasts:
    outside = heads_outside_training(fc, data)
    if outside is not None:
        st.info(
            f"{fc.scenario.name}: heads reach {outside[0]:.1f} to {outside[1]:.1f} m, outside the {float(data.head_m.min()):.1f} "
            f"to {float(data.head_m.max()):.1f} m the models were fitted on. The physics extrapolates by design; the "
            "networks (paper-lstm, spatial-lstm, physics-lstm) have never seen such heads and are not reliable there."
        )
shown = st.radio(
    "Map the scenario", [f.scenario.name for f in forecasts], key=keys.SCENARIO_SHOWN, horizontal=True
)
f = next(x for x in forecasts if x.scenario.name == shown)
vmin, vmax = colour_range(f.added_mm)
neutral = neutral_rgba(f.added_mm)
if neutral is not None:
    st.warning(
        f"Every point gets about the same forecast here (+{float(np.median(f.added_mm)):.0f} mm by "
        f"{f.dates[-1].date()}, band {float(np.median(f.high_mm[:, -1] - f.low_mm[:, -1])):.0f} mm): the map "
        "cannot tell places apart, so it is drawn in one neutral colour. Treat this as one number for the area."
    )
shown_conf = trust.control("scenario_confidence")
conf = None
if shown_conf != trust.OFF:
    model = current_model(area, data)
    cv = trust.cv_errors(cache.results(area, data, model)) if model else None
    band = f.high_mm[:, -1] - f.low_mm[:, -1]
    conf = trust.point_confidence(area, data, cv, band, tag=f"{model and model.token}|{shown}|{f.dates[-1]}")
rgba, conf_legend = trust.map_colours(shown_conf, conf, f.added_mm, "magnitude", (vmin, vmax))
extra = {"low_mm": f.low_mm[:, -1] - f.low_mm[:, 0], "high_mm": f.high_mm[:, -1] - f.high_mm[:, 0]}
if conf is not None:
    extra["confidence"] = conf["confidence"].to_numpy()
deck = cache.ps_deck(
    area,
    f.added_mm,
    label=f"subsidence added by {f.dates[-1].date()} ({shown})",
    ramp="magnitude",
    value_range=(vmin, vmax),
    picked=picks.picked(),
    basemap=mapbits.basemap_on(),
    extra=extra,
    rgba=rgba if rgba is not None else neutral,
    **picks.pick_layers(area, keys.SCENARIO_MAP),
)
picks.picking_map(deck, keys.SCENARIO_MAP, height=480)
mapbits.scale_bar(area)
st.markdown(
    conf_legend or legend_html(vmin, vmax, "subsidence added after the last acquisition (mm)", "magnitude"),
    unsafe_allow_html=True,
)

difference_section(area, forecasts)

picked = picks.known_only(picks.picked(), data.ps_ids)
if picked:
    curves = forecast_figure(data, forecasts, picked)
    st.plotly_chart(curves, key="forecast_curves")
    st.download_button(
        "Forecast curves (HTML)", figure_html(curves), "forecast.html", "text/html", key="dl_forecast_html"
    )
else:
    st.caption(
        "Pick points on the map (or on the Results page) to see their forecast curves, one panel each."
    )

forecast_parts.export_section(area, forecast_table(f, data), shown)

check_the_forecast(area, data, picked)
tables.next_step(
    "7 · Hazard — set a settlement threshold, see when it is reached, and download the decision pack."
)
