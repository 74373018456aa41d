"""The training settings form (paper defaults one click away) and starting a training job."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Sequence
from typing import Any

import streamlit as st

from subsidence.errors import SubsidenceError
from subsidence.io.studyarea import StudyArea
from subsidence.series import SeriesData
from ui import jobs, keys, tables
from ui.cache import area_key
from ui.models import MODELS_DIR, SHIPPED, CurrentModel, set_current
from ui.text import escape_markdown, shorten

PAPER_DEFAULTS: dict[str, Any] = {
    keys.MODEL_NAME: "paper-lstm",
    keys.SPLIT_KIND: "random",
    keys.SEED: 0,
    keys.HIDDEN: 8,
    keys.LAYERS: 1,
    keys.OPTIMIZER: "sgd",
    keys.LEARNING_RATE: 0.001,
    keys.BATCH: 38,
    keys.MAX_EPOCHS: 38,
    keys.PATIENCE: 0,
    keys.VALIDATION: 0.0,
    keys.CHANGE_UNIT: "per-30-days",
}


def progress_text(
    label: str, epoch: int | None, max_epochs: int | None, seconds: float, finished: bool
) -> str:
    """The progress bar's line: epoch count and, while training, an estimated time left."""
    if finished:
        return f"{label}: finished · {seconds:.0f} s"
    if not epoch or not max_epochs:
        return f"{label}: starting · {seconds:.0f} s"
    left = seconds / epoch * max(max_epochs - epoch, 0)
    words = f"about {left / 60:.0f} min" if left >= 90 else f"about {left:.0f} s"
    return (
        f"{label}: epoch {epoch} of {max_epochs} · {seconds:.0f} s so far · {words} left at most "
        "(early stopping may end it sooner)"
    )


def reset_to_paper() -> None:
    """Button callback: put every setting back to the paper's value."""
    for key, value in PAPER_DEFAULTS.items():
        st.session_state[key] = value


def settings_form(names: Sequence[str], split_kinds: Sequence[str]) -> bool:
    """Draw the settings form; True when the user pressed Train."""
    for key, value in PAPER_DEFAULTS.items():
        st.session_state.setdefault(key, value)
    with st.form(keys.TRAIN_FORM):
        a, b, c = st.columns(3)
        a.selectbox(
            "Model",
            list(names),
            key=keys.MODEL_NAME,
            help="paper-lstm is the paper's. The LSTM settings below apply to it; other models keep their own "
            "settings (the epoch cap also limits spatial-lstm and physics-lstm). See docs/models.md.",
        )
        b.radio(
            "Split of the points",
            list(split_kinds),
            key=keys.SPLIT_KIND,
            horizontal=True,
            help="random: the paper's 70/30; spatial: whole 5 km blocks held out (honest)",
        )
        c.number_input("Seed", min_value=0, step=1, key=keys.SEED)
        a.number_input("Hidden units", min_value=1, max_value=256, step=1, key=keys.HIDDEN)
        b.number_input("LSTM layers", min_value=1, max_value=4, step=1, key=keys.LAYERS)
        c.selectbox(
            "Optimiser", ["sgd", "adam"], key=keys.OPTIMIZER, help="sgd: the paper's plain gradient descent"
        )
        a.number_input("Learning rate", min_value=1e-6, max_value=1.0, format="%.4f", key=keys.LEARNING_RATE)
        b.number_input("Batch size (point sequences)", min_value=1, max_value=4096, step=1, key=keys.BATCH)
        c.number_input("Epochs (at most)", min_value=1, max_value=500, step=1, key=keys.MAX_EPOCHS)
        a.number_input(
            "Early-stopping patience (0 = off)", min_value=0, max_value=100, step=1, key=keys.PATIENCE
        )
        b.number_input(
            "Validation share of training points",
            min_value=0.0,
            max_value=0.5,
            step=0.05,
            key=keys.VALIDATION,
        )
        c.selectbox(
            "Changes as",
            ["per-30-days", "per-interval"],
            key=keys.CHANGE_UNIT,
            help="per-30-days (default): rates, since acquisitions are 24-144 days apart",
        )
        return st.form_submit_button("Train", type="primary", key="train_submit")


def _config(name: str) -> Any:
    """The LSTM settings for LSTM models; other models keep their own defaults."""
    if name != "paper-lstm":
        return None
    from subsidence.models.lstm import LSTMConfig

    s = st.session_state
    return LSTMConfig(
        hidden_size=int(s[keys.HIDDEN]),
        num_layers=int(s[keys.LAYERS]),
        optimizer=s[keys.OPTIMIZER],
        learning_rate=float(s[keys.LEARNING_RATE]),
        batch_size=int(s[keys.BATCH]),
        max_epochs=int(s[keys.MAX_EPOCHS]),
        patience=int(s[keys.PATIENCE]),
        validation_fraction=float(s[keys.VALIDATION]),
        change_unit=s[keys.CHANGE_UNIT],
    )


def start_training(area: StudyArea, data: SeriesData) -> jobs.Job:
    """Start training with the form's settings in a background job."""
    from subsidence.pipeline import split, train

    s = st.session_state
    name, seed = s[keys.MODEL_NAME], int(s[keys.SEED])
    chosen = split(data, s[keys.SPLIT_KIND], seed)
    max_epochs = None if name == "paper-lstm" else int(s[keys.MAX_EPOCHS])
    return jobs.start(
        name,
        train,
        alive=jobs.session_alive_check(),
        name=name,
        data=data,
        split=chosen,
        seed=seed,
        config=_config(name),
        max_epochs=max_epochs,
    )


def save_model_as(trained: Any, name: str, area: StudyArea, data: SeriesData, overwrite: bool) -> str:
    """Save a trained model under ``name`` in the models folder; return the name saved.

    Raises
    ------
    SubsidenceError
        The name is not allowed, names the shipped model, or (without ``overwrite``) exists.
    """
    from subsidence.errors import SubsidenceError
    from subsidence.models import modelio
    from subsidence.pipeline import save_trained

    name = modelio.check_model_name(name)
    target = MODELS_DIR / name
    if name == SHIPPED or getattr(modelio, "is_shipped", lambda p: False)(target):
        raise SubsidenceError(f"{name} is the shipped model and cannot be replaced; choose another name")
    if target.exists() and not overwrite:
        raise ModelExists(name)
    if "overwrite" in inspect.signature(save_trained).parameters:
        save_trained(trained, target, area, data, overwrite=overwrite)  # type: ignore[call-arg]
    else:  # before the hardening branch: save_trained replaces an existing folder itself
        save_trained(trained, target, area, data)
    return name


class ModelExists(Exception):
    """A model of this name exists: the page asks before replacing it."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def model_zip(folder: Any) -> bytes:
    """A saved model as a .zip the Model page's upload accepts."""
    from subsidence.models import modelio

    if hasattr(modelio, "model_zip_bytes"):
        return modelio.model_zip_bytes(folder)
    import io
    import zipfile
    from pathlib import Path

    folder = Path(folder)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            if f.is_file():
                z.write(f, f"{folder.name}/{f.name}")
    return buf.getvalue()


def delete_saved(name: str) -> None:
    """Button callback: delete a saved model and clear the confirmation."""
    from subsidence.models.modelio import delete_model

    delete_model(MODELS_DIR / name)
    st.session_state[keys.CONFIRM_DELETE] = False


def scores_table(metrics: dict[str, Any], area: StudyArea) -> Any:
    """Scores, beside the paper's only on the demo (the paper's basin is no yardstick elsewhere)."""
    from subsidence.validation.quality import metrics_vs_paper
    from ui.area import is_demo

    table = metrics_vs_paper(metrics)
    return table if is_demo(area) else table.drop(columns="paper")


def save_panel(job: jobs.Job, trained: Any, area: StudyArea, data: SeriesData) -> None:
    """Save under a name (asking before replacing one) and download the saved model."""
    with st.form("save_form"):
        st.text_input(
            "Save as",
            value=f"{trained.name}-{trained.split.kind}-seed{trained.seed}",
            key=keys.SAVE_NAME,
        )
        wanted = st.form_submit_button("Save model", key="save_submit")
    name = st.session_state.get(keys.SAVE_NAME, "")
    replace = job.meta.get("confirm") == name and st.session_state.get("replace_model", False)
    if wanted or replace:
        try:
            job.meta["saved"] = ("ok", save_model_as(trained, name, area, data, overwrite=bool(replace)))
            job.meta.pop("confirm", None)
        except ModelExists as exc:
            job.meta["confirm"] = exc.name
            job.meta["saved"] = ("", "")
        except SubsidenceError as exc:
            job.meta["saved"] = ("error", escape_markdown(shorten(str(exc), 300)))
    if job.meta.get("confirm") == name:
        st.warning(
            f"A saved model is already called {escape_markdown(shorten(name, 60))}: replace it, or type another name."
        )
        st.button(f"Replace {escape_markdown(shorten(name, 60))}", key="replace_model", type="primary")
    kind, message = job.meta.get("saved", ("", ""))
    if kind == "ok":
        st.success(f"Saved as {escape_markdown(message)}")
        if (MODELS_DIR / message).is_dir():
            if job.meta.get("zip", ("",))[0] != message:  # zipped once, not on every refresh
                job.meta["zip"] = (message, model_zip(MODELS_DIR / message))
            st.download_button(
                "Download the model (.zip)",
                job.meta["zip"][1],
                f"{message}.zip",
                "application/zip",
                key="download_trained",
                help="Open it on another server with Model → Load a saved model → Open a model saved elsewhere.",
            )
    elif kind == "error":
        st.error(message)


def current_from_training(job: jobs.Job, area: StudyArea) -> CurrentModel:
    """The current-model record for a finished (or stopped) training job."""
    trained = job.result
    return CurrentModel(
        trained.name,
        trained.model,
        trained.split.test_idx,
        "stopped early in this session" if job.stopped else "trained in this session",
        area_key(area),
        trained.metrics,
        f"test points of the {trained.split.kind} split",
        token=f"job:{job.meta.setdefault('id', uuid.uuid4().hex)}",  # the job's id: one per training
    )


def result_panel(job: jobs.Job, area: StudyArea, data: SeriesData) -> None:
    """A finished training: its scores, whether it becomes the current model, and saving."""
    trained = job.result
    if job.meta.get("area") != area_key(area):
        st.warning("This model was trained on another study area: choose that area again to use or save it.")
        return
    note = " (stopped early by you)" if job.stopped else ""
    st.success(
        f"Trained {trained.name} in {trained.seconds:.1f} s, {trained.epochs_trained or '-'} epochs{note}."
    )
    tables.show(scores_table(trained.metrics, area), decimals=3)
    if job.stopped:  # a half-trained model never replaces the current one by itself
        if not job.meta.get("made_current") and st.button("Use the stopped model", key="use_stopped"):
            job.meta["made_current"] = True
            set_current(current_from_training(job, area))
        if job.meta.get("made_current"):
            st.caption("The stopped model is now the current one (the Results page shows it).")
        else:
            st.caption("The model you had before stays current; the Results page shows it.")
    elif not job.meta.get("made_current"):  # once: a model loaded later must not be replaced
        job.meta["made_current"] = True
        set_current(current_from_training(job, area))
    save_panel(job, trained, area, data)
