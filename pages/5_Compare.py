"""Compare: every model under the validation the area allows, which is best where, curves at picked points."""

from __future__ import annotations

import streamlit as st

from subsidence.demo.synthetic_bundle import DEMO_NAME
from subsidence.models import model_names
from subsidence.validation.comparison import PAPER_ROW, estimate_seconds
from subsidence.validation.protocols import KINDS, SPATIAL
from subsidence.viz.figures import model_curves_figure
from subsidence.viz.maps import category_colours
from ui import cache, jobs, keys, mapbits, picks, tables
from ui import compare as compare_ui
from ui.area import study_area_sidebar

DEFAULTS_FOR = "compare_defaults_for"

st.set_page_config(page_title="Compare models", page_icon="🏁", layout="wide")
area = study_area_sidebar()
data = cache.series_for(area) if area is not None else None
if area is None or data is None:
    st.stop()
area_key = cache.area_key(area)
s = st.session_state

st.title("Compare models")
st.markdown(
    "Every model is trained and scored the same way. **Spatial-block** validation holds out whole blocks of the area "
    "(sized to the area and its subsidence bowls), so a test point has no close neighbour in training; **random** is "
    "the paper's 70/30 split (it measures interpolation); **temporal** scores only the last acquisitions (forecasts); "
    "**leave-one-out** holds out each point once (small networks of benchmarks)."
)
with st.spinner("Timing one short fit of each model on this area…"):
    defaults = compare_ui.settings(area_key, data)
if s.get(DEFAULTS_FOR) != area_key:  # defaults from this area's size, once per area
    s[keys.COMPARE_MODELS] = list(defaults.models)
    s[keys.COMPARE_KIND] = defaults.protocol.kind
    s[keys.COMPARE_FOLDS] = defaults.protocol.n_folds if defaults.protocol.kind == SPATIAL else 3
    s[keys.COMPARE_EPOCHS] = defaults.lstm_epochs
    s[DEFAULTS_FOR] = area_key

job = s.get(keys.COMPARE_JOB)
running = job is not None and job.running
st.multiselect("Models", model_names(), key=keys.COMPARE_MODELS, disabled=running)
a, b, c = st.columns(3)
a.selectbox("Validation", list(KINDS), key=keys.COMPARE_KIND, disabled=running)
kind = s[keys.COMPARE_KIND]
b.number_input(
    "Folds (spatial blocks only)",
    min_value=2,
    max_value=10,
    key=keys.COMPARE_FOLDS,
    disabled=running or kind != SPATIAL,
)
c.number_input(
    "Network epochs (at most)", min_value=1, max_value=200, key=keys.COMPARE_EPOCHS, disabled=running
)
names = list(s[keys.COMPARE_MODELS])
protocol = compare_ui.protocol(area_key, data, kind, int(s[keys.COMPARE_FOLDS]))
estimate = None
if isinstance(protocol, str):
    st.warning(f"{protocol[0].upper()}{protocol[1:]}.")
else:
    st.caption(protocol.note)
    if names:
        seconds = estimate_seconds(
            data, names, protocol, int(s[keys.COMPARE_EPOCHS]), compare_ui.calibration(area_key, data)
        )
        estimate = sum(seconds.values())
        fits = len(names) * protocol.n_folds
        st.markdown(
            f"**Estimated time: about {compare_ui.minutes(estimate)}** for {fits} fits ({len(names)} models × "
            f"{protocol.n_folds} fold{'s' if protocol.n_folds > 1 else ''}), from one short fit of each model timed "
            f"on this machine (networks counted at their epoch cap; early stopping often ends them sooner). "
            f"Defaults for this area: {defaults.note}."
        )
        if estimate > 15 * 60:
            st.warning(
                "This will take long: leave out the slowest models or lower the epochs to get results sooner."
            )
if not names:
    st.warning("Choose at least one model.")
if st.button(
    "Run the comparison", type="primary", disabled=running or not names or estimate is None, key="run_compare"
):
    s[keys.COMPARE_JOB] = jobs.start(
        "comparison",
        compare_ui.run,
        data=data,
        names=names,
        protocol=protocol,
        lstm_epochs=int(s[keys.COMPARE_EPOCHS]),
    )
    s[keys.COMPARE_JOB].meta.update(area=area_key, estimate=estimate, fits=len(names) * protocol.n_folds)
    st.rerun()


compare_ui.progress_panel()
result = compare_ui.finished_result(area_key)
st.subheader("Leaderboard")
done = result.protocol.note if result.protocol is not None else f"{result.cv.kind} validation."
st.caption(
    f"{done} Lengths in mm. InSAR noise floor: {result.noise_floor_mm:.2f} mm per interval. *free* columns: each "
    "model run on its own predictions from the first date (a forecast from the causes alone); the others add each "
    "observed change back (the paper's way)."
    + (" The paper's row is its own random split on Beijing survey data." if area.name == DEMO_NAME else "")
)
is_demo = area.name == DEMO_NAME
show_paper = st.checkbox(
    "Show the paper's figures beside (Beijing survey, random split)",
    value=is_demo,
    key="compare_show_paper",
    help="The paper's numbers come from another basin and another split: they compare only with the demo.",
)
table = result.table if show_paper else result.table[result.table["model"] != PAPER_ROW]
tables.show(table, key="leaderboard")

st.subheader("Which model is best where")
best = result.best.set_index("ps_id").reindex(data.ps_ids.astype(str))
rgba, legend = category_colours(best["best_model"].fillna("not scored").to_numpy())
deck = cache.ps_deck(
    area,
    best["best_rmse_change_mm"].to_numpy(),
    label="lowest RMSE of change",
    rgba=rgba,
    picked=picks.picked(),
    extra={"best": best["best_model"].fillna("-").to_numpy()},
    basemap=mapbits.basemap_on(),
    **picks.pick_layers(area, keys.COMPARE_MAP),
)
picks.picking_map(deck, keys.COMPARE_MAP, height=480)
mapbits.scale_bar(area)
st.markdown(legend, unsafe_allow_html=True)

chosen = picks.known_only(picks.picked(), data.ps_ids)
if chosen:
    st.plotly_chart(model_curves_figure(data, chosen, result.cv.predictions), key="compare_curves")
else:
    st.caption("Pick points on this map or on the Results page to see every model's curves there.")
tables.next_step(compare_ui.NEXT)
