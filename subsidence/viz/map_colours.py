"""Colours of the point maps: ramps, robust ranges, category palettes and the HTML legends.

Computed in numpy (16,487 points stay smooth in the browser); every legend text is escaped.
"""

from __future__ import annotations

import html

import numpy as np

# Colour ramps as RGB stops (low -> high): subsidence goes from pale (stable) to deep red.
RAMPS: dict[str, np.ndarray] = {
    "subsidence": np.array(
        [[49, 54, 149], [116, 173, 209], [224, 243, 248], [254, 224, 144], [244, 109, 67], [165, 0, 38]],
        float,
    ),
    "magnitude": np.array(
        [[255, 255, 204], [254, 217, 118], [253, 141, 60], [227, 26, 28], [128, 0, 38]], float
    ),
    "diverging": np.array(
        [[33, 102, 172], [146, 197, 222], [247, 247, 247], [244, 165, 130], [178, 24, 43]], float
    ),
}


def colour_range(values: np.ndarray, symmetric: bool = False) -> tuple[float, float]:
    """A robust colour range: the 2nd and 98th percentiles of the finite values.

    With ``symmetric`` the range is centred on zero (for deviations).
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(finite, [2, 98])
    if symmetric:
        m = max(abs(lo), abs(hi), 1e-9)
        return -float(m), float(m)
    if hi <= lo:
        hi = lo + 1.0
    return float(lo), float(hi)


def colours(values: np.ndarray, vmin: float, vmax: float, ramp: str = "subsidence") -> np.ndarray:
    """Map values to RGBA colours, shape (n, 4) uint8; NaN is transparent grey."""
    stops = RAMPS[ramp]
    t = np.clip((np.asarray(values, float) - vmin) / max(vmax - vmin, 1e-12), 0, 1)
    pos = t * (len(stops) - 1)
    i = np.minimum(np.floor(np.nan_to_num(pos)).astype(int), len(stops) - 2)
    f = (np.nan_to_num(pos) - i)[:, None]
    rgb = stops[i] * (1 - f) + stops[i + 1] * f
    alpha = np.where(np.isfinite(values), 230, 60)[:, None]
    out = np.hstack([rgb, alpha]).round().astype(np.uint8)
    out[~np.isfinite(values), :3] = 150
    return out


CATEGORY_COLOURS = (
    (31, 119, 180),
    (214, 39, 40),
    (44, 160, 44),
    (148, 103, 189),
    (255, 127, 14),
    (23, 190, 207),
    (140, 86, 75),
    (227, 119, 194),
)


def category_colours(labels: np.ndarray) -> tuple[np.ndarray, str]:
    """RGBA colours (n, 4) for categorical ``labels`` and an HTML legend of them (escaped)."""
    names = list(dict.fromkeys(map(str, labels)))
    lookup = {n: CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i, n in enumerate(names)}
    rgba = np.array([[*lookup[str(v)], 230] for v in labels], dtype=np.uint8).reshape(-1, 4)
    items = "".join(
        f'<span style="margin-right:1em"><span style="display:inline-block;width:10px;height:10px;border-radius:5px;'
        f'background:rgb{lookup[n]}"></span> {html.escape(n)}</span>'
        for n in names
    )
    return rgba, f'<div style="font-size:0.85rem">{items}</div>'


def palette_colours(labels: np.ndarray, palette: dict[str, str]) -> tuple[np.ndarray, str]:
    """RGBA colours (n, 4) for ``labels`` from a fixed ``palette`` (label -> "#rrggbb"), and its legend.

    Labels not in the palette are drawn grey. The legend lists the palette in its order (escaped).
    """
    rgb = {k: tuple(int(v[i : i + 2], 16) for i in (1, 3, 5)) for k, v in palette.items()}
    rgba = np.array([[*rgb.get(str(v), NEUTRAL), 230] for v in labels], dtype=np.uint8).reshape(-1, 4)
    items = "".join(
        f'<span style="margin-right:1em"><span style="display:inline-block;width:10px;height:10px;border-radius:5px;'
        f'background:{html.escape(c)}"></span> {html.escape(n)}</span>'
        for n, c in palette.items()
    )
    return rgba, f'<div style="font-size:0.85rem">{items}</div>'


def grey_out(rgba: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """A copy of ``rgba`` with the ``mask``ed points pale grey (numbers not to be used)."""
    out = np.array(rgba, dtype=np.uint8, copy=True)
    out[np.asarray(mask, bool)] = (*GREYED, 110)
    return out


GREYED = (190, 190, 190)
NEUTRAL = (170, 170, 170)  # one colour for a map whose values are all (nearly) the same


def is_degenerate(vmin: float, vmax: float, floor: float = 0.0) -> bool:
    """True when a colour range carries no information.

    The range is degenerate when its width is below ``floor`` (e.g. the data's noise, in the
    values' unit) or below a thousandth of the values' magnitude (e.g. kriged heads of
    51.032–51.033 m): colours would then show differences that are not real.
    """
    if not (np.isfinite(vmin) and np.isfinite(vmax)):
        return True
    width = vmax - vmin
    return bool(width <= max(floor, 1e-3 * max(abs(vmin), abs(vmax)), 1e-9))


def _fmt(v: float) -> str:
    return f"{v:,.3g}" if abs(v) < 10 else f"{v:,.1f}"


def legend_html(
    vmin: float,
    vmax: float,
    label: str,
    ramp: str = "subsidence",
    unit: str = "",
    degenerate: bool = False,
) -> str:
    """A colour bar drawn from the same stops as :func:`colours` (the map's own scale).

    The title (``label``, with ``unit``) sits above the bar and the minimum and maximum under
    its two ends, so no text overlaps the bar. With ``degenerate`` the legend is one neutral
    swatch stating the single value. All text is escaped.
    """
    title = html.escape(f"{label} ({unit})" if unit else label)
    head = f'<div style="font-size:0.85rem"><div style="margin-bottom:2px">{title}</div>'
    if degenerate:
        value = (vmin + vmax) / 2
        swatch = f"rgb{NEUTRAL}"
        return (
            head
            + f'<div style="display:flex;align-items:center;gap:0.5em"><span style="display:inline-block;'
            f'width:40px;height:12px;border-radius:3px;background:{swatch}"></span>'
            f"<span>every point ≈ {html.escape(_fmt(value))} {html.escape(unit)} (one colour: the values do not "
            f"differ enough to map)</span></div></div>"
        )
    stops = ", ".join(f"rgb({r:.0f},{g:.0f},{b:.0f})" for r, g, b in RAMPS[ramp])
    return (
        head
        + f'<div style="height:12px;border-radius:3px;background:linear-gradient(to right, {stops})"></div>'
        f'<div style="display:flex;justify-content:space-between;gap:1em"><span>{html.escape(_fmt(vmin))}</span>'
        + ("<span>0</span>" if ramp == "diverging" and vmin < 0 < vmax else "")
        + f"<span>{html.escape(_fmt(vmax))}</span></div></div>"
    )
