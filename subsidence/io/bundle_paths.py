"""Where a bundle's files lie: the manifest's name, default file names, size limits.

A file named in the manifest is refused unless it lies inside the bundle folder.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Literal, overload

from subsidence.errors import BundleError
from subsidence.io.archive import check_file_size
from subsidence.io.studyarea import PERMEABILITY, THICKNESS
from subsidence.text import shorten

MANIFEST = "study_area.toml"
DEFAULT_FILES = {
    "ps": "ps.csv",
    "wells": "wells.csv",
    THICKNESS: "thickness.geojson",
    PERMEABILITY: "permeability.geojson",
}
# Limits checked before any work (docs/limits.md lists them all).
MAX_FILE_BYTES = {"ps": 400_000_000, "wells": 100_000_000, THICKNESS: 100_000_000, PERMEABILITY: 100_000_000}


@overload
def _bundle_file(folder: Path, name: str, role: str, *, required: Literal[True]) -> Path: ...


@overload
def _bundle_file(folder: Path, name: str, role: str, *, required: bool) -> Path | None: ...


def _bundle_file(folder: Path, name: str, role: str, *, required: bool) -> Path | None:
    """The bundle file named in the manifest, refused unless it lies inside the bundle folder.

    Absolute names, ``..`` and links (or folders) that resolve outside the bundle are refused
    with one line that names the manifest entry, never the file's content.
    """
    shown = shorten(name, 80)
    if not name.strip() or "\x00" in name:
        raise BundleError(
            f"{MANIFEST}: [files] {role} is empty; expected a file name such as {DEFAULT_FILES[role]!r}"
        )
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", name):
        raise BundleError(
            f"{MANIFEST}: [files] {role} = {shown!r} points outside the bundle; "
            "name a file inside the bundle folder, e.g. " + repr(DEFAULT_FILES[role])
        )
    root = folder.resolve()
    path = folder / pure
    if path.exists() or path.is_symlink():
        real = path.resolve()
        if not real.is_relative_to(root):
            raise BundleError(
                f"{MANIFEST}: [files] {role} = {shown!r} is a link to a file outside the bundle; refused"
            )
    if not path.is_file():
        if required:
            raise BundleError(
                f"{shown}: missing; the {role} file named in {MANIFEST} (or its default) must exist"
            )
        return None
    check_file_size(path, MAX_FILE_BYTES[role], BundleError, shown)
    return path
