"""Real browser: the Interpolation page draws its maps; on the Model page a user trains, saves and reloads."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e


def test_interpolation_page_draws_groundwater_maps(app_url, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{app_url}/Interpolation")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Interpolation")).to_be_visible(timeout=90_000)
    charts = page.locator("[data-testid='stPlotlyChart']")
    expect(charts.filter(has_text="Groundwater level on")).to_have_count(1, timeout=60_000)
    expect(page.get_by_role("heading", name="Variograms")).to_be_visible()
    expect(charts.filter(has_text="semivariance").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Leave-one-out cross-validation")).to_be_visible()
    assert charts.first.locator("svg").count() > 0


def test_train_watch_save_and_reload_a_model(app_url, page, models_dir) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{app_url}/Model")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Model")).to_be_visible(timeout=90_000)
    epochs = page.get_by_label("Epochs (at most)")
    epochs.fill("3")
    epochs.press("Tab")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text(re.compile(r"Trained paper-lstm in"))).to_be_visible(timeout=180_000)
    expect(
        page.locator("[data-testid='stPlotlyChart']").filter(has_text="Loss during training")
    ).to_have_count(1)
    name = page.get_by_label("Save as")
    name.fill("browser-run")
    name.press("Tab")
    page.get_by_role("button", name="Save model").click()
    expect(page.get_by_text(re.compile("Saved as browser-run"))).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name=re.compile("Download the model"))).to_be_visible()
    assert (models_dir / "browser-run" / "model.json").is_file()

    page.get_by_text("Load a saved model").click()
    wait_for_app(page)
    page.get_by_role("button", name="Load", exact=True).click()
    expect(page.get_by_text(re.compile(r"Loaded paper-lstm from browser-run"))).to_be_visible(timeout=60_000)
