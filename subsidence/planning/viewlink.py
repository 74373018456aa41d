"""A dashboard view as URL query parameters, and back (pure: no Streamlit).

A link carries the study area (the bundle's folder name, never a server path), the saved model
(its folder name), the reference (:attr:`subsidence.reference.Reference.key`), the picked
points (one ``pick`` parameter each, at most :data:`MAX_LINK_PICKS`), the epoch (ISO date) and
the scenarios; the page is the address's path. Decoding never trusts the text: unknown or
malformed values are dropped, lengths are capped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MAX_LINK_PICKS = 50  # a link carries at most this many picked ids (URLs stay short)
MAX_VALUE = 200  # characters kept of any one value
PARAMS = ("area", "model", "ref", "pick", "epoch", "scenario", "shown")


@dataclass(frozen=True)
class View:
    """What a link restores (empty fields are left as they are)."""

    area: str = ""
    model: str = ""
    reference: str = ""
    picks: tuple[str, ...] = ()
    epoch: str = ""
    scenarios: tuple[str, ...] = ()
    shown: str = ""

    @property
    def is_empty(self) -> bool:
        return self == View()


def encode(view: View) -> dict[str, list[str]]:
    """Query parameters for ``view`` (each a list: ``pick`` and ``scenario`` repeat).

    Picks beyond :data:`MAX_LINK_PICKS` are left out (the first ones are kept).
    """
    params: dict[str, list[str]] = {}
    for name, value in (("area", view.area), ("model", view.model), ("ref", view.reference)):
        if value:
            params[name] = [value]
    if view.picks:
        params["pick"] = list(view.picks[:MAX_LINK_PICKS])
    if view.epoch:
        params["epoch"] = [view.epoch]
    if view.scenarios:
        params["scenario"] = list(view.scenarios)
    if view.shown:
        params["shown"] = [view.shown]
    return params


def _clean(value: str) -> str:
    return "".join(ch for ch in str(value) if ch.isprintable())[:MAX_VALUE].strip()


def _date(value: str) -> str:
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return ""


def decode(params: Mapping[str, Sequence[str] | str]) -> View:
    """The :class:`View` in query parameters (values as lists or single strings).

    Unknown parameters are ignored; an epoch that is not a date is dropped; at most
    :data:`MAX_LINK_PICKS` picks are read; the folder names of area and model may not hold a
    path separator (they are looked up among the server's bundles and saved models).
    """

    def all_of(name: str) -> list[str]:
        raw = params.get(name, [])
        values: Iterable[str] = [raw] if isinstance(raw, str) else raw
        return [c for c in (_clean(v) for v in values) if c]

    def one(name: str) -> str:
        found = all_of(name)
        return found[0] if found else ""

    def folder(name: str) -> str:
        value = one(name)
        return "" if "/" in value or "\\" in value or value in (".", "..") else value

    return View(
        area=folder("area"),
        model=folder("model"),
        reference=one("ref"),
        picks=tuple(dict.fromkeys(all_of("pick")))[:MAX_LINK_PICKS],
        epoch=_date(one("epoch")),
        scenarios=tuple(dict.fromkeys(all_of("scenario")))[:20],
        shown=one("shown"),
    )
