"""Real-browser fixtures: the app served by ``streamlit run`` on a free port, Debian's Chromium."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.serve import serve

ROOT = Path(__file__).parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder for the browser tests: the shipped model, and room to save more."""
    folder = tmp_path_factory.mktemp("models")
    shutil.copytree(ROOT / "models" / "paper-lstm-demo", folder / "paper-lstm-demo")
    return folder


@pytest.fixture(scope="session")
def app_url(models_dir: Path) -> Iterator[str]:
    with serve(ROOT, "demo_small", SUBSIDENCE_MODELS_DIR=str(models_dir)) as url:
        yield url


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1600})  # maps fully on screen
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


def wait_for_app(page, timeout_ms: int = 90_000) -> None:  # type: ignore[no-untyped-def]
    """Wait until the script has stopped running (the status widget is gone)."""
    page.wait_for_selector("[data-testid='stApp']")
    page.wait_for_timeout(1000)
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=timeout_ms
    )


def upload(page, archive: Path) -> None:  # type: ignore[no-untyped-def]
    """Upload a bundle .zip through the sidebar, as a user does, and wait for the app."""
    wait_for_app(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.locator("[data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name=re.compile("Upload a bundle")).click()
    wait_for_app(page)
    sidebar.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(archive))
    wait_for_app(page)
