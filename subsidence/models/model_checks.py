"""Reading and checking saved models: size limits, ``model.json`` parsing and validation,
the safetensors header against the configured sizes, and a model's inputs against a study area.

Nothing here builds a model or trusts the files: :mod:`subsidence.models.modelio` loads through these
checks (and saves, lists and deletes).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from subsidence.errors import ModelFileError
from subsidence.features import missing_layers
from subsidence.io.archive import check_file_size, read_members
from subsidence.io.atomic import recover
from subsidence.io.studyarea import PERMEABILITY, THICKNESS, StudyArea
from subsidence.series import SeriesData
from subsidence.text import shorten

WEIGHTS = "weights.safetensors"
META = "model.json"
# Limits checked before anything is parsed or allocated (docs/limits.md).
MAX_WEIGHTS_BYTES = 200_000_000
MAX_META_BYTES = 20_000_000
MAX_JSON_DEPTH = 32
MAX_HIDDEN_SIZE = 1024
MAX_LAYERS = 8
_PHYSICS_KEYS = ("tau_ref_days", "b_c_m", "gamma", "spinup_years", "sskv_per_m", "sske_per_m")


def _is_saved_model(path: Path) -> bool:
    if path.is_dir():
        return (path / META).is_file()
    if path.is_file() and path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return any(Path(n).name == META for n in archive.namelist())
    return False


def _read_files(path: Path) -> tuple[str, bytes]:
    """model.json text and weights bytes from a folder or a zip, sizes checked before reading."""
    label = shorten(path, 120)
    if path.is_dir():
        meta, weights = path / META, path / WEIGHTS
        if not meta.is_file():
            raise ModelFileError(f"{label}: no {META}; expected a folder written by save_model")
        if not weights.is_file():
            raise ModelFileError(f"{label}: {META} found but no {WEIGHTS}; the model is incomplete")
        check_file_size(meta, MAX_META_BYTES, ModelFileError, f"{label}/{META}")
        check_file_size(weights, MAX_WEIGHTS_BYTES, ModelFileError, f"{label}/{WEIGHTS}")
        return _decode(meta.read_bytes(), label), weights.read_bytes()
    if path.suffix.lower() != ".zip":
        raise ModelFileError(
            f"{label}: expected a saved-model folder or a .zip of one, found a {shorten(path.suffix, 20)} file"
        )
    members = read_members(
        path,
        ModelFileError,
        max_member_bytes={META: MAX_META_BYTES, WEIGHTS: MAX_WEIGHTS_BYTES, "*": 0},
        max_total_bytes=MAX_META_BYTES + MAX_WEIGHTS_BYTES,
        wanted={META, WEIGHTS},
    )
    metas = [n for n in members if Path(n).name == META]
    if not metas:
        raise ModelFileError(
            f"{shorten(path.name, 80)}: no {META} in the archive; zip the folder save_model wrote"
        )
    if len(metas) > 1:
        raise ModelFileError(
            f"{shorten(path.name, 80)}: {len(metas)} {META} files in one archive; upload one model per archive"
        )
    weights_name = str(Path(metas[0]).with_name(WEIGHTS)).replace("\\", "/")
    if weights_name not in members:
        raise ModelFileError(
            f"{shorten(path.name, 80)}: {shorten(metas[0], 80)} found but no {WEIGHTS} beside it"
        )
    return _decode(members[metas[0]], label), members[weights_name]


def _decode(raw: bytes, label: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(
            f"{label}/{META}: not UTF-8 text (byte {exc.start}); the file is damaged"
        ) from exc


def read_meta(path: str | Path) -> dict[str, Any]:
    """The ``model.json`` of a saved model, parsed, without loading or checking the weights."""
    path = Path(path)
    if not path.exists():
        recover(path.parent, only=path.name)  # an interrupted replace leaves the old model hidden
    if not path.exists():
        raise ModelFileError(f"{shorten(path, 200)}: no such saved model")
    text, _ = _read_files(path)
    return _parse(text, path)


def _parse(text: str, path: Path) -> dict[str, Any]:
    label = f"{shorten(path, 120)}/{META}"
    try:
        meta = json.loads(text, parse_constant=_no_constant)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise ModelFileError(f"{label}: not valid JSON ({shorten(exc, 120)})") from exc
    if not isinstance(meta, dict):
        raise ModelFileError(f"{label}: expected a JSON object, found {type(meta).__name__}")
    _check_depth(meta, label)
    for key, kind in (("format_version", int), ("model", str), ("weights_sha256", str), ("state", dict)):
        if key in meta and not isinstance(meta[key], kind):
            raise ModelFileError(
                f"{label}: {key!r} must be a {kind.__name__}, found {type(meta[key]).__name__}; "
                "the file was not written by save_model"
            )
    return meta


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _check_depth(value: Any, label: str) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ModelFileError(f"{label}: nested deeper than {MAX_JSON_DEPTH} levels; not a saved model")
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def _weight_shapes(weights: bytes, label: str) -> dict[str, tuple[int, ...]]:
    """Array shapes from the safetensors header, read without allocating the arrays."""
    if len(weights) < 8:
        raise ModelFileError(f"{label}/{WEIGHTS}: too short to be a safetensors file")
    size = int.from_bytes(weights[:8], "little")
    if size > min(len(weights) - 8, 10_000_000):
        raise ModelFileError(f"{label}/{WEIGHTS}: header size {size:,} does not fit the file; it is damaged")
    try:
        header = json.loads(weights[8 : 8 + size])
        return {k: tuple(int(d) for d in v["shape"]) for k, v in header.items() if k != "__metadata__"}
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise ModelFileError(
            f"{label}/{WEIGHTS}: unreadable safetensors header ({shorten(exc, 100)})"
        ) from exc


def check_dimensions(state: dict[str, Any], shapes: dict[str, tuple[int, ...]], label: str) -> None:
    """Refuse a model whose configured sizes disagree with its weights, before building it.

    An LSTM's ``hidden_size`` and ``num_layers`` must be small positive integers and match the
    shapes of ``lstm.weight_hh_l<k>`` ``(4 * hidden_size, hidden_size)``; the consolidation
    physics' ``params`` must be an object with numeric entries.
    """
    config = state.get("config", {})
    if not isinstance(config, dict):
        raise ModelFileError(f"{label}: 'config' must be an object, found {type(config).__name__}")
    if "hidden_size" in config or "num_layers" in config:
        hidden, layers = config.get("hidden_size", 8), config.get("num_layers", 1)
        for key, value, most in (
            ("hidden_size", hidden, MAX_HIDDEN_SIZE),
            ("num_layers", layers, MAX_LAYERS),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
                raise ModelFileError(
                    f"{label}: config {key} must be a whole number 1..{most}, found {shorten(value, 40)}"
                )
        for k in range(layers):
            shape = shapes.get(f"lstm.weight_hh_l{k}")
            if shape != (4 * hidden, hidden):
                raise ModelFileError(
                    f"{label}: config says hidden_size {hidden} and {layers} layer(s), but the weights hold "
                    f"lstm.weight_hh_l{k} of shape {shape}; the metadata does not belong to these weights"
                )
        features = state.get("feature_names")
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            raise ModelFileError(f"{label}: 'feature_names' must be a list of names")
        if shapes.get("lstm.weight_ih_l0") != (4 * hidden, len(features)):
            raise ModelFileError(
                f"{label}: {len(features)} feature(s) but lstm.weight_ih_l0 has shape {shapes.get('lstm.weight_ih_l0')}; "
                "the metadata does not belong to these weights"
            )
    for where in (state, state.get("physics")):
        if isinstance(where, dict) and "params" in where:
            params = where["params"]
            if not isinstance(params, dict):
                raise ModelFileError(
                    f"{label}: physics 'params' must be an object, found {type(params).__name__}"
                )
            missing = [k for k in _PHYSICS_KEYS if k not in params]
            bad = [k for k in _PHYSICS_KEYS if k in params and not _is_number(params[k])]
            if missing or bad:
                raise ModelFileError(
                    f"{label}: physics 'params' lacks or has non-numeric {', '.join(missing + bad)}; retrain the model"
                )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)


def check_inputs(state: dict[str, Any], area: StudyArea | SeriesData, path: str | Path = "model") -> None:
    """Refuse a model whose input layers are missing from ``area`` (ModelFileError)."""
    names = state.get("feature_names") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ModelFileError(f"{shorten(path, 120)}: 'feature_names' must be a list of names")
    if isinstance(area, StudyArea):
        present = list(area.layers)
    else:
        present = [
            n
            for n, v in ((THICKNESS, area.thickness_m), (PERMEABILITY, area.permeability_m_per_day))
            if v is not None
        ]
    missing = missing_layers(names, present)
    if missing:
        where = area.name if isinstance(area, StudyArea) else "the study area"
        raise ModelFileError(
            f"{path}: the model uses {', '.join(names)}, but {where} has no {' or '.join(missing)} layer; "
            f"add the {' and '.join(missing)} layer to the bundle, or train a model on this study area without it"
        )
