"""The library type-checks: ``mypy`` (strict, settings in ``pyproject.toml``) finds no error."""

from __future__ import annotations

import gc
import re
import sys
from pathlib import Path

from mypy import api

ROOT = Path(__file__).parents[2]


def test_library_passes_mypy_strict() -> None:
    limit, thresholds = sys.getrecursionlimit(), gc.get_threshold()
    try:
        stdout, stderr, status = api.run(
            ["--config-file", str(ROOT / "pyproject.toml"), str(ROOT / "subsidence")]
        )
    finally:  # mypy runs in this process and retunes it for good; later tests (deeply nested TOML) see it
        sys.setrecursionlimit(limit)
        gc.set_threshold(*thresholds)
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert status == 0 and not errors, "mypy found errors:\n" + "\n".join(errors[:40]) + stderr


def test_every_type_ignore_names_its_code_and_reason() -> None:
    bare = []
    for path in sorted((ROOT / "subsidence").rglob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if "type: ignore" not in line:
                continue
            # "# type: ignore[code]  # reason" (the reason may also be on the line above)
            coded = re.search(r"type: ignore\[[a-z-]+(, ?[a-z-]+)*\]", line)
            reason = re.search(r"type: ignore\[[^\]]+\]\s*#\s*\S", line)
            above = path.read_text().splitlines()[n - 2].strip().startswith("#") if n > 1 else False
            if not coded or not (reason or above):
                bare.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not bare, "type: ignore without an error code and a reason:\n" + "\n".join(bare)
