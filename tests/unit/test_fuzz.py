"""Property-based tests: random bundles and model metadata raise only the project's own errors."""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from subsidence.errors import BundleError, ModelFileError, SubsidenceError
from subsidence.io.reader import load_study_area
from subsidence.models.model_checks import read_meta
from subsidence.models.modelio import load_model

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny"
SHIPPED = ROOT / "models" / "paper-lstm-demo"
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_cells = st.one_of(
    st.sampled_from(
        ["", "inf", "-inf", "nan", "1e309", "-0", "1,5", "P01", "2012-01-10", "=1+1", "\x00", '"', "\n"]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=12),
)
_headers = st.lists(
    st.one_of(
        st.sampled_from(
            ["ps_id", "x", "y", "2012-01-10", "2012-02-03", "20120322", "2012-03-22T00:00:00Z", ""]
        ),
        st.text(max_size=10),
    ),
    min_size=1,
    max_size=8,
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _load(folder: Path) -> None:
    try:
        load_study_area(folder)
    except BundleError as exc:
        assert "\n" not in str(exc) and len(str(exc)) <= 1000


def _bundle(tmp: Path) -> Path:
    folder = tmp / "b"
    shutil.copytree(TINY, folder)
    return folder


@FAST
@given(header=_headers, rows=st.lists(st.lists(_cells, min_size=0, max_size=8), max_size=6))
def test_random_ps_tables_raise_only_bundle_errors(header: list[str], rows: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = _bundle(Path(tmp))
        text = "\n".join(",".join(r) for r in [header, *rows])
        (folder / "ps.csv").write_text(text, encoding="utf-8", errors="surrogatepass")
        _load(folder)


@FAST
@given(raw=st.binary(max_size=400))
def test_random_csv_bytes_raise_only_bundle_errors(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = _bundle(Path(tmp))
        original = (TINY / "ps.csv").read_bytes()
        (folder / "ps.csv").write_bytes(original[: len(raw) % len(original)] + raw)
        _load(folder)


@FAST
@given(
    table=st.dictionaries(
        st.sampled_from(["name", "crs", "displacement_unit", "displacement_sign", "files", "unit", "x"]),
        st.one_of(st.text(max_size=15), st.integers(), st.booleans(), st.just("EPSG:32650"), st.just("mm")),
        max_size=5,
    ),
    files=st.dictionaries(
        st.sampled_from(["ps", "wells", "thickness", "permeability", "well"]),
        st.sampled_from(["ps.csv", "/etc/passwd", "../x.csv", "", "a\\..\\b", "wells.csv", "C:/x"])
        | st.text(max_size=8),
        max_size=3,
    ),
)
def test_random_manifests_raise_only_bundle_errors(table: dict[str, Any], files: dict[str, str]) -> None:
    def toml_value(v: Any) -> str:
        return json.dumps(v) if not isinstance(v, bool) else str(v).lower()

    lines = [f"{k} = {toml_value(v)}" for k, v in table.items() if k != "files"]
    if files:
        lines += ["[files]", *(f"{k} = {json.dumps(v)}" for k, v in files.items())]
    with tempfile.TemporaryDirectory() as tmp:
        folder = _bundle(Path(tmp))
        (folder / "study_area.toml").write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
        _load(folder)


@FAST
@given(raw=st.binary(max_size=600), cut=st.integers(0, 5000))
@example(raw=b"\x00@", cut=3034)  # found in CI: a central directory claiming zip version 6.4
def test_random_zip_bytes_raise_only_bundle_errors(raw: bytes, cut: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        good = Path(tmp) / "good.zip"
        with zipfile.ZipFile(good, "w", zipfile.ZIP_DEFLATED) as archive:
            for p in sorted(TINY.iterdir()):
                archive.write(p, p.name)
        data = good.read_bytes()
        cut = cut % len(data)
        path = Path(tmp) / "fuzz.zip"
        path.write_bytes(data[:cut] + raw + data[cut + len(raw) :])
        try:
            load_study_area(path)
        except BundleError as exc:
            assert "\n" not in str(exc)


def _load_model_folder(meta_text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "m"
        shutil.copytree(SHIPPED, folder)
        raw = meta_text.encode("utf-8", "surrogatepass") if isinstance(meta_text, str) else meta_text
        (folder / "model.json").write_bytes(raw)
        for call in (read_meta, load_model):
            try:
                call(folder)
            except ModelFileError as exc:
                assert "\n" not in str(exc) and len(str(exc)) <= 1000
            except SubsidenceError:
                pass


@FAST
@given(meta=_json)
def test_random_metadata_json_raises_only_model_errors(meta: Any) -> None:
    _load_model_folder(json.dumps(meta))


@FAST
@given(
    path=st.lists(
        st.sampled_from(["state", "config", "hidden_size", "feature_names", "input_scaler", "model"]),
        min_size=1,
        max_size=3,
    ),
    value=_json,
)
def test_metadata_with_one_value_replaced_raises_only_model_errors(path: list[str], value: Any) -> None:
    meta = json.loads((SHIPPED / "model.json").read_text())
    where = meta
    for key in path[:-1]:
        nxt = where.get(key) if isinstance(where, dict) else None
        if not isinstance(nxt, dict):
            break
        where = nxt
    where[path[-1]] = value
    _load_model_folder(json.dumps(meta))


@FAST
@given(raw=st.binary(max_size=300))
def test_random_metadata_bytes_raise_only_model_errors(raw: bytes) -> None:
    _load_model_folder(raw)
