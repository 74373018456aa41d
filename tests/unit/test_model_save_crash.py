"""Replacing a saved model survives a kill at every step: the old or the new model, never neither."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from subsidence.models.baselines import Persistence
from subsidence.models.model_checks import read_meta
from subsidence.models.modelio import list_models, load_model, save_model

ROOT = Path(__file__).resolve().parents[2]
FOLDER_STEPS = ["tmp-made", "weights-written", "tmp-written", "old-moved", "new-moved", "old-removed"]
ZIP_STEPS = ["tmp-written", "replaced"]

# Runs in a child process: replace the model, SIGKILL ourselves right after step STEP.
CHILD = """
import os, signal, sys
from subsidence.io import atomic
from subsidence.models.modelio import save_model
from subsidence.models.baselines import Persistence

step = sys.argv[2]
def kill(name):
    if name == step:
        os.kill(os.getpid(), signal.SIGKILL)
atomic._step = kill
save_model(Persistence(), sys.argv[1], meta={"seed": 2}, overwrite=True)
"""


def _replace_and_kill(target: Path, step: str) -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(target), step], env=env, capture_output=True, timeout=60
    )
    return done.returncode


@pytest.mark.parametrize(
    ("name", "step"), [("m", s) for s in FOLDER_STEPS] + [("m.zip", s) for s in ZIP_STEPS]
)
def test_kill_at_every_step_leaves_old_or_new(tmp_path: Path, name: str, step: str) -> None:
    target = tmp_path / name
    save_model(Persistence(), target, meta={"seed": 1})
    assert _replace_and_kill(target, step) == -signal.SIGKILL
    listed = list_models(tmp_path)  # recovers an interrupted replace
    assert listed["name"].tolist() == [name] and listed["error"].tolist() == [""]
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no .tmp-/.old- leftovers
    _, meta = load_model(target)
    expected = 2 if step in ("new-moved", "old-removed", "replaced") else 1
    assert meta["seed"] == expected


def test_load_alone_recovers_a_model_hidden_by_a_kill(tmp_path: Path) -> None:
    target = tmp_path / "m"
    save_model(Persistence(), target, meta={"seed": 1})
    assert _replace_and_kill(target, "old-moved") == -signal.SIGKILL
    assert not target.exists()  # between the two renames: only the hidden old copy
    assert read_meta(target)["seed"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_an_interrupted_save_does_not_block_the_next(tmp_path: Path) -> None:
    target = tmp_path / "m"
    save_model(Persistence(), target, meta={"seed": 1})
    assert _replace_and_kill(target, "tmp-written") == -signal.SIGKILL
    save_model(Persistence(), target, meta={"seed": 3}, overwrite=True)
    assert read_meta(target)["seed"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["m"]
