"""A planner's validation points: toggling picks from map clicks, picking by id or at random."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from subsidence.errors import SubsidenceError


def toggle(picked: Sequence[str], clicked: Iterable[str]) -> list[str]:
    """Add clicked ids that are not picked yet and remove those that are (order kept)."""
    out = [str(p) for p in picked]
    for c in map(str, clicked):
        if c in out:
            out.remove(c)
        else:
            out.append(c)
    return out


def newly_clicked(previous: Sequence[str], selection: Sequence[str]) -> list[str]:
    """Ids that a map selection holds now and did not hold at the last rerun.

    ``st.pydeck_chart`` reports the whole current selection on every rerun; only the change
    is a click.
    """
    before = set(map(str, previous))
    now = list(map(str, selection))
    added = [s for s in now if s not in before]
    removed = [p for p in map(str, previous) if p not in set(now)]
    return added + removed


def parse_ids(text: str, known: Sequence[str]) -> list[str]:
    """Ids typed by a user (comma, space or newline separated), checked against ``known``.

    Raises
    ------
    SubsidenceError
        Naming the ids that are not PS points of the study area.
    """
    wanted = [t for t in text.replace(",", " ").split() if t]
    known_set = set(map(str, known))
    missing = [t for t in wanted if t not in known_set]
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise SubsidenceError(f"not PS ids of this study area: {shown}")
    return list(dict.fromkeys(wanted))


def random_ids(ids: Sequence[str], n: int = 12, seed: int = 0) -> list[str]:
    """``n`` ids drawn at random without replacement (the paper's 12 validation points)."""
    rng = np.random.default_rng(seed)
    pos = rng.choice(len(ids), size=min(n, len(ids)), replace=False)
    return [str(ids[i]) for i in sorted(pos)]


PICKS_FILE = "picks.json"


def save_picks(model_dir: str | Path, ids: Sequence[str]) -> Path:
    """Save picked validation points beside a saved model (``picks.json``, written atomically)."""
    from subsidence.io.exports import write_atomic

    return write_atomic(
        Path(model_dir) / PICKS_FILE, json.dumps({"ps_ids": [str(i) for i in ids]}, indent=1).encode()
    )


def load_picks(model_dir: str | Path) -> list[str]:
    """Picked points saved with a model; empty when there are none or the file is unreadable."""
    path = Path(model_dir) / PICKS_FILE
    try:
        ids = json.loads(path.read_text())["ps_ids"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [str(i) for i in ids] if isinstance(ids, list) else []


PICK_MAX_POINTS = (
    3000  # pickable points per map: more make each click too slow for deck.gl in a GPU-less browser
)


def picking_tiles(lon: np.ndarray, lat: np.ndarray, max_points: int = PICK_MAX_POINTS) -> np.ndarray:
    """Split points into rectangular tiles of at most about ``max_points`` each (tile number per point).

    Columns and rows are cut at quantiles, so tiles hold similar numbers of points. One tile
    when the area is small enough.
    """
    n = len(lon)
    n_tiles = int(np.ceil(n / max(max_points, 1)))
    if n_tiles <= 1:
        return np.zeros(n, dtype=int)
    cols = int(np.ceil(np.sqrt(n_tiles)))
    rows = int(np.ceil(n_tiles / cols))
    col = np.minimum((np.argsort(np.argsort(lon, kind="stable"), kind="stable") * cols) // n, cols - 1)
    tile = np.zeros(n, dtype=int)
    for c in range(cols):
        members = np.flatnonzero(col == c)
        order = np.argsort(np.argsort(lat[members], kind="stable"), kind="stable")
        tile[members] = c * rows + np.minimum((order * rows) // max(len(members), 1), rows - 1)
    return tile


def tile_boxes(lon: np.ndarray, lat: np.ndarray, tile: np.ndarray) -> list[tuple[float, float, float, float]]:
    """(west, south, east, north) of each tile's points, in tile order."""
    return [
        (
            float(lon[tile == t].min()),
            float(lat[tile == t].min()),
            float(lon[tile == t].max()),
            float(lat[tile == t].max()),
        )
        for t in range(int(tile.max()) + 1)
    ]
