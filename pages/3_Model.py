"""Model: train the paper's LSTM (or another model) with live progress, or load a saved one."""

from __future__ import annotations

import streamlit as st

from subsidence.errors import SubsidenceError
from subsidence.models import model_names
from subsidence.models.modelio import list_models
from subsidence.pipeline import SPLIT_KINDS
from subsidence.viz.figures import loss_figure
from ui import cache, cluster, keys, reference, tables
from ui.area import study_area_sidebar
from ui.cache import area_key, series_for
from ui.models import MODELS_DIR, SHIPPED, load_saved, load_uploaded, set_current
from ui.text import escape_markdown, shorten
from ui.training import (
    delete_saved,
    model_zip,
    progress_text,
    reset_to_paper,
    result_panel,
    scores_table,
    settings_form,
    start_training,
)

st.set_page_config(page_title="Model", page_icon="🧠", layout="wide")
area = study_area_sidebar()
address = cluster.address_setting()
data = series_for(area) if area is not None else None
if area is None or data is None:
    st.stop()

st.title("Model")
cache.kriging_warning(area)


mode = st.radio(
    "What to do", ["Train a new model", "Load a saved model"], key=keys.MODEL_MODE, horizontal=True
)

if mode == "Train a new model":
    st.caption(
        "Defaults are the paper's: LSTM input 4, hidden 8, output 1, plain gradient descent, learning rate 0.001, "
        "batch 38, sum-of-squares loss, random 70/30 split of points."
    )
    st.button("Reset to the paper's settings", on_click=reset_to_paper, key="paper_defaults")
    submitted = settings_form(model_names(), SPLIT_KINDS)
    if submitted:
        st.session_state[keys.TRAIN_JOB] = start_training(area, data)
        st.session_state[keys.TRAIN_JOB].meta["area"] = area_key(area)

    @st.fragment(run_every=1.0)
    def progress_panel() -> None:
        job = st.session_state.get(keys.TRAIN_JOB)
        if job is None:
            return
        last = job.reports[-1] if job.reports else None
        done = 0.0 if last is None else last.epoch / max(last.max_epochs, 1)
        st.progress(
            1.0 if job.finished else done,
            text=progress_text(
                job.label, last and last.epoch, last and last.max_epochs, job.seconds, bool(job.finished)
            ),
        )
        if job.reports:
            st.plotly_chart(loss_figure(job.reports), key="loss_curve")
        if job.running:
            st.button("Stop", on_click=job.stop, key="stop_training", type="secondary")
        elif job.error:
            st.error(f"Training failed: {job.error}")
        elif job.result is not None:
            result_panel(job, area, data)

    progress_panel()
    cluster.cluster_panel(area, address)
else:
    upload = st.file_uploader("Open a model saved elsewhere (.zip)", type=["zip"], key=keys.MODEL_UPLOAD)
    if upload is not None:
        try:
            current = load_uploaded(upload.name, upload.getvalue(), area, data)
        except SubsidenceError as exc:
            st.error(
                f"{escape_markdown(shorten(upload.name, 80))} cannot be used here: {escape_markdown(shorten(str(exc), 300))}"
            )
        else:
            set_current(current)
            st.success(
                f"Loaded {escape_markdown(shorten(current.name, 80))} from {escape_markdown(shorten(upload.name, 80))}; the Results page now shows it."
            )
    saved = list_models(MODELS_DIR)
    if saved.empty:
        st.info("No saved models yet: train one and save it, or open a model archive above.")
        st.stop()
    tables.show(saved, key="saved_models")
    choice = st.selectbox("Saved model", list(saved["name"]), key=keys.SAVED_CHOICE)
    left, middle, right = st.columns(3)
    if left.button("Load", type="primary", key="load_model"):
        try:
            current = load_saved(MODELS_DIR / choice, area, data)
        except SubsidenceError as exc:  # a model that does not fit is refused with its message
            st.error(
                f"{escape_markdown(choice)} cannot be used here: {escape_markdown(shorten(str(exc), 300))}"
            )
        else:
            set_current(current)
            st.success(
                f"Loaded {escape_markdown(shorten(current.name, 80))} from {escape_markdown(choice)}; the Results page now shows it."
            )
            tables.show(scores_table(current.metrics, area), decimals=3)
            reference.model_line(current, area)
    if middle.toggle("Prepare a download", key="prepare_model_zip"):
        middle.download_button(
            f"Download {choice} (.zip)",
            model_zip(MODELS_DIR / choice),
            f"{choice}.zip",
            "application/zip",
            key="download_saved",
        )
    confirm = right.checkbox(f"Yes, delete {choice}", key=keys.CONFIRM_DELETE)
    shipped = choice == SHIPPED
    right.button(
        "Delete",
        disabled=not confirm or shipped,
        on_click=delete_saved,
        args=(choice,),
        key="delete_model",
        help="The shipped demo model cannot be deleted here." if shipped else None,
    )
tables.next_step("4 · Results — pick points and see how the model follows InSAR.")
