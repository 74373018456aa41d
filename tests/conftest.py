"""Shared fixtures: the small demo, and environment for the app tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SMALL_DEMO = ROOT / "data" / "demo_small"
FULL_DEMO = ROOT / "data" / "demo_beijing"

# The app tests and the browser tests open the small demo by default (fast), from the real data folder.
os.environ.setdefault("SUBSIDENCE_BUNDLE", "demo_small")


@pytest.fixture(scope="session")
def small_area():  # type: ignore[no-untyped-def]
    from subsidence.io.reader import load_study_area

    return load_study_area(SMALL_DEMO)
