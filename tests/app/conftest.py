"""Shared pieces of the Model-page AppTests: a models folder of the test's own, and waiting for training."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import keys


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Saved models go to (and are listed from) a temporary folder, never the shipped ``models/``."""
    import ui.models
    import ui.training

    monkeypatch.setattr(ui.models, "MODELS_DIR", tmp_path)
    monkeypatch.setattr(ui.training, "MODELS_DIR", tmp_path)
    return tmp_path


def wait_for_training(at: AppTest, seconds: float = 240, key: str = keys.TRAIN_JOB) -> AppTest:
    """Rerun ``at`` once the background job in ``key`` (training by default) has finished
    (fails after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = at.session_state[key] if key in at.session_state else None
        if job is not None and job.finished is not None:
            return at.run()
        time.sleep(0.3)
    raise AssertionError(f"the job in {key} did not finish")
