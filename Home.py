"""Land-subsidence dashboard: the entry page (``streamlit run Home.py``)."""

from __future__ import annotations

import streamlit as st

from ui import summaries, tables
from ui.area import study_area_sidebar

st.set_page_config(page_title="Land subsidence dashboard", page_icon="🛰️", layout="wide")
area = study_area_sidebar()

st.title("Land subsidence dashboard")
st.markdown(
    "Model land subsidence at every persistent-scatterer (PS) point of an InSAR survey from its causes: "
    "the confined groundwater level kriged from monitoring wells, the compressible-layer thickness and the "
    "permeability coefficient — the method of Li et al. (2020, *Proc. IAHS* 382) and what its authors asked for next."
)
if area is not None:
    facts = summaries.area_summary(area)
    cols = st.columns(4)
    cols[0].metric("PS points", f"{facts['n_points']:,}")
    cols[1].metric("Acquisitions", facts["n_epochs"], help=f"{facts['first_date']} to {facts['last_date']}")
    cols[2].metric("Wells", facts["n_wells"])
    cols[3].metric("Max cumulative subsidence", f"{facts['max_cumulative_mm']:.0f} mm")
    if "synthetic" in area.name.lower():
        st.info("This is a **synthetic demo** modelled on the Beijing Plain, not survey data.")

st.subheader("Steps")
STEPS = (
    ("pages/1_Study_area.py", "1 · Study area: the PS points, the wells and a data-quality report", "🗺️"),
    (
        "pages/2_Interpolation.py",
        "2 · Interpolation: monthly groundwater maps, layers, variograms, cross-validation",
        "💧",
    ),
    ("pages/3_Model.py", "3 · Model: train the paper's LSTM with live progress, or load a saved model", "🧠"),
    (
        "pages/4_Results.py",
        "4 · Results: pick points on the map, modelled vs InSAR curves, deviation maps",
        "📍",
    ),
    (
        "pages/5_Compare.py",
        "5 · Compare: baselines, physics and spatial models under honest validation",
        "🏁",
    ),
    (
        "pages/6_Scenarios.py",
        "6 · Scenarios: forecast subsidence if groundwater keeps falling, is held or recovers",
        "🔮",
    ),
    (
        "pages/7_Hazard.py",
        "7 · Hazard: when points reach a threshold, uneven settlement, confidence, decision pack",
        "⚠️",
    ),
)
for page, label, icon in STEPS:
    st.page_link(page, label=label, icon=icon)
st.caption(
    "Choose another study area, or upload your own bundle, in the sidebar. The bundle format is in docs/bundle-format.md."
)
tables.next_step("1 · Study area: look at the PS points, the wells and the data-quality report.")
