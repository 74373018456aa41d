"""Saving and loading models: round trip, tampering, missing inputs, listing, deleting."""

from __future__ import annotations

import errno
import json
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from subsidence.errors import ModelExistsError, ModelFileError, StorageError
from subsidence.models import model_names, modelio
from subsidence.models.lstm import LSTMConfig, PaperLSTM
from subsidence.models.model_checks import read_meta
from subsidence.models.modelio import (
    delete_model,
    is_shipped,
    list_models,
    load_model,
    model_zip_bytes,
    save_model,
)
from tests.unit.test_features import make_series

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    return make_series(n=120, n_epochs=12)


@pytest.fixture(scope="module")
def model(data):  # type: ignore[no-untyped-def]
    return PaperLSTM(LSTMConfig(max_epochs=2)).fit(data, np.arange(80), seed=0)


def test_round_trip_predicts_identically(tmp_path: Path, data, model) -> None:  # type: ignore[no-untyped-def]
    path = save_model(model, tmp_path / "m", meta={"seed": 0, "metrics": {"rmse_change_mm": 1.5}})
    assert sorted(p.name for p in path.iterdir()) == ["model.json", "weights.safetensors"]
    loaded, meta = load_model(path, data)
    np.testing.assert_array_equal(loaded.predict(data), model.predict(data))
    assert meta["model"] == "paper-lstm" and meta["metrics"]["rmse_change_mm"] == 1.5
    assert meta["state"]["feature_names"] == list(model.feature_names)
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no temporary folder left


def test_zip_archives_load_too(tmp_path: Path, data, model) -> None:  # type: ignore[no-untyped-def]
    folder = save_model(model, tmp_path / "m")
    archive = tmp_path / "m.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in folder.iterdir():
            z.write(f, f"m/{f.name}")
    loaded, _ = load_model(archive)
    np.testing.assert_array_equal(loaded.predict(data), model.predict(data))
    direct, _ = load_model(save_model(model, tmp_path / "direct.zip"))
    np.testing.assert_array_equal(direct.predict(data), model.predict(data))


def test_tampered_weights_are_refused(tmp_path: Path, model) -> None:  # type: ignore[no-untyped-def]
    path = save_model(model, tmp_path / "m")
    raw = bytearray((path / "weights.safetensors").read_bytes())
    raw[-3] ^= 0xFF
    (path / "weights.safetensors").write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="sha256 .* does not match"):
        load_model(path)


def test_missing_inputs_are_refused_with_a_fix(tmp_path: Path, data, model) -> None:  # type: ignore[no-untyped-def]
    path = save_model(model, tmp_path / "m")
    with pytest.raises(ModelFileError, match="no thickness or permeability layer; add"):
        load_model(path, replace(data, thickness_m=None, permeability_m_per_day=None))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format_version": 99}, "format version 99"),
        ({"model": "crystal-ball"}, "unknown model 'crystal-ball'"),
    ],
)
def test_foreign_files_are_refused(tmp_path: Path, model, change, message) -> None:  # type: ignore[no-untyped-def]
    path = save_model(model, tmp_path / "m")
    meta = json.loads((path / "model.json").read_text())
    (path / "model.json").write_text(json.dumps({**meta, **change}))
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def test_not_a_model_is_refused(tmp_path: Path, model) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("keep me")
    with pytest.raises(ModelFileError, match="not a saved model"):
        save_model(model, tmp_path / "notes")
    with pytest.raises(ModelFileError, match="no model.json"):
        load_model(tmp_path / "notes")
    with pytest.raises(ModelFileError, match="not a saved model"):
        delete_model(tmp_path / "notes")
    assert (tmp_path / "notes" / "a.txt").read_text() == "keep me"


def test_saving_again_needs_overwrite_then_replaces(tmp_path: Path, data, model) -> None:  # type: ignore[no-untyped-def]
    save_model(model, tmp_path / "m", meta={"seed": 1})
    with pytest.raises(ModelExistsError, match="exists"):
        save_model(model, tmp_path / "m", meta={"seed": 2})
    assert read_meta(tmp_path / "m")["seed"] == 1
    save_model(model, tmp_path / "m", meta={"seed": 2}, overwrite=True)
    assert read_meta(tmp_path / "m")["seed"] == 2 and len(list(tmp_path.iterdir())) == 1


def test_shipped_models_are_read_only(tmp_path: Path, model) -> None:  # type: ignore[no-untyped-def]
    shipped = ROOT / "models" / "paper-lstm-demo"
    assert is_shipped(shipped)
    copy = tmp_path / "demo"
    shutil.copytree(shipped, copy)
    with pytest.raises(ModelExistsError, match="read-only"):
        save_model(model, copy, overwrite=True)
    with pytest.raises(ModelExistsError, match="read-only"):
        delete_model(copy)
    assert read_meta(copy)["model"] == "paper-lstm"


def test_model_zip_bytes_loads_back(tmp_path: Path, model) -> None:  # type: ignore[no-untyped-def]
    raw = model_zip_bytes(ROOT / "models" / "paper-lstm-demo")
    (tmp_path / "demo.zip").write_bytes(raw)
    loaded, meta = load_model(tmp_path / "demo.zip")
    assert meta["model"] == "paper-lstm" and loaded.name == "paper-lstm"
    with zipfile.ZipFile(tmp_path / "demo.zip") as archive:
        assert sorted(archive.namelist()) == ["model.json", "weights.safetensors"]


def test_list_and_delete(tmp_path: Path, model) -> None:  # type: ignore[no-untyped-def]
    save_model(model, tmp_path / "a", meta={"split": {"kind": "random"}, "metrics": {"rmse_change_mm": 3.0}})
    save_model(model, tmp_path / "b.zip")
    (tmp_path / "other").mkdir()
    table = list_models(tmp_path)
    assert sorted(table["name"]) == ["a", "b.zip"] and set(table["model"]) == {"paper-lstm"}
    assert table.set_index("name").loc["a", "rmse_change_mm"] == 3.0
    delete_model(tmp_path / "a")
    assert list(list_models(tmp_path)["name"]) == ["b.zip"]


@pytest.mark.parametrize("name", model_names())
def test_every_registered_model_round_trips(tmp_path: Path, data, name: str) -> None:  # type: ignore[no-untyped-def]
    from subsidence import pipeline

    trained = pipeline.train(name, data, pipeline.split(data, "random", 0), seed=0, max_epochs=2)
    loaded, meta = load_model(save_model(trained.model, tmp_path / name), data)
    assert meta["model"] == name
    np.testing.assert_array_equal(loaded.predict(data), trained.model.predict(data))


def test_the_pre_trained_demo_model_loads(data) -> None:  # type: ignore[no-untyped-def]
    model, meta = load_model(Path(__file__).parents[2] / "models" / "paper-lstm-demo", data)
    assert meta["model"] == "paper-lstm" and meta["split"]["kind"] == "random" and meta["seed"] == 0
    assert meta["n_points"] == 16487 and meta["epochs_trained"] == 38
    assert set(meta["metrics"]) >= {"rmse_change_mm", "mae_change_mm", "rmse_cumulative_mm"}
    assert np.isfinite(model.predict(data)[:, 1:]).all()


def test_metadata_over_the_limit_is_refused_before_reading(tmp_path: Path, model) -> None:  # type: ignore[no-untyped-def]
    folder = save_model(model, tmp_path / "m")
    with open(folder / "model.json", "r+b") as f:
        f.truncate(25_000_000)  # sparse: no disk used, but 25 MB as far as the size check sees
    with pytest.raises(ModelFileError, match="the limit for this file is 20,000,000"):
        load_model(folder)


def test_dimensions_are_checked_before_the_network_is_built(
    tmp_path: Path, model, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    folder = save_model(model, tmp_path / "m")
    meta = json.loads((folder / "model.json").read_text())
    meta["state"]["config"]["hidden_size"] = 30000
    (folder / "model.json").write_text(json.dumps(meta))

    def never(*args: object) -> None:
        raise AssertionError("from_state must not run")

    monkeypatch.setattr(PaperLSTM, "from_state", classmethod(never))
    with pytest.raises(ModelFileError, match="hidden_size must be a whole number 1..1024"):
        load_model(folder)
    meta["state"]["config"]["hidden_size"] = model.config.hidden_size * 2
    (folder / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="does not belong to these weights"):
        load_model(folder)


def test_a_full_disk_names_the_file_and_keeps_the_old_model(
    tmp_path: Path, model, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    save_model(model, tmp_path / "m", meta={"seed": 1})

    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(modelio, "_write_synced", full)
    with pytest.raises(StorageError, match=r"/m: could not write \(No space left on device\)"):
        save_model(model, tmp_path / "m", meta={"seed": 2}, overwrite=True)
    assert read_meta(tmp_path / "m")["seed"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_list_models_hides_and_removes_leftovers(tmp_path: Path, model) -> None:  # type: ignore[no-untyped-def]
    save_model(model, tmp_path / "m")
    (tmp_path / ".m.tmp-0123abcd").mkdir()
    (tmp_path / ".m.old-89abcdef").mkdir()
    (tmp_path / ".m.old-89abcdef" / "model.json").write_text("{}")
    assert list_models(tmp_path)["name"].tolist() == ["m"]
    assert [p.name for p in tmp_path.iterdir()] == ["m"]
