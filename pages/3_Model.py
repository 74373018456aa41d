"""Model: train the paper's LSTM (or another model) with live progress, or load a saved one."""

from __future__ import annotations

import streamlit as st

from subsidence.errors import SubsidenceError
from subsidence.figures import loss_figure
from subsidence.modelio import check_model_name, list_models
from subsidence.models import model_names
from subsidence.pipeline import SPLIT_KINDS, save_trained
from subsidence.report import metrics_vs_paper
from ui import keys
from ui.area import study_area_sidebar
from ui.cache import area_key, series_for
from ui.models import MODELS_DIR, SHIPPED, CurrentModel, load_saved, load_uploaded, set_current
from ui.training import delete_saved, reset_to_paper, settings_form, start_training

st.set_page_config(page_title="Model", page_icon="🧠", layout="wide")
area = study_area_sidebar()
if area is None:
    st.stop()
data = series_for(area)

st.title("Model")
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
            text=f"{job.label}: {'finished' if job.finished else 'training'} · {job.seconds:.0f} s",
        )
        if job.reports:
            st.plotly_chart(loss_figure(job.reports), key="loss_curve")
        if job.running:
            st.button("Stop", on_click=job.stop, key="stop_training", type="secondary")
        elif job.error:
            st.error(f"Training failed: {job.error}")
        elif job.result is not None:
            trained = job.result
            if job.meta.get("area") != area_key(area):
                st.warning(
                    "This model was trained on another study area: choose that area again to use or save it."
                )
                return
            note = " (stopped early by you)" if job.stopped else ""
            st.success(
                f"Trained {trained.name} in {trained.seconds:.1f} s, {trained.epochs_trained or '-'} epochs{note}."
            )
            st.dataframe(metrics_vs_paper(trained.metrics), hide_index=True)
            if not job.meta.get("made_current"):  # once: a model loaded later must not be replaced
                job.meta["made_current"] = True
                set_current(
                    CurrentModel(
                        trained.name,
                        trained.model,
                        trained.split.test_idx,
                        "trained in this session",
                        area_key(area),
                        trained.metrics,
                        f"test points of the {trained.split.kind} split",
                    )
                )
            with st.form("save_form"):
                name = st.text_input(
                    "Save as",
                    value=f"{trained.name}-{trained.split.kind}-seed{trained.seed}",
                    key=keys.SAVE_NAME,
                )
                if st.form_submit_button("Save model"):
                    try:
                        job.meta["saved"] = (
                            "ok",
                            f"Saved to {save_trained(trained, MODELS_DIR / check_model_name(name), area, data)}",
                        )
                    except SubsidenceError as exc:
                        job.meta["saved"] = ("error", str(exc))
            kind, message = job.meta.get("saved", ("", ""))
            if kind:
                (st.success if kind == "ok" else st.error)(message)

    progress_panel()
else:
    upload = st.file_uploader("Open a model saved elsewhere (.zip)", type=["zip"], key=keys.MODEL_UPLOAD)
    if upload is not None:
        try:
            current = load_uploaded(upload.name, upload.getvalue(), area, data)
        except SubsidenceError as exc:
            st.error(f"{upload.name} cannot be used here: {exc}")
        else:
            set_current(current)
            st.success(f"Loaded {current.name} from {upload.name}; the Results page now shows it.")
    saved = list_models(MODELS_DIR)
    if saved.empty:
        st.info(f"No saved models in {MODELS_DIR}.")
        st.stop()
    st.dataframe(saved, hide_index=True, key="saved_models")
    choice = st.selectbox("Saved model", list(saved["name"]), key=keys.SAVED_CHOICE)
    left, right = st.columns(2)
    if left.button("Load", type="primary", key="load_model"):
        try:
            current = load_saved(MODELS_DIR / choice, area, data)
        except SubsidenceError as exc:  # a model that does not fit is refused with its message
            st.error(f"{choice} cannot be used here: {exc}")
        else:
            set_current(current)
            st.success(f"Loaded {current.name} from {choice}; the Results page now shows it.")
            st.dataframe(metrics_vs_paper(current.metrics), hide_index=True)
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
