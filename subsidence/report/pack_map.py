"""The decision pack's interactive map: a folium (Leaflet) page written beside the pack.

Points are coloured by a value with a legend; each point's popup lists its numbers under its
escaped id; wells and picked points are layers of their own. The map starts with no web
basemap (``tiles=None``); a street layer (OpenStreetMap) can be ticked on. Leaflet's scripts
and the street tiles load from the internet, so this file needs a connection to draw, while
the pack itself opens offline (it says so).
"""

from __future__ import annotations

from collections.abc import Sequence

import branca.colormap as bcm
import folium
import numpy as np

from subsidence.text import escape_html as esc

MAP_SUFFIX = "-map.html"
MAX_MAP_POINTS = 2000
RAMP = ["#313695", "#74add1", "#e0f3f8", "#fee090", "#f46d43", "#a50026"]
NOTE = (
    "Interactive map of the decision pack. Its scripts (Leaflet) and the optional street basemap load from the "
    "internet; the points, wells and picks are stored in this file. The decision pack itself opens offline."
)


def _fmt(v: object) -> str:
    if isinstance(v, (float, np.floating)):
        return "—" if not np.isfinite(v) else f"{float(v):,.1f}"
    return esc(str(v))


def results_map(
    lon: np.ndarray,
    lat: np.ndarray,
    ids: np.ndarray,
    values: np.ndarray,
    *,
    label: str,
    unit: str,
    columns: dict[str, np.ndarray],
    idx: np.ndarray,
    wells: tuple[np.ndarray, np.ndarray, Sequence[str]],
    picks: Sequence[str] = (),
    title: str = "",
) -> str:
    """The folium map as one HTML page (text).

    Parameters
    ----------
    lon, lat : ndarray, shape (n,)
        Point coordinates (degrees, WGS 84).
    ids : ndarray of str, shape (n,)
        Point ids (escaped in popups).
    values : ndarray, shape (n,)
        What the points are coloured by, in ``unit``; the legend is titled ``label``.
    columns : dict of name -> ndarray (n,)
        The numbers shown in each popup (names are escaped too).
    idx : ndarray of int
        The points drawn (a sample, picked points included).
    wells : (lon, lat, ids)
    picks : sequence of str
        Ids drawn as rings.
    title : str
        Shown above the map (escaped).
    """
    values = np.asarray(values, float)
    finite = values[idx][np.isfinite(values[idx])]
    lo, hi = np.percentile(finite, [2, 98]) if finite.size else (0.0, 1.0)
    hi = hi if hi > lo else lo + 1.0
    scale = bcm.LinearColormap(RAMP, vmin=float(lo), vmax=float(hi), caption=f"{label} ({unit})")
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
    folium.TileLayer(
        "OpenStreetMap", name="streets (needs internet)", overlay=True, show=False, control=True
    ).add_to(fmap)
    points = folium.FeatureGroup(name=f"PS points ({len(idx):,} of {len(ids):,})")
    for i in idx:
        rows = "".join(f"<br>{esc(name)}: {_fmt(col[i])}" for name, col in columns.items())
        colour = scale(float(np.clip(values[i], lo, hi))) if np.isfinite(values[i]) else "#999999"
        folium.CircleMarker(
            location=(float(lat[i]), float(lon[i])),
            radius=4,
            weight=0,
            fill=True,
            fill_color=colour,
            fill_opacity=0.85,
            popup=folium.Popup(f"<b>PS {esc(str(ids[i]))}</b>{rows}", max_width=320),
        ).add_to(points)
    points.add_to(fmap)
    well_group = folium.FeatureGroup(name="wells")
    for x, y, name in zip(*wells, strict=True):
        folium.CircleMarker(
            location=(float(y), float(x)),
            radius=6,
            color="#ffffff",
            weight=1.5,
            fill=True,
            fill_color="#141414",
            fill_opacity=1.0,
            popup=folium.Popup(f"<b>well {esc(str(name))}</b>", max_width=240),
        ).add_to(well_group)
    well_group.add_to(fmap)
    where = {str(p): i for i, p in enumerate(ids)}
    pick_group = folium.FeatureGroup(name="picked points")
    for p in picks:
        if str(p) in where:
            i = where[str(p)]
            folium.CircleMarker(
                location=(float(lat[i]), float(lon[i])),
                radius=10,
                color="#000000",
                weight=2.5,
                fill=False,
                popup=folium.Popup(f"<b>picked: PS {esc(str(p))}</b>", max_width=240),
            ).add_to(pick_group)
    pick_group.add_to(fmap)
    scale.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds(
        [[float(np.nanmin(lat)), float(np.nanmin(lon))], [float(np.nanmax(lat)), float(np.nanmax(lon))]]
    )
    banner = (
        '<div style="position:fixed;top:8px;left:60px;right:200px;z-index:1000;background:rgba(255,255,255,0.9);'
        f'padding:4px 8px;font:13px system-ui,sans-serif"><b>{esc(title)}</b><br>{esc(NOTE)}</div>'
    )
    fmap.get_root().html.add_child(folium.Element(banner))  # type: ignore[attr-defined]  # folium has no stubs: get_root() is typed as Element
    return str(fmap.get_root().render())
