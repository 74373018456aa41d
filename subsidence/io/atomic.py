"""Crash-safe writes: a file or a folder is either the old one or the new one, never neither.

* :func:`atomic_write` writes bytes to a hidden temporary file beside the target, flushes it to
  disk and renames it over the target (``os.replace`` is atomic on POSIX and Windows);
  :func:`atomic_write_via` does the same for writers that want a path (GeoTIFF, CSV).
* :func:`replace_folder` puts a fully written temporary folder in place of a target folder.
  A folder cannot be swapped in one system call portably, so it takes two renames
  (``target -> .target.old-XXXXXXXX``, ``tmp -> target``). A crash between them leaves the old
  folder under the hidden ``.old-`` name; :func:`recover` (called by every later save, list
  and load of that folder) renames it back, and removes left-over ``.tmp-`` and ``.old-``
  entries whose target is present.
* :func:`folder_lock` serialises saves and recoveries within one folder (``fcntl.flock`` on the
  folder itself, so no lock file is left; no lock where ``fcntl`` is missing).

Disk-full and permission errors become :class:`~subsidence.errors.StorageError` naming the file.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from subsidence.errors import StorageError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]  # no fcntl module on Windows: no lock

# a trailing suffix (".gpkg", ".part") lets writers that judge a file by its name accept the temporary one
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-[0-9a-f]{8}(?:\.[A-Za-z0-9]{1,10})?$")


def _step(name: str) -> None:
    """Called after each step of a replace; tests patch it to kill the process there."""


def temp_sibling(target: Path, kind: str = "tmp") -> Path:
    """A hidden, unique path beside ``target`` that :func:`recover` recognises."""
    return target.parent / f".{target.name}.{kind}-{uuid.uuid4().hex[:8]}"


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def storage_error(path: Path, exc: OSError) -> StorageError:
    """One line naming the file and the system's reason (e.g. no space left on device)."""
    reason = exc.strerror or type(exc).__name__
    return StorageError(f"{path}: could not write ({reason}); free some disk space or choose another folder")


def atomic_write(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never half.

    Parameters
    ----------
    path : str or Path
    data : bytes or str
        ``str`` is written as UTF-8.

    Returns
    -------
    Path

    Raises
    ------
    StorageError
        When the disk is full or the folder is not writable; the message names ``path``.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data

    def write(tmp: Path) -> None:
        with open(tmp, "xb") as f:
            f.write(raw)

    return atomic_write_via(path, write)


def atomic_write_via(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Let ``write(tmp)`` fill a hidden temporary file beside ``path``, then rename it over ``path``.

    For writers that need a file name (``rasterio``, ``DataFrame.to_csv``, GeoPackages); the
    temporary file ends in ``path``'s suffix. Errors as :func:`atomic_write`.
    """
    path = Path(path)
    tmp = temp_sibling(path)
    tmp = tmp.with_name(tmp.name + path.suffix)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        _step("tmp-written")
        os.replace(tmp, path)
        _step("replaced")
        _fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise storage_error(path, exc) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def replace_folder(tmp: Path, target: Path) -> Path:
    """Put the fully written folder ``tmp`` at ``target`` (replacing a folder there), crash-safely."""
    try:
        if target.exists():
            old = temp_sibling(target, "old")
            os.rename(target, old)
            _step("old-moved")
            os.rename(tmp, target)
            _step("new-moved")
            _fsync_dir(target.parent)
            shutil.rmtree(old, ignore_errors=True)
            _step("old-removed")
        else:
            os.rename(tmp, target)
            _step("new-moved")
            _fsync_dir(target.parent)
    except OSError as exc:
        raise storage_error(target, exc) from exc
    return target


def is_leftover(name: str) -> bool:
    """True for the hidden ``.NAME.tmp-XXXXXXXX`` / ``.NAME.old-XXXXXXXX`` entries of a replace."""
    return bool(_LEFTOVER.match(name))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def recover(folder: str | Path, only: str | None = None, *, locked: bool = False) -> None:
    """Finish or undo interrupted replaces in ``folder``.

    A ``.NAME.old-*`` whose ``NAME`` is missing is renamed back to ``NAME`` (the old version
    returns); every other ``.tmp-``/``.old-`` leftover is removed. Runs under
    :func:`folder_lock`; a folder that cannot be written is left as it is.

    Parameters
    ----------
    folder : str or Path
    only : str, optional
        Recover only the entries of this target name.
    locked : bool
        The caller already holds :func:`folder_lock` on ``folder`` (a second lock in the same
        process would wait for ever).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return
    if locked:
        _recover(folder, only)
        return
    with folder_lock(folder) as got:
        if got:
            _recover(folder, only)


def _recover(folder: Path, only: str | None) -> None:
    with contextlib.suppress(OSError):
        for path in sorted(folder.iterdir(), key=lambda p: p.name):
            match = _LEFTOVER.match(path.name)
            if not match or (only is not None and match["name"] != only):
                continue
            target = folder / match["name"]
            if match["kind"] == "old" and not target.exists() and not target.is_symlink():
                os.rename(path, target)
            else:
                _remove(path)


@contextlib.contextmanager
def folder_lock(folder: str | Path) -> Iterator[bool]:
    """Hold an exclusive lock on ``folder`` (yields False when the folder cannot be opened)."""
    try:
        fd = os.open(Path(folder), os.O_RDONLY)
    except OSError:
        yield False
        return
    try:
        locked = False
        if fcntl is not None:
            with contextlib.suppress(OSError):  # e.g. a network file system without locks
                fcntl.flock(fd, fcntl.LOCK_EX)
                locked = True
        yield locked or fcntl is None
    finally:
        os.close(fd)
