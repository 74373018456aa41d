"""Reading untrusted ``.zip`` archives and files with limits checked before the work.

Used for study-area bundles and saved models. Sizes in an archive's headers are not trusted:
members are read in chunks and reading stops as soon as a limit is passed. Every problem is a
one-line :class:`~subsidence.errors.SubsidenceError` subclass (the caller chooses which), never
a traceback: bad CRC, truncated or understated members, passwords, symbolic links, absolute or
``..`` names, the same name twice, too many members, too much unpacked data, and members that
compress implausibly well (a "zip bomb").
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from subsidence.errors import SubsidenceError
from subsidence.text import shorten

MAX_MEMBERS = 200
MAX_RATIO = 200  # unpacked / packed size of one member larger than 1 MB
_CHUNK = 1 << 20


def member_name(raw: str) -> str:
    """A member name checked to stay inside the archive, as a clean relative POSIX path.

    Raises ``ValueError`` (with the reason) for absolute names, ``..``, drive letters or NUL.
    """
    name = raw.replace("\\", "/")
    if "\x00" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ValueError("is an absolute path, outside the archive")
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if ".." in parts:
        raise ValueError("contains '..' and points outside the archive")
    return "/".join(parts)


def read_members(
    path: Path,
    error: type[SubsidenceError],
    *,
    max_member_bytes: dict[str, int] | int,
    max_total_bytes: int,
    wanted: set[str] | None = None,
) -> dict[str, bytes]:
    """The files of a zip archive as ``{clean name: bytes}``, every limit checked while reading.

    Parameters
    ----------
    path : Path
    error : type
        The SubsidenceError subclass to raise (BundleError, ModelFileError).
    max_member_bytes : dict or int
        Largest unpacked size of one member; a dict maps a member's file name (lower case,
        without folders) to its limit, key ``"*"`` for the others.
    max_total_bytes : int
        Largest unpacked size of all members together.
    wanted : set of str, optional
        Only members whose file name (lower case) is in this set are read; the others are
        still checked for names, links and duplicates.
    """
    label = shorten(path.name, 80)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        # NotImplementedError: a header claiming a zip version or method Python cannot read
        raise error(f"{label}: not a readable .zip archive ({shorten(exc, 120)})") from exc
    out: dict[str, bytes] = {}
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_MEMBERS:
            raise error(f"{label}: {len(members)} files in the archive; at most {MAX_MEMBERS} are read")
        seen: dict[str, str] = {}
        for m in members:
            try:
                name = member_name(m.filename)
            except ValueError as exc:
                raise error(f"{label}: member {shorten(m.filename, 80)!r} {exc}; refused") from exc
            if stat.S_ISLNK(m.external_attr >> 16):
                raise error(f"{label}: member {shorten(name, 80)!r} is a symbolic link; refused")
            if m.flag_bits & 0x1:
                raise error(
                    f"{label}: member {shorten(name, 80)!r} is encrypted; upload an archive without a password"
                )
            key = name.lower()
            if key in seen:
                raise error(
                    f"{label}: {shorten(name, 80)!r} appears twice in the archive; expected each file once"
                )
            seen[key] = name
        total = 0
        for m in members:
            name = member_name(m.filename)
            base = PurePosixPath(name).name.lower()
            if wanted is not None and base not in wanted:
                continue
            limit = (
                max_member_bytes
                if isinstance(max_member_bytes, int)
                else max_member_bytes.get(base, max_member_bytes["*"])
            )
            data = _read_capped(archive, m, name, label, limit, max_total_bytes - total, error)
            total += len(data)
            out[name] = data
    return out


def _read_capped(
    archive: zipfile.ZipFile,
    m: zipfile.ZipInfo,
    name: str,
    label: str,
    limit: int,
    room: int,
    error: type[SubsidenceError],
) -> bytes:
    where = f"{label}: {shorten(name, 80)!r}"
    if m.file_size > limit:
        raise error(f"{where} unpacks to {m.file_size:,} bytes; the limit for this file is {limit:,}")
    if m.file_size > room:
        raise error(f"{where}: the archive unpacks to more than the {room:,} bytes allowed in all")
    chunks, size = [], 0
    try:
        with archive.open(m) as f:
            while chunk := f.read(_CHUNK):
                size += len(chunk)
                if size > limit or size > room:
                    raise error(f"{where} unpacks to more than its header says or the limit allows; refused")
                if size > _CHUNK and size > MAX_RATIO * max(m.compress_size, 1):
                    raise error(
                        f"{where} compresses more than {MAX_RATIO} to 1, which real data does not (a zip bomb?); "
                        "refused"
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
        raise error(f"{where} cannot be unpacked ({shorten(exc, 120)}); the archive is damaged") from exc
    return b"".join(chunks)


def check_file_size(path: Path, limit: int, error: type[SubsidenceError], label: str | None = None) -> int:
    """The size of ``path``, refused (``error``) above ``limit`` bytes before it is read."""
    size = path.stat().st_size
    if size > limit:
        raise error(
            f"{label or shorten(path.name, 80)}: {size:,} bytes; the limit for this file is {limit:,} "
            "(see docs/limits.md)"
        )
    return size
