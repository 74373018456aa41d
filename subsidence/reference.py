"""The reference point: InSAR displacements made relative to a point or area the user chooses.

InSAR measures displacement relative to a reference the processor chose. A planner often wants
it relative to a point they trust (a benchmark on bedrock, a stable building) or to the median
of an area. :func:`apply_reference` returns a new :class:`~subsidence.io.studyarea.StudyArea` whose
every PS series has the reference series subtracted, so every map, curve, table, model input,
export and forecast built from the area follows. Kriged heads and the geology layers do not
depend on it.

Missing values in the reference series are filled by linear interpolation in time (held at
the nearest value before its first or after its last reading), so no date is dropped; the area's
notes say how many dates were filled.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from subsidence.errors import SubsidenceError
from subsidence.io.studyarea import StudyArea

NONE, POINT, BOX = "none", "point", "box"
NOTE_PREFIX = "Reference: "
MARKER_LAYER = "reference-marker"
_BOX = re.compile(r"^box:([-+0-9.eE]+),([-+0-9.eE]+),([-+0-9.eE]+),([-+0-9.eE]+)$")


class ReferenceError(SubsidenceError):
    """A reference point or area that cannot be used (unknown id, empty box, no values)."""


@dataclass(frozen=True)
class Reference:
    """What displacements are relative to.

    Attributes
    ----------
    kind : {"none", "point", "box"}
        ``"none"``: as delivered; ``"point"``: one PS point; ``"box"``: the median of the PS
        points inside a lon/lat box, date by date.
    ps_id : str
        The PS id (``kind == "point"``).
    box : tuple of 4 float or None
        ``(lon_min, lat_min, lon_max, lat_max)`` in degrees WGS 84 (``kind == "box"``).
    """

    kind: str = NONE
    ps_id: str = ""
    box: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        if self.kind not in (NONE, POINT, BOX):
            raise ReferenceError(f"reference kind {self.kind!r}: expected none, point or box")
        if self.kind == POINT and not self.ps_id:
            raise ReferenceError("a reference point needs a PS id")
        if self.kind == BOX:
            if self.box is None or len(self.box) != 4 or not all(np.isfinite(self.box)):
                raise ReferenceError("a reference box needs four numbers: lon_min, lat_min, lon_max, lat_max")
            lo_x, lo_y, hi_x, hi_y = self.box
            if lo_x >= hi_x or lo_y >= hi_y:
                raise ReferenceError(
                    f"reference box {self.box}: the minimum longitude and latitude must be below the maximum"
                )

    @property
    def label(self) -> str:
        """The reference in words, for captions and saved models."""
        if self.kind == POINT:
            return self.ps_id if self.ps_id[:2].upper() == "PS" else f"PS {self.ps_id}"
        if self.kind == BOX:
            assert self.box is not None
            lo_x, lo_y, hi_x, hi_y = self.box
            return f"median of the PS points in lon {lo_x:.5f} to {hi_x:.5f}, lat {lo_y:.5f} to {hi_y:.5f}"
        return "none (as delivered)"

    @property
    def key(self) -> str:
        """Compact text form (links, cache keys, the CLI): ``none``, ``ps:ID`` or ``box:a,b,c,d``."""
        if self.kind == POINT:
            return f"ps:{self.ps_id}"
        if self.kind == BOX:
            assert self.box is not None
            return "box:" + ",".join(f"{v:.6f}" for v in self.box)
        return NONE


def parse_reference(text: str | None) -> Reference:
    """The :class:`Reference` written by :attr:`Reference.key` (a bare PS id means that point).

    Raises
    ------
    ReferenceError
        When a box is not four numbers or is empty.
    """
    text = (text or "").strip()
    if not text or text.lower() == NONE:
        return Reference()
    if text.lower().startswith("box:"):
        found = _BOX.match(text.replace(" ", ""))
        if not found:
            raise ReferenceError(
                f"reference {text[:80]!r}: a box is written box:lon_min,lat_min,lon_max,lat_max"
            )
        lo_x, lo_y, hi_x, hi_y = (float(v) for v in found.groups())
        return Reference(BOX, box=(lo_x, lo_y, hi_x, hi_y))
    return Reference(POINT, ps_id=text[3:] if text.lower().startswith("ps:") else text)


def in_box(area: StudyArea, box: tuple[float, float, float, float]) -> np.ndarray:
    lon, lat = area.points["lon"].to_numpy(float), area.points["lat"].to_numpy(float)
    inside: np.ndarray = (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])
    return inside


def reference_series(area: StudyArea, ref: Reference) -> tuple[np.ndarray, str]:
    """The reference's series (mm, one value per date, NaNs filled) and a sentence saying how.

    Raises
    ------
    ReferenceError
        Unknown id, a box with no point, or a reference without any value.
    """
    if ref.kind == POINT:
        ids = area.points["ps_id"].astype(str).to_numpy()
        where = np.flatnonzero(ids == ref.ps_id)
        if where.size == 0:
            raise ReferenceError(
                f"reference point {ref.ps_id[:80]!r} is not a PS id of {area.name[:80]}; choose one of its points"
            )
        raw = area.subsidence_mm[int(where[0])].astype(float)
        what = f"PS {ref.ps_id}"
    elif ref.kind == BOX:
        assert ref.box is not None
        inside = in_box(area, ref.box)
        if not inside.any():
            raise ReferenceError(
                f"reference box {ref.key}: no PS point inside; draw a box around some points"
            )
        rows = area.subsidence_mm[inside]
        counts = np.isfinite(rows).sum(axis=0)
        raw = np.full(area.n_epochs, np.nan)
        raw[counts > 0] = np.nanmedian(rows[:, counts > 0], axis=0)
        what = f"the median of {int(inside.sum())} PS point(s) in the box"
    else:
        return np.zeros(area.n_epochs), "as delivered"
    ok = np.isfinite(raw)
    if not ok.any():
        raise ReferenceError(f"reference {ref.label[:120]}: no value at any date; choose another reference")
    filled = int((~ok).sum())
    if filled:
        t = area.dates.asi8.astype(float)
        raw = np.interp(t, t[ok], raw[ok])
        return raw, f"{what}; {filled} missing date(s) of the reference filled by interpolation in time"
    return raw, what


def apply_reference(area: StudyArea, ref: Reference) -> StudyArea:
    """A new study area whose displacements are relative to ``ref`` (``"none"``: ``area`` itself).

    Every series has the reference series subtracted (the reference point becomes 0 at every
    date); positive is still down. The fingerprint changes with the reference, so caches and
    saved models tell the two apart, and the notes carry ``"Reference: …"`` (see
    :func:`reference_label`).
    """
    if ref.kind == NONE:
        return area
    series, how = reference_series(area, ref)
    values = area.subsidence_mm - series[None, :]
    digest = hashlib.sha256(f"{area.fingerprint}|reference={ref.key}".encode()).hexdigest()[:16]
    notes = [n for n in area.notes if not n.startswith(NOTE_PREFIX)]
    notes.append(f"{NOTE_PREFIX}{ref.label} (all displacements relative to it: {how})")
    return replace(area, subsidence_mm=values, fingerprint=digest, notes=tuple(notes))


def reference_label(area: StudyArea) -> str:
    """The reference an area's displacements are relative to, in words (``"none (as delivered)"``)."""
    for note in area.notes:
        if note.startswith(NOTE_PREFIX):
            return note[len(NOTE_PREFIX) :].split(" (all displacements", 1)[0]
    return Reference().label


def marker_position(area: StudyArea, ref: Reference) -> tuple[float, float] | None:
    """Lon/lat of the reference marker: the point, or the centre of the box (None for "none")."""
    if ref.kind == POINT:
        match = area.points[area.points["ps_id"].astype(str) == ref.ps_id]
        if match.empty:
            return None
        return float(match["lon"].iloc[0]), float(match["lat"].iloc[0])
    if ref.kind == BOX and ref.box is not None:
        return (ref.box[0] + ref.box[2]) / 2, (ref.box[1] + ref.box[3]) / 2
    return None


def marker_layer(area: StudyArea, ref: Reference) -> Any:
    """A pydeck layer marking the reference (a black ring; the box outlined), or None."""
    import pydeck as pdk

    where = marker_position(area, ref)
    if where is None:
        return None
    if ref.kind == BOX and ref.box is not None:
        lo_x, lo_y, hi_x, hi_y = ref.box
        ring = [[lo_x, lo_y], [hi_x, lo_y], [hi_x, hi_y], [lo_x, hi_y], [lo_x, lo_y]]
        return pdk.Layer(
            "PathLayer",
            data=[{"path": ring, "name": "reference area"}],
            id=MARKER_LAYER,
            get_path="path",
            get_color=[0, 0, 0, 230],
            width_min_pixels=3,
            pickable=False,
        )
    return pdk.Layer(
        "ScatterplotLayer",
        data=[{"lon": where[0], "lat": where[1], "name": ref.label}],
        id=MARKER_LAYER,
        get_position="[lon, lat]",
        get_radius=1,
        radius_min_pixels=9,
        stroked=True,
        filled=False,
        get_line_color=[0, 0, 0, 255],
        line_width_min_pixels=3,
        pickable=False,
    )
