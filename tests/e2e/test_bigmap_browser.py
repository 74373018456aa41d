"""Real browser, a 200,000-point area: the map shows cells, a click zooms, a click picks a point,
a second click on it drops it.

The area is written in the test by the chunked generator (6 acquisitions: a few seconds); above
``subsidence.viz.aggregate.BIG_MAP_POINTS`` points the Study area map is drawn as cells, a click on
a cell zooms to the points around it and a click on one of them shows its time series.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, wait_for_app
from tests.e2e.mapclick import point_pixel, spread_points
from tests.e2e.serve import serve

pytestmark = pytest.mark.e2e
N_POINTS = 200_000


@pytest.fixture(scope="module")
def big_area(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from subsidence.demo import synthetic_chunks
    from subsidence.demo.synthetic import SyntheticConfig

    config = SyntheticConfig(n_points=N_POINTS, n_epochs=6, seed=5)
    folder = tmp_path_factory.mktemp("big") / "area_200k"
    with pytest.MonkeyPatch.context() as patch:  # physics on a 1 km lattice: this test is about the map
        patch.setattr(synthetic_chunks, "LATTICE_M", 1000.0)
        return synthetic_chunks.write_chunked(folder, config, name="Synthetic 200k (not survey data)")


def lon_lat(bundle: Path) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd
    from pyproj import Transformer

    xy = pd.read_csv(bundle / "ps.csv", usecols=["x", "y"])
    lon, lat = Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True).transform(xy["x"], xy["y"])
    return np.asarray(lon), np.asarray(lat)


def view_of(lon: np.ndarray, lat: np.ndarray) -> dict:
    from subsidence.viz.maps import map_view

    v = map_view(lon, lat)
    return {"longitude": v.longitude, "latitude": v.latitude, "zoom": v.zoom}


def test_a_200k_point_map_shows_cells_zooms_and_picks(big_area: Path, models_dir: Path, page) -> None:  # type: ignore[no-untyped-def]
    from subsidence.viz.aggregate import PointIndex

    lon, lat = lon_lat(big_area)
    index = PointIndex(lon, lat)
    env = {"SUBSIDENCE_DATA_DIR": str(big_area.parent), "SUBSIDENCE_MODELS_DIR": str(models_dir)}
    with serve(ROOT, big_area.name, **env) as url:
        page.goto(url)
        wait_for_app(page, timeout_ms=180_000)
        page.locator("[data-testid='stSidebarNav']").get_by_role(
            "link", name="Study area", exact=True
        ).click()
        wait_for_app(page, timeout_ms=180_000)
        expect(page.get_by_test_id("stMetricValue").get_by_text("200,000", exact=True)).to_be_visible()
        expect(page.get_by_text(re.compile("too many points to click at once"))).to_be_visible()
        canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
        canvas.wait_for()
        page.wait_for_timeout(1500)

        # a click on the fullest cell zooms to the points around its centre
        cell = int(index.counts.argmax())
        w, s, e, n = index.box(cell)
        whole = view_of(lon[[lon.argmin(), lon.argmax()]], lat[[lat.argmin(), lat.argmax()]])
        page.mouse.click(*point_pixel((w + e) / 2, (s + n) / 2, whole, canvas.bounding_box()))
        expect(page.get_by_role("button", name="Whole area")).to_be_visible(timeout=60_000)
        wait_for_app(page)

        # a click on one of them shows its InSAR time series
        near = index.around(cell)
        zoomed = view_of(lon[near], lat[near])
        canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
        page.wait_for_timeout(1500)
        target = int(near[spread_points(lon[near], lat[near], zoomed, canvas.bounding_box(), 1)[0]])
        page.mouse.click(*point_pixel(float(lon[target]), float(lat[target]), zoomed, canvas.bounding_box()))
        caption = page.get_by_text(re.compile("Click a point again to take it off the chart"))
        expect(caption).to_be_visible(timeout=60_000)
        assert caption.inner_text().startswith(f"On the chart: PS{target + 1:06d};")  # that point only
        chart = page.locator("[data-testid='stVegaLiteChart'] svg").first  # Vega-Lite draws SVG
        chart.locator("g.mark-line path").first.wait_for()  # its series drawn
        assert f"at PS PS{target + 1:06d}" in chart.text_content()  # in the chart's title
        expect(page.locator("[data-testid='stPlotlyChart']")).to_have_count(0)

        # the same map stays (no fresh widget): clicking the point again takes it off the chart
        page.mouse.click(*point_pixel(float(lon[target]), float(lat[target]), zoomed, canvas.bounding_box()))
        expect(page.get_by_text("Click a point on the map to see its InSAR time series.")).to_be_visible(
            timeout=60_000
        )
