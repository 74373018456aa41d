"""Real browser: on Scenarios, set a cut date, run the hindcast, see its table and the band at a picked point."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e


def test_cut_date_hindcast_table_and_band_on_a_picked_curve(app_url, page) -> None:  # type: ignore[no-untyped-def]
    # pick a point by id on Results (picks follow the planner across pages)
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("link", name=re.compile("Results")).first.click()
    wait_for_app(page)
    page.get_by_label("Pick by id").fill("PS000001")
    page.get_by_role("button", name="Add").click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"Picked 1: PS000001"))).to_be_visible(timeout=60_000)

    page.get_by_role("link", name=re.compile("Scenarios")).first.click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Check the forecast")).to_be_visible(timeout=90_000)
    # the date field is a group of spin buttons (year / month / day): type into each
    for part, value in (("year", "2014"), ("month", "06"), ("day", "01")):
        page.get_by_role("spinbutton", name=f"{part}, Cut date").click()
        page.keyboard.type(value)
    page.get_by_role("button", name="Run the hindcast").click()

    table = page.locator("[data-testid='stDataFrame']").filter(has_text="it stops")
    expect(table).to_have_count(1, timeout=120_000)
    expect(page.get_by_text(re.compile(r"Cut at 2014-0[56]"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"inside the 90 % band"))).to_be_visible()
    curves = page.locator("[data-testid='stPlotlyChart']").filter(has_text="Hindcast from")
    expect(curves).to_have_count(1, timeout=60_000)
    text = curves.first.inner_text()
    assert "PS000001: 90 % band" in text and "PS000001: InSAR" in text

    # points moving unlike their neighbours are named; one click picks them and draws their curves
    note = page.locator("[data-testid='stAlert']").filter(has_text="move unlike their neighbours")
    expect(note).to_have_count(1)
    named = re.findall(r"PS\d+", note.inner_text())
    assert named
    page.get_by_role("button", name=re.compile(r"Pick \d+ of them to see their curves")).click()
    wait_for_app(page)
    forecast = page.locator("[data-testid='stPlotlyChart']").filter(
        has_text="Forecast under groundwater scenarios"
    )
    expect(forecast).to_have_count(1, timeout=60_000)
    expect(forecast.first).to_contain_text(named[0], timeout=60_000)
