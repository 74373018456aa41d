"""House rules that keep the library usable outside the dashboard."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
LIBRARY = sorted((ROOT / "subsidence").rglob("*.py"))
PAGES = sorted((ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(ROOT)))
def test_library_never_imports_streamlit_or_prints(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not any(a.name.split(".")[0] == "streamlit" for a in node.names), (
                f"{path} imports streamlit"
            )
        if isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] != "streamlit", f"{path} imports streamlit"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id != "print", f"{path}:{node.lineno} prints; return values instead"


def test_importing_the_library_is_light_and_silent() -> None:
    code = "import sys, subsidence, subsidence.reader, subsidence.models; print('torch' in sys.modules, 'streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "False"] and out.stderr == ""


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_stay_short(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 200, f"{path.name}: move logic into subsidence/ or ui/"
