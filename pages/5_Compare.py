"""Compare: every model under honest spatial validation, which is best where, curves at picked points."""

from __future__ import annotations

import streamlit as st

from subsidence.crossval import KINDS, SPATIAL
from subsidence.figures import model_curves_figure
from subsidence.maps import category_colours, ps_deck
from subsidence.models import model_names
from ui import cache, jobs, keys, picks
from ui.area import study_area_sidebar
from ui.compare import run

st.set_page_config(page_title="Compare models", page_icon="🏁", layout="wide")
area = study_area_sidebar()
if area is None:
    st.stop()
data = cache.series_for(area)

st.title("Compare models")
st.markdown(
    "Every model is trained and scored the same way. **Spatial-block** cross-validation (the default) holds out whole "
    "blocks as wide as the variogram range of subsidence, so a test point has no neighbour of the same bowl in training; "
    "**random** is the paper's 70/30 split (it measures interpolation); **temporal** scores only the last months (forecasts)."
)
with st.form("compare_form"):
    st.multiselect("Models", model_names(), default=model_names(), key=keys.COMPARE_MODELS)
    a, b, c = st.columns(3)
    a.selectbox("Validation", list(KINDS), index=list(KINDS).index(SPATIAL), key=keys.COMPARE_KIND)
    b.number_input("Folds", min_value=2, max_value=10, value=5, key=keys.COMPARE_FOLDS)
    c.number_input("LSTM epochs (at most)", min_value=1, max_value=200, value=20, key=keys.COMPARE_EPOCHS)
    run_now = st.form_submit_button("Run the comparison", type="primary")
    if run_now and not st.session_state[keys.COMPARE_MODELS]:
        st.warning("Choose at least one model.")
    elif run_now:
        s = st.session_state
        s[keys.COMPARE_JOB] = jobs.start(
            "comparison",
            run,
            data=data,
            names=list(s[keys.COMPARE_MODELS]),
            kind=s[keys.COMPARE_KIND],
            folds=int(s[keys.COMPARE_FOLDS]),
            lstm_epochs=int(s[keys.COMPARE_EPOCHS]),
        )
        s[keys.COMPARE_JOB].meta["area"] = cache.area_key(area)


@st.fragment(run_every=1.0)
def progress_panel() -> None:
    job = st.session_state.get(keys.COMPARE_JOB)
    if job is None:
        return
    if not job.running:
        if not job.meta.get("shown"):  # the main script stopped before the results: draw them now
            job.meta["shown"] = True
            st.rerun()
        return
    last = job.reports[-1] if job.reports else None
    st.progress(
        0.0 if last is None else last.epoch / last.max_epochs,
        text=f"{last.message if last else 'starting'} · {job.seconds:.0f} s",
    )
    st.button("Stop", on_click=job.stop, key="stop_compare")


progress_panel()
job = st.session_state.get(keys.COMPARE_JOB)
if job is not None and job.meta.get("area") != cache.area_key(area):
    st.info("The last comparison ran on another study area: run it again for this one.")
    st.stop()
if job is None or job.running:
    st.info("Choose models and press **Run the comparison**; training shows progress here.")
    st.stop()
if job.error:
    st.error(f"The comparison did not finish: {job.error}")
    st.stop()

result = job.result
st.subheader("Leaderboard")
st.caption(
    f"{result.cv.kind} validation, {len(result.cv.folds)} folds, blocks of {result.block_size_m / 1000:.1f} km; lengths in mm. "
    f"InSAR noise floor: {result.noise_floor_mm:.2f} mm per interval. *free* columns: each model run on its own predictions from the first date (a forecast from the causes alone); the others add each observed change back (the paper's way). The paper's row is its own random split on Beijing survey data."
)
st.dataframe(result.table.round(2), hide_index=True, key="leaderboard")

st.subheader("Which model is best where")
best = result.best.set_index("ps_id").reindex(data.ps_ids.astype(str))
rgba, legend = category_colours(best["best_model"].fillna("not scored").to_numpy())
deck = ps_deck(
    area,
    best["best_rmse_change_mm"].to_numpy(),
    label="lowest RMSE of change",
    rgba=rgba,
    picked=picks.picked(),
    extra={"best": best["best_model"].fillna("-").to_numpy()},
    basemap=st.session_state.get(keys.BASEMAP, False),
)
picks.sync_map_state()
st.pydeck_chart(
    deck, on_select=picks.on_map_select, selection_mode="multi-object", key=keys.RESULTS_MAP, height=480
)
st.markdown(legend, unsafe_allow_html=True)

chosen = picks.picked()
if chosen:
    st.plotly_chart(model_curves_figure(data, chosen, result.cv.predictions), key="compare_curves")
else:
    st.caption("Pick points on this map or on the Results page to see every model's curves there.")
