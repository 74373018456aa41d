"""Saving and loading trained models safely: safetensors weights + JSON metadata, no pickle.

A saved model is a folder (or a ``.zip`` of one) holding

* ``weights.safetensors``: the arrays of ``model.to_state()``;
* ``model.json``: ``format_version``, ``model`` (registry name), ``library_version``,
  ``created`` (UTC, ISO 8601), ``weights_sha256``, ``state`` (the JSON half of
  ``to_state()``: config, feature names, scaler ranges, ...) and the caller's ``meta`` (split,
  seed, train/test digests, data fingerprint, metrics, ...), merged at the top level.

Loading checks the format version, the model name against the registry, the sha256 of the
weights (a changed file is refused) and, given a study area, that the model's inputs exist
there. It works for every registered model because it only uses ``to_state``/``from_state``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from safetensors import SafetensorError
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays

import subsidence
from subsidence.errors import ModelExistsError, ModelFileError, SubsidenceError
from subsidence.io import atomic
from subsidence.io.atomic import (
    atomic_write,
    folder_lock,
    is_leftover,
    recover,
    replace_folder,
    storage_error,
    temp_sibling,
)
from subsidence.io.studyarea import StudyArea
from subsidence.models import model_class
from subsidence.models.model_checks import (
    META,
    WEIGHTS,
    _is_number,
    _is_saved_model,
    _parse,
    _read_files,
    _weight_shapes,
    check_dimensions,
    check_inputs,
    read_meta,
)
from subsidence.series import SeriesData
from subsidence.text import shorten

FORMAT_VERSION = 1
READONLY = "READONLY"
_RESERVED = ("format_version", "model", "library_version", "created", "weights_sha256", "state")


def ids_digest(ids: np.ndarray) -> str:
    """Short sha256 of a list of ids (order matters), to record a split without its ids."""
    return hashlib.sha256("\n".join(map(str, ids)).encode()).hexdigest()[:16]


def is_shipped(path: str | Path) -> bool:
    """True for a model shipped with the project (read-only: never replaced or deleted).

    A shipped model is a folder holding a ``READONLY`` file (committed with it, e.g.
    ``models/paper-lstm-demo/READONLY``); copies of the folder stay read-only.
    """
    return (Path(path) / READONLY).is_file()


def save_model(
    model: Any, folder: str | Path, *, meta: dict[str, Any] | None = None, overwrite: bool = False
) -> Path:
    """Write a fitted model to ``folder`` (or a ``.zip`` when the path ends so), atomically.

    Files are written to a hidden temporary sibling and renamed into place, so a failure or a
    crash at any point leaves the old model or the new one, never neither (see
    :mod:`subsidence.io.atomic`). Any other existing file or non-empty folder is refused.

    Parameters
    ----------
    model : Model
        A fitted model of the registry (has ``name`` and ``to_state()``).
    folder : str or Path
    meta : dict, optional
        JSON-safe facts to record (split, seed, fingerprint, metrics, ...); may not use the
        reserved keys ``format_version, model, library_version, created, weights_sha256, state``.
    overwrite : bool
        Replace a saved model already at ``folder``; without it that is refused.

    Returns
    -------
    Path
        The saved folder or archive.

    Raises
    ------
    ModelExistsError
        When a saved model is at ``folder`` and ``overwrite`` is False, or it is a shipped
        (read-only) model.
    StorageError
        When the disk is full or the folder not writable (the message names the file).
    """
    target = Path(folder)
    meta = dict(meta or {})
    clash = sorted(set(meta) & set(_RESERVED))
    if clash:
        raise SubsidenceError(f"meta may not set the reserved keys {', '.join(clash)}")
    model_class(model.name)  # refuse names the loader would not know
    arrays, state = model.to_state()
    weights = save_arrays({k: np.ascontiguousarray(v) for k, v in arrays.items()})
    document = {
        "format_version": FORMAT_VERSION,
        "model": model.name,
        "library_version": subsidence.__version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "weights_sha256": hashlib.sha256(weights).hexdigest(),
        "state": state,
        **meta,
    }
    try:
        text = json.dumps(document, indent=1, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SubsidenceError(f"model metadata is not JSON-safe: {shorten(exc)}") from exc
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(target.parent, exc) from exc
    with folder_lock(target.parent):
        recover(target.parent, only=target.name, locked=True)
        check_target(target, overwrite)
        if target.suffix.lower() == ".zip":
            return atomic_write(target, _zip(text, weights))
        tmp = temp_sibling(target)
        try:
            tmp.mkdir()
            atomic._step("tmp-made")
            _write_synced(tmp / WEIGHTS, weights)
            atomic._step("weights-written")
            _write_synced(tmp / META, text.encode())
            atomic._step("tmp-written")
            replace_folder(tmp, target)
        except OSError as exc:
            raise storage_error(target, exc) from exc
        finally:
            _remove(tmp)
    return target


def check_target(target: str | Path, overwrite: bool = False) -> None:
    """Refuse a save to ``target`` before any work (ModelExistsError / ModelFileError, see save_model)."""
    target = Path(target)
    if is_shipped(target):
        raise ModelExistsError(f"{target.name}: is a shipped model and read-only; save under another name")
    if _is_saved_model(target):
        if not overwrite:
            raise ModelExistsError(
                f"{target.name}: a saved model of that name exists; choose another name or replace it "
                "(--overwrite on the command line)"
            )
    elif target.exists() and not (target.is_dir() and not any(target.iterdir())):
        raise ModelFileError(f"{target}: exists and is not a saved model; choose another output path")
    elif target.is_dir():
        target.rmdir()  # an empty folder the user made for the model


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _zip(text: str, weights: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(META, text)
        archive.writestr(WEIGHTS, weights)
    return buffer.getvalue()


def model_zip_bytes(path: str | Path) -> bytes:
    """A ``.zip`` of the saved model at ``path`` (``model.json`` + weights), as bytes.

    The archive is what :func:`load_model` (and the Model page's upload) accepts. A ``.zip``
    model is checked and returned as it is; a folder is read and zipped (its ``READONLY``
    marker is left out, so a downloaded copy of the shipped model can be saved again).

    Raises
    ------
    ModelFileError
        When ``path`` is not a readable saved model.
    """
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such saved model")
    text, weights = _read_files(path)
    return _zip(text, weights)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def load_model(path: str | Path, area: StudyArea | SeriesData | None = None) -> tuple[Any, dict[str, Any]]:
    """Load a saved model (folder or ``.zip``) without unpickling anything.

    Parameters
    ----------
    path : str or Path
    area : StudyArea or SeriesData, optional
        When given, the model's inputs must exist there (e.g. a model trained with thickness
        needs a thickness layer).

    Returns
    -------
    model : Model
        The fitted model, ready to ``predict``.
    meta : dict
        The whole ``model.json``.

    Raises
    ------
    ModelFileError
        When the files are missing, of another format version, of an unknown model, changed
        since saving (sha256 mismatch), unreadable, or need inputs the area lacks; the message
        says what is wrong and how to fix it.
    """
    path = Path(path)
    if not path.exists():
        recover(path.parent, only=path.name)  # an interrupted replace leaves the old model hidden
    if not path.exists():
        raise ModelFileError(f"{path}: no such saved model; give the folder (or .zip) that save_model wrote")
    text, weights = _read_files(path)
    meta = _parse(text, path)
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model format version {version!r}, this library (subsidence {subsidence.__version__}) "
            f"reads version {FORMAT_VERSION}; retrain the model or update the library"
        )
    try:
        cls = model_class(str(meta.get("model")))
    except SubsidenceError as exc:
        raise ModelFileError(f"{path}: {exc}") from exc
    digest = hashlib.sha256(weights).hexdigest()
    if digest != meta.get("weights_sha256"):
        raise ModelFileError(
            f"{shorten(path, 120)}/{WEIGHTS}: sha256 {digest[:12]}... does not match the "
            f"{shorten(meta.get('weights_sha256', ''), 12)}... "
            f"recorded in {META}: the weights were changed or corrupted; retrain or restore the original files"
        )
    label = shorten(path, 120)
    state = meta.get("state")
    if not isinstance(state, dict):
        raise ModelFileError(f"{label}/{META}: no 'state' object; the file was not written by save_model")
    check_dimensions(state, _weight_shapes(weights, label), label)
    try:
        arrays = load_arrays(weights)
    except (SafetensorError, ValueError) as exc:
        raise ModelFileError(f"{label}/{WEIGHTS}: unreadable safetensors file ({shorten(exc, 120)})") from exc
    if area is not None:
        check_inputs(state, area, path)
    try:
        model = cls.from_state(arrays, state)
    except SubsidenceError as exc:
        raise ModelFileError(f"{label}: {exc}") from exc
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RuntimeError, OverflowError) as exc:
        raise ModelFileError(
            f"{label}: the saved {meta.get('model')} state is not usable ({type(exc).__name__}: {shorten(exc, 120)}); "
            "retrain the model"
        ) from exc
    return model, meta


def list_models(folder: str | Path) -> pd.DataFrame:
    """Saved models directly under ``folder`` with their metadata (weights not checked).

    Returns
    -------
    DataFrame
        One row per saved model, newest first: ``path``, ``name`` (folder or archive name),
        ``model``, ``created``, ``study_area``, ``split``, ``seed``, ``epochs_trained``,
        ``rmse_change_mm``, ``mae_change_mm``, ``rmse_cumulative_mm``, ``fingerprint``,
        ``library_version``, ``error`` (empty, or why the metadata could not be read).
    """
    columns = [
        "path", "name", "model", "created", "study_area", "split", "seed", "epochs_trained",
        "rmse_change_mm", "mae_change_mm", "rmse_cumulative_mm", "fingerprint", "library_version", "error",
    ]  # fmt: skip
    folder = Path(folder)
    recover(folder)
    rows = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.name.startswith(".") or is_leftover(path.name) or not _is_saved_model(path):
            continue
        row: dict[str, Any] = {"path": str(path), "name": path.name, "error": ""}
        try:
            meta = read_meta(path)
        except ModelFileError as exc:
            row["error"] = str(exc)
            rows.append(row)
            continue
        found_metrics, found_state = meta.get("metrics"), meta.get("state")
        metrics: dict[str, Any] = found_metrics if isinstance(found_metrics, dict) else {}
        split = meta.get("split") or {}
        state: dict[str, Any] = found_state if isinstance(found_state, dict) else {}
        row.update(
            model=_text(meta.get("model")),
            created=_text(meta.get("created")),
            study_area=_text(meta.get("study_area")),
            split=_text(split.get("kind") if isinstance(split, dict) else split),
            seed=_num(meta.get("seed")),
            epochs_trained=_num(meta.get("epochs_trained", state.get("epochs_trained"))),
            rmse_change_mm=_num(metrics.get("rmse_change_mm")),
            mae_change_mm=_num(metrics.get("mae_change_mm")),
            rmse_cumulative_mm=_num(metrics.get("rmse_cumulative_mm")),
            fingerprint=_text(meta.get("fingerprint")),
            library_version=_text(meta.get("library_version")),
        )
        rows.append(row)
    table = pd.DataFrame.from_records(rows, columns=columns)
    return table.sort_values("created", ascending=False, na_position="last", ignore_index=True)


def _num(value: Any) -> float | int | None:
    """A metadata number for the list, or None when it is not a finite number."""
    return value if _is_number(value) else None


def _text(value: Any) -> str | None:
    """A metadata text for the list: shortened, or None when it is not a text."""
    return shorten(value, 200) if isinstance(value, str) else None


def delete_model(path: str | Path) -> None:
    """Delete a saved model (folder or ``.zip``); anything else is refused (ModelFileError)."""
    path = Path(path)
    if is_shipped(path):
        raise ModelExistsError(f"{path.name}: is a shipped model and read-only; nothing deleted")
    if not _is_saved_model(path):
        raise ModelFileError(f"{path}: not a saved model (no {META}); nothing deleted")
    with folder_lock(path.parent):
        _remove(path)


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def check_model_name(name: str) -> str:
    """A model folder name a user typed, checked: letters, digits, ``.``, ``_``, ``-`` only.

    Raises
    ------
    ModelFileError
        For anything else (a path, an empty name), saying what is allowed.
    """
    name = name.strip()
    if not _NAME.match(name) or ".." in name:
        raise ModelFileError(
            f"model name {name!r}: use 1-80 letters, digits, '.', '_' or '-' (no spaces or slashes), starting with a letter or digit"
        )
    return name
