"""A Dask cluster for large areas: the sidebar's scheduler address and the Model page's cluster run.

The run is :func:`subsidence.scale.dask_pipeline.run_on_cluster`, the same as
``python -m subsidence train BUNDLE --dask ADDRESS`` (``docs/scaling.md``): fit on a stratified
sample, predict and score every point tile by tile on the workers, write GeoParquet tiles.
"""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from subsidence.errors import SubsidenceError
from subsidence.io.studyarea import StudyArea
from subsidence.models import make_model, model_names
from subsidence.scale.dask_pipeline import check_address, run_on_cluster
from ui import jobs, keys, tables
from ui import models as ui_models
from ui.area import session_folder
from ui.models import SHIPPED
from ui.text import escape_markdown, shorten

LARGE_AREA = 20_000  # points: above this the cluster panel opens by itself
MAX_DOWNLOAD_MB = 200.0
ALLOWED_ENV = "SUBSIDENCE_DASK_ADDRESSES"  # the operator's trusted schedulers, comma-separated ("*": any)
_SECONDS_PER_POINT = 2.1e-4  # measured: 1,000,000 points in 208.6 s on 2 cores (docs/benchmarks.md)


def address_setting() -> str | None:
    """The sidebar's Dask scheduler setting; None when empty or not an address (said once).

    Kept outside the widget too, so that it survives pages without the setting.
    """
    if keys.DASK_ADDRESS not in st.session_state:
        st.session_state[keys.DASK_ADDRESS] = st.session_state.get(keys.DASK_ADDRESS_KEPT, "")
    text = st.sidebar.text_input(
        "Dask scheduler (large areas)",
        key=keys.DASK_ADDRESS,
        placeholder="tcp://host:8786, or local",
        help="Where the Model page's cluster run goes: the address of a running Dask scheduler whose "
        "workers can read this server's files, or 'local' for a cluster of 2 workers on this machine.",
    )
    st.session_state[keys.DASK_ADDRESS_KEPT] = text
    if not text.strip():
        return None
    try:
        address = check_address(text)
    except SubsidenceError as exc:
        st.sidebar.error(escape_markdown(shorten(str(exc), 300)))
        return None
    allowed = {a.strip() for a in os.environ.get(ALLOWED_ENV, "").split(",") if a.strip()}
    if address != "local" and address not in allowed and "*" not in allowed:
        st.sidebar.error(
            f"This server runs on 'local' or on the schedulers its operator lists in {ALLOWED_ENV} "
            "(a scheduler exchanges Python objects with the server, so only trusted ones are allowed)."
        )
        return None
    return address


def _work(area_source: str, name: str, address: str, sample: int, seed: int, out: str, **job: Any) -> Any:
    progress, stop = job["progress"], job["stop"]
    model = make_model(name)
    fitted, summary = run_on_cluster(
        area_source,
        model,
        address,
        out,
        sample=sample,
        seed=seed,
        progress=lambda f, m: progress((f, m)),
        stop=stop,
    )
    return fitted, summary


def _zip(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:  # Parquet is compressed already
        for part in sorted(folder.glob("part-*.parquet")):
            z.write(part, f"{folder.name}/{part.name}")
    return buf.getvalue()


def _finished(job: jobs.Job) -> None:
    fitted, summary = job.result
    st.success(
        f"Done in {summary['seconds']:.0f} s on {summary['workers']} worker(s): trained on "
        f"{summary['n_sample']:,} points, {summary['n_points']:,} predicted in {summary['n_partitions']} tiles."
    )
    st.caption(
        escape_markdown(summary["model_period"]["sentence"])
        + (f" Note: {escape_markdown(summary['sample_note'])}." if "sample_note" in summary else "")
    )
    rows = {k: v for k, v in summary.items() if k.startswith(("rmse", "mae", "n_test"))}
    tables.show(
        pd.DataFrame({"measure": [k.replace("_", " ") for k in rows], "value": list(rows.values())}),
        decimals=3,
    )
    folder = Path(summary["path"])
    size_mb = sum(p.stat().st_size for p in folder.glob("part-*.parquet")) / 1e6
    if size_mb <= MAX_DOWNLOAD_MB:
        if "zip" not in job.meta:  # once: the panel refreshes every second
            job.meta["zip"] = _zip(folder)
        st.download_button(
            f"Download the predictions ({size_mb:.1f} MB, GeoParquet tiles in a .zip)",
            job.meta["zip"],
            f"{folder.name}.zip",
            "application/zip",
            key="cluster_download",
        )
    else:
        st.info(
            f"The predictions ({size_mb:,.0f} MB) are too large to send through the browser; "
            f"they are on the server in {escape_markdown(str(folder))}."
        )
    with st.form("cluster_save_form"):
        name = st.text_input("Save the model as", key=keys.CLUSTER_SAVE_NAME)
        if st.form_submit_button("Save", key="cluster_save"):
            _save(fitted, summary, name, int(job.meta["seed"]))


def _save(fitted: Any, summary: dict[str, Any], name: str, seed: int) -> None:
    from subsidence.models import modelio
    from subsidence.scale.chunked import sample_meta

    try:
        name = modelio.check_model_name(name)
        if name == SHIPPED or (ui_models.MODELS_DIR / name).exists():
            raise SubsidenceError(f"a model named {name} exists already; choose another name")
        modelio.save_model(fitted, ui_models.MODELS_DIR / name, meta=sample_meta(fitted, summary, seed))
    except SubsidenceError as exc:
        st.error(escape_markdown(shorten(str(exc), 300)))
    else:
        st.success(f"Saved as {escape_markdown(name)}: load it under 'Load a saved model'.")


def cluster_panel(area: StudyArea, address: str | None) -> None:
    """Train on a sample and predict every point on the Dask cluster of the sidebar's address."""
    n = len(area.points)
    with st.expander("Train on a Dask cluster (large areas)", expanded=n > LARGE_AREA):
        st.caption(
            "Fits the model on a sample of points (stratified by severity and by map tile), then predicts "
            "and scores every other point tile by tile on the cluster's workers. It reads the bundle as "
            "stored, over its model period (the acquisitions the wells cover), with no reference point."
        )
        if address is None:
            st.info("Set a Dask scheduler in the sidebar (or type 'local') to run this.")
            return
        left, middle, right = st.columns(3)
        name = left.selectbox("Model", model_names(), key=keys.CLUSTER_MODEL)
        sample = int(
            middle.number_input(
                "Training sample (points)",
                100,
                max(n, 100),
                min(n, 20_000),
                step=1000,
                key=keys.CLUSTER_SAMPLE,
            )
        )
        seed = int(right.number_input("Seed", 0, 2**31 - 1, 0, key="cluster_seed"))
        st.caption(
            f"About {max(1.0, n * _SECONDS_PER_POINT / 60):.0f} min for {n:,} points on a 2-core machine "
            "(measured: 1,000,000 points in 3.5 min); a cluster with more cores is faster."
        )
        if st.button("Run on the cluster", type="primary", key="cluster_run"):
            out = session_folder() / "cluster" / time.strftime("predictions-%Y%m%d-%H%M%S")
            job = jobs.start(
                "cluster",
                _work,
                alive=jobs.session_alive_check(),
                area_source=area.source,
                name=name,
                address=address,
                sample=sample,
                seed=seed,
                out=str(out),
            )
            job.meta.update(seed=seed)
            st.session_state[keys.CLUSTER_JOB] = job

        @st.fragment(run_every=1.0)
        def progress_panel() -> None:
            job = st.session_state.get(keys.CLUSTER_JOB)
            if job is None:
                return
            fraction, message = job.reports[-1] if job.reports else (0.0, f"connecting to {address}")
            st.progress(1.0 if job.result else fraction, text=f"{message} · {job.seconds:.0f} s")
            if job.running:
                st.button("Stop", on_click=job.stop, key="cluster_stop")
            elif job.error:
                st.error(escape_markdown(shorten(job.error, 400)))
            elif job.result is not None:
                _finished(job)

        progress_panel()
