"""House rules that keep the library usable outside the dashboard."""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
LIBRARY = sorted((ROOT / "subsidence").rglob("*.py"))
PAGES = sorted((ROOT / "pages").glob("*.py"))
UI = sorted((ROOT / "ui").rglob("*.py"))
MAX_MODULE_LINES = 400
MAX_PAGE_LINES = 150


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
    code = "import sys, subsidence, subsidence.io.reader, subsidence.models; print('torch' in sys.modules, 'streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "False"] and out.stderr == ""


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_stay_short(path: Path) -> None:
    n = len(path.read_text().splitlines())
    assert n <= MAX_PAGE_LINES, f"{path.name}: {n} lines; move logic into subsidence/ or ui/"


@pytest.mark.parametrize("path", LIBRARY + UI, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_do_one_job(path: Path) -> None:
    n = len(path.read_text().splitlines())
    assert n <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)}: {n} lines; split it by job"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of the import nodes under ``if TYPE_CHECKING:`` (never run, so no cycle at import)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return inside


def import_graph() -> dict[str, set[str]]:
    """Library module -> the library modules it imports (module level and inside functions)."""
    modules = {_module_name(p): p for p in LIBRARY}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        skip = _type_checking_only(tree)
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # "from subsidence import bands" imports a module; "from x import f" imports x
                targets |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def test_import_graph_sees_the_library() -> None:
    graph = import_graph()
    assert "subsidence.series" in graph["subsidence.features"]  # the graph is read, not empty
    assert "subsidence.validation.splits" in graph["subsidence.validation.protocols"]


def test_no_import_runs_back_up() -> None:
    """The library's modules form a DAG: no cycle, not even through an import inside a function."""
    try:
        tuple(graphlib.TopologicalSorter(import_graph()).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle in subsidence/: {' -> '.join(exc.args[1])}")


BUTTONS = {"button", "form_submit_button", "download_button"}


@pytest.mark.parametrize("path", [ROOT / "Home.py", *PAGES, *UI], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_button_has_a_key(path: Path) -> None:
    """Buttons are found by key in tests and keep their state when the page changes around them."""
    tree = ast.parse(path.read_text())
    missing = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in BUTTONS
        and not any(k.arg == "key" for k in node.keywords)
    ]
    assert not missing, "buttons without key=: " + ", ".join(missing)


# The stages of docs/architecture.md, in flow order: a module imports only its own stage and those
# before it (type-only imports aside). Shared helpers (errors, text, threads, thinning) and the
# CLI, the scale-out pipeline and the demo sit beside the flow and are not ranked.
STAGES = {
    "io": 0, "coverage": 1, "reference": 1, "geostat": 2, "series": 3, "features": 3, "models": 4,
    "validation": 5, "planning": 6, "viz": 7, "pipeline": 8, "report": 9,
}  # fmt: skip


def test_no_stage_imports_a_later_stage() -> None:
    def rank(module: str) -> int | None:
        parts = module.split(".")
        return STAGES.get(parts[1]) if len(parts) > 1 else None

    graph = import_graph()
    upward = [
        f"{src} -> {dst}"
        for src, targets in graph.items()
        for dst in targets
        if (a := rank(src)) is not None and (b := rank(dst)) is not None and b > a
    ]
    assert not upward, "imports running back up the flow: " + ", ".join(sorted(upward))
