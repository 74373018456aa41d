"""Write the hostile-input corpus: broken, malicious or implausible bundles and models.

    python tests/data/hostile/make_hostile.py

Deterministic (fixed zip timestamps, no randomness). Every case is derived from the small
``tests/data/tiny`` bundle or the shipped ``models/paper-lstm-demo`` model and written to
``tests/data/hostile/cases/<case>`` (a folder or a ``.zip``). ``CASES`` says, for each, what
must happen when it goes through the command line (``validate`` for a bundle, ``evaluate
--model`` for a model): ``"refused: <text in the one-line error>"``, ``"accepted with note:
<text in a data-quality note>"`` or ``"accepted"``. ``tests/integration/test_hostile.py`` runs them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
TINY = ROOT / "tests" / "data" / "tiny"
SHIPPED = ROOT / "models" / "paper-lstm-demo"
OUT = HERE / "cases"
STAMP = (2024, 1, 1, 0, 0, 0)

# case -> (kind, expected outcome). kind: "bundle" (validate) or "model" (evaluate --model).
CASES: dict[str, tuple[str, str]] = {
    # files outside the bundle
    "abs_path_wells": ("bundle", "refused: points outside the bundle"),
    "dotdot_ps": ("bundle", "refused: points outside the bundle"),
    "backslash_dotdot_ps": ("bundle", "refused: points outside the bundle"),
    "symlink_ps_outside": ("bundle", "refused: link to a file outside the bundle"),
    "symlink_layer_outside": ("bundle", "refused: link to a file outside the bundle"),
    "ps_is_a_folder": ("bundle", "refused: missing"),
    # archives
    "zip_dotdot_member.zip": ("bundle", "refused: points outside the archive"),
    "zip_absolute_member.zip": ("bundle", "refused: absolute path"),
    "zip_symlink_member.zip": ("bundle", "refused: symbolic link"),
    "zip_two_ps.zip": ("bundle", "refused: appears twice"),
    "zip_two_ps_case.zip": ("bundle", "refused: appears twice"),
    "zip_two_bundles.zip": ("bundle", "refused: 2 bundles in one archive"),
    "zip_bad_crc.zip": ("bundle", "refused: the archive is damaged"),
    "zip_understated_size.zip": ("bundle", "refused: the archive is damaged"),
    "zip_password.zip": ("bundle", "refused: encrypted"),
    "zip_bomb_nul.zip": ("bundle", "refused: zip bomb"),
    "zip_many_members.zip": ("bundle", "refused: at most 200 are read"),
    "zip_not_a_zip.zip": ("bundle", "refused: not a readable .zip"),
    "zip_truncated.zip": ("bundle", "refused: not a readable .zip"),
    "zip_empty.zip": ("bundle", "refused: no study_area.toml in the archive"),
    "zip_ok_nested.zip": ("bundle", "accepted"),
    "not_a_bundle.txt": ("bundle", "refused: expected a bundle folder or a .zip"),
    # manifest
    "manifest_missing": ("bundle", "refused: study_area.toml: missing"),
    "manifest_typo_unit": ("bundle", 'refused: did you mean "displacement_unit"'),
    "manifest_typo_files_key": ("bundle", 'refused: did you mean "wells"'),
    "manifest_unknown_key": ("bundle", "refused: unknown key 'colour'"),
    "manifest_table_name": ("bundle", "refused: name must be a text in quotes, found a table"),
    "manifest_number_crs": ("bundle", "refused: crs must be a text in quotes, found a number"),
    "manifest_deep_nesting": ("bundle", "refused: not valid TOML"),
    "manifest_bad_utf8": ("bundle", "refused: not UTF-8"),
    "manifest_too_big": ("bundle", "refused: the limit for this file is 64,000"),
    "manifest_files_number": ("bundle", "refused: must be a file name in quotes"),
    "manifest_files_empty": ("bundle", "refused: is empty"),
    "manifest_bad_toml": ("bundle", "refused: not valid TOML"),
    "manifest_bad_unit": ("bundle", 'refused: displacement_unit must be "mm" or "m"'),
    "manifest_long_name": ("bundle", "accepted with note: name was shortened to 200 characters"),
    "manifest_markdown_name": ("bundle", "accepted"),
    # PS table
    "ps_nul_bytes": ("bundle", "refused: contains NUL bytes"),
    "ps_bad_utf8": ("bundle", "refused: not UTF-8"),
    "ps_repeated_date": ("bundle", "refused: column '2012-02-03' appears twice"),
    "ps_iso_datetime_header": ("bundle", "refused: looks like a date but is not written YYYY-MM-DD"),
    "ps_date_1900": ("bundle", "refused: outside the years InSAR can have measured"),
    "ps_inf": ("bundle", "refused: found inf (not a finite number)"),
    "ps_minus_inf": ("bundle", "refused: found -inf (not a finite number)"),
    "ps_x_inf": ("bundle", "column 'x': found inf"),
    "ps_line_of_commas": ("bundle", "refused: the line is blank"),
    "ps_empty_id": ("bundle", "refused: has an empty ps_id"),
    "ps_long_id": ("bundle", "refused: expected at most 100"),
    "ps_decimal_comma": ("bundle", "refused: use a decimal point, not a comma"),
    "ps_jump_10_m": ("bundle", "refused: moves 10,007 mm between 2012-02-03 and 2012-03-22"),
    "ps_jump_20_cm": ("bundle", "accepted with note: 1 PS series jump more than 100 mm"),
    "ps_metres_read_as_mm": ("bundle", "accepted with note: every PS value is within 1 mm"),
    "ps_one_point": ("bundle", "refused: 1 PS point(s); expected at least 3"),
    "ps_header_only": ("bundle", "refused: 0 PS point(s)"),
    "ps_empty_file": ("bundle", "refused: cannot be read as CSV"),
    "ps_too_many_columns": ("bundle", "refused: at most 5,000 are read"),
    "ps_markup_ids": ("bundle", "accepted"),
    "ps_nan_text": ("bundle", "accepted with note: missing PS values"),
    "ps_gpkg_garbage": ("bundle", "refused: cannot be read"),
    # wells
    "wells_moving_well": ("bundle", "refused: expected one location per well"),
    "wells_heads_in_cm": ("bundle", "accepted with note: are the heads in cm"),
    "wells_heads_in_mm": ("bundle", "refused: give heads in metres"),
    "wells_same_place": ("bundle", "refused: are at the same place"),
    "wells_empty_id": ("bundle", "refused: has an empty well_id"),
    "wells_inf_head": ("bundle", "refused: column 'head_m': found inf"),
    "wells_bad_date": ("bundle", "refused: expected YYYY-MM-DD, found '2012-02-30'"),
    "wells_nul_bytes": ("bundle", "refused: contains NUL bytes"),
    # layers
    "thickness_negative": ("bundle", "refused: thickness cannot be negative"),
    "permeability_negative": ("bundle", "refused: permeability cannot be negative"),
    "thickness_in_cm": ("bundle", "accepted with note: thicker than any aquifer system"),
    "thickness_garbage": ("bundle", "refused: cannot be read"),
    # models
    "model_ok": ("model", "accepted"),
    "model_meta_spaces.zip": ("model", "refused: the limit for this file is 20,000,000"),
    "model_meta_understated.zip": ("model", "refused: the archive is damaged"),
    "model_deep_nesting": ("model", "refused: not valid JSON"),
    "model_nesting_40": ("model", "refused: nested deeper than 32 levels"),
    "model_bad_utf8": ("model", "refused: not UTF-8"),
    "model_name_number": ("model", "refused: 'model' must be a str"),
    "model_version_text": ("model", "refused: 'format_version' must be a int"),
    "model_not_object": ("model", "refused: expected a JSON object"),
    "model_nan_constant": ("model", "refused: not valid JSON"),
    "model_hidden_30000": ("model", "refused: hidden_size must be a whole number 1..1024"),
    "model_hidden_mismatch": ("model", "refused: does not belong to these weights"),
    "model_features_mismatch": ("model", "refused: does not belong to these weights"),
    "model_no_state": ("model", "refused: no 'state' object"),
    "model_unknown_name": ("model", "refused: unknown model 'evil'"),
    "model_weights_tampered": ("model", "refused: sha256"),
    "model_weights_garbage": ("model", "refused: safetensors"),
    "model_params_string": ("model", "refused: physics 'params' must be an object"),
    "model_params_missing_key": ("model", "refused: lacks or has non-numeric gamma"),
    "model_two_model_json.zip": ("model", "refused: 2 model.json files in one archive"),
    "model_password.zip": ("model", "refused: encrypted"),
    "model_bad_crc.zip": ("model", "refused: the archive is damaged"),
    "model_not_a_model": ("model", "refused: no model.json"),
}


# --- helpers ----------------------------------------------------------------------------------


def _bundle(name: str) -> Path:
    folder = OUT / name
    shutil.copytree(TINY, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def _manifest(folder: Path, extra: str) -> None:
    path = folder / "study_area.toml"
    path.write_text(path.read_text() + extra)


def _zip(name: str, members: list[tuple[str, bytes]], *, flag: int = 0, link: bool = False) -> Path:
    path = OUT / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members:
            info = zipfile.ZipInfo(member, STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            if link:
                info.external_attr = (0o120777 << 16) | 0
            archive.writestr(info, data)
    if flag:  # zipfile clears flag bits when writing: set them in every header afterwards
        _set_flags(path, flag)
    return path


def _set_flags(path: Path, flag: int) -> None:
    raw = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.find(signature)
        while at >= 0:
            raw[at + offset] |= flag
            at = raw.find(signature, at + 4)
    path.write_bytes(bytes(raw))


def _tiny_members(prefix: str = "") -> list[tuple[str, bytes]]:
    return [(prefix + p.name, p.read_bytes()) for p in sorted(TINY.iterdir())]


def _patch_zip(path: Path, old: bytes, new: bytes, count: int = -1) -> None:
    raw = path.read_bytes()
    assert old in raw, (path, old)
    path.write_bytes(raw.replace(old, new, count))


def _model(name: str) -> Path:
    folder = OUT / name
    shutil.copytree(SHIPPED, folder)
    (folder / "READONLY").unlink(missing_ok=True)
    return folder


def _meta(folder: Path, change: Callable[[dict], None]) -> None:
    meta = json.loads((folder / "model.json").read_text())
    change(meta)
    (folder / "model.json").write_text(json.dumps(meta, indent=1))


def _physics_model(name: str, params: object) -> None:
    folder = OUT / name
    folder.mkdir()
    weights = _safetensors_empty()
    (folder / "weights.safetensors").write_bytes(weights)
    meta = {
        "format_version": 1,
        "model": "consolidation",
        "library_version": "0.1.0",
        "created": "2024-01-01T00:00:00+00:00",
        "weights_sha256": hashlib.sha256(weights).hexdigest(),
        "state": {"model": "consolidation", "config": {}, "params": params},
    }
    (folder / "model.json").write_text(json.dumps(meta))


def _safetensors_empty() -> bytes:
    header = b"{}      "
    return struct.pack("<Q", len(header)) + header


def _rewrite_sha(folder: Path) -> None:
    digest = hashlib.sha256((folder / "weights.safetensors").read_bytes()).hexdigest()
    _meta(folder, lambda m: m.update(weights_sha256=digest))


# --- cases ------------------------------------------------------------------------------------


def make_bundles() -> None:
    outside = OUT / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("SECRET-LINE-THAT-MUST-NOT-BE-ECHOED\n")

    _manifest(_bundle("abs_path_wells"), '\n[files]\nwells = "/etc/passwd"\n')
    _manifest(_bundle("dotdot_ps"), '\n[files]\nps = "../outside/secret.csv"\n')
    _manifest(_bundle("backslash_dotdot_ps"), '\n[files]\nps = "..\\\\outside\\\\secret.csv"\n')
    folder = _bundle("symlink_ps_outside")
    (folder / "ps.csv").unlink()
    os.symlink("../outside/secret.csv", folder / "ps.csv")
    folder = _bundle("symlink_layer_outside")
    (folder / "thickness.geojson").unlink()
    os.symlink("../outside/secret.csv", folder / "thickness.geojson")
    folder = _bundle("ps_is_a_folder")
    (folder / "ps.csv").unlink()
    (folder / "ps.csv").mkdir()
    (folder / "ps.csv" / "x.txt").write_text("x")

    _zip("zip_dotdot_member.zip", [*_tiny_members(), ("../evil.txt", b"x")])
    _zip("zip_absolute_member.zip", [*_tiny_members(), ("/tmp/evil.txt", b"x")])
    _zip("zip_symlink_member.zip", [("link.csv", b"/etc/passwd")], link=True)
    members = _tiny_members()
    ps = [m for m in members if m[0] == "ps.csv"][0]
    with_dup = [*members, ("ps.csv", ps[1].replace(b"-15.5", b"-99.9"))]
    _zip_dup("zip_two_ps.zip", with_dup)
    _zip("zip_two_ps_case.zip", [*members, ("PS.CSV", ps[1])])
    _zip("zip_two_bundles.zip", [*_tiny_members("a/"), *_tiny_members("b/")])
    path = _zip("zip_bad_crc.zip", [(n, d) for n, d in members if n != "ps.csv"] + [("ps.csv", ps[1])])
    _corrupt_crc(path, "ps.csv")
    path = _zip("zip_understated_size.zip", members)
    _understate(path, "ps.csv")
    _zip("zip_password.zip", members, flag=0x1)
    _zip(
        "zip_bomb_nul.zip",
        [*[(n, d) for n, d in members if n != "ps.csv"], ("ps.csv", b"\x00" * 100_000_000)],
    )
    _zip("zip_many_members.zip", [*members, *[(f"extra/{i}.txt", b"x") for i in range(250)]])
    (OUT / "zip_not_a_zip.zip").write_bytes(b"this is not a zip archive\n" * 20)
    good = _zip("zip_ok_nested.zip", _tiny_members("my_area/"))
    (OUT / "zip_truncated.zip").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    _zip("zip_empty.zip", [])
    (OUT / "not_a_bundle.txt").write_text("hello\n")

    (_bundle("manifest_missing") / "study_area.toml").unlink()
    _edit(_bundle("manifest_typo_unit") / "study_area.toml", "displacement_unit", "displacement_units")
    _manifest(_bundle("manifest_typo_files_key"), '\n[files]\nwell = "wells.csv"\n')
    _edit(
        _bundle("manifest_unknown_key") / "study_area.toml",
        'name = "Tiny test area"',
        'name = "T"\ncolour = "red"',
    )
    _edit(_bundle("manifest_table_name") / "study_area.toml", 'name = "Tiny test area"\n', "")
    _manifest(OUT / "manifest_table_name", '\n[name]\nfirst = "a"\n')
    _edit(_bundle("manifest_number_crs") / "study_area.toml", 'crs = "EPSG:32650"', "crs = 32650")
    _edit(
        _bundle("manifest_deep_nesting") / "study_area.toml",
        'name = "Tiny test area"',
        "deep = " + "[" * 5000 + "]" * 5000,
    )
    folder = _bundle("manifest_bad_utf8")
    (folder / "study_area.toml").write_bytes(
        b'name = "\xff\xfe bad"\n' + (TINY / "study_area.toml").read_bytes()[24:]
    )
    _manifest(_bundle("manifest_too_big"), "\n# " + "x" * 70_000 + "\n")
    _manifest(_bundle("manifest_files_number"), "\n[files]\nps = 5\n")
    _manifest(_bundle("manifest_files_empty"), '\n[files]\nps = ""\n')
    _manifest(_bundle("manifest_bad_toml"), "\nthis is = = not toml\n")
    _edit(
        _bundle("manifest_bad_unit") / "study_area.toml",
        'displacement_unit = "mm"',
        'displacement_unit = "cm"',
    )
    _edit(_bundle("manifest_long_name") / "study_area.toml", "Tiny test area", "N" * 20_000)
    _edit(
        _bundle("manifest_markdown_name") / "study_area.toml",
        "Tiny test area",
        "[click me](http://evil.example) <script>alert(1)</script> **bold**",
    )

    ps_file = "ps.csv"
    folder = _bundle("ps_nul_bytes")
    (folder / ps_file).write_bytes(b"\x00" * 100_000)
    folder = _bundle("ps_bad_utf8")
    (folder / ps_file).write_bytes((TINY / ps_file).read_bytes().replace(b"P03", b"P\xff3"))
    _edit(_bundle("ps_repeated_date") / ps_file, "2012-03-22", "2012-02-03")
    _edit(_bundle("ps_iso_datetime_header") / ps_file, "2012-03-22", "2012-03-22T00:00:00Z")
    _edit(_bundle("ps_date_1900") / ps_file, "2012-01-10", "1900-01-10")
    _edit(_bundle("ps_inf") / ps_file, "-7.1", "inf")
    _edit(_bundle("ps_minus_inf") / ps_file, "-7.1", "-inf")
    _edit(_bundle("ps_x_inf") / ps_file, "441348.9", "inf")
    _edit(_bundle("ps_line_of_commas") / ps_file, "\nP01", "\n,,,,,,,,\nP01")
    _edit(_bundle("ps_empty_id") / ps_file, "\nP01", "\n")
    _edit(_bundle("ps_long_id") / ps_file, "\nP01", "\n" + "P" * 5000)
    _edit(_bundle("ps_decimal_comma") / ps_file, "-7.1", '"-7,1"')
    _edit(_bundle("ps_jump_10_m") / ps_file, "-14.2,-21.3,-28.5", "-10014.2,-10021.3,-10028.5")
    _edit(_bundle("ps_jump_20_cm") / ps_file, "-14.2,-21.3,-28.5", "-214.2,-221.3,-228.5")
    folder = _bundle("ps_metres_read_as_mm")
    lines = (folder / ps_file).read_text().splitlines()
    scaled = [lines[0]] + [
        ",".join(c if i < 4 else f"{float(c) / 1000:.4f}" for i, c in enumerate(line.split(",")))
        for line in lines[1:]
    ]
    (folder / ps_file).write_text("\n".join(scaled) + "\n")
    folder = _bundle("ps_one_point")
    lines = (folder / ps_file).read_text().splitlines()
    (folder / ps_file).write_text("\n".join(lines[:2]) + "\n")
    folder = _bundle("ps_header_only")
    (folder / ps_file).write_text(lines[0] + "\n")
    (_bundle("ps_empty_file") / ps_file).write_bytes(b"")
    folder = _bundle("ps_too_many_columns")
    (folder / ps_file).write_text(lines[0] + "".join(f",a{i}" for i in range(6000)) + "\n")
    folder = _bundle("ps_markup_ids")
    _edit(folder / ps_file, "\nP01,", '\n"[x](http://evil.example)",')
    _edit(folder / ps_file, "\nP02,", "\n<script>alert(1)</script>,")
    _edit(folder / ps_file, "\nP03,", '\n=HYPERLINK("http://evil.example"),')
    _edit(_bundle("ps_nan_text") / ps_file, "-7.1", "NaN")
    folder = _bundle("ps_gpkg_garbage")
    (folder / "ps.gpkg").write_bytes(b"SQLite format 3\x00" + b"\x01" * 2000)
    _manifest(folder, '\n[files]\nps = "ps.gpkg"\n')

    wells = "wells.csv"
    _edit(
        _bundle("wells_moving_well") / wells,
        "W0,440500.0,4420500.0,2012-02-01",
        "W0,440900.0,4420500.0,2012-02-01",
    )
    folder = _bundle("wells_heads_in_cm")
    rows = (folder / wells).read_text().splitlines()
    cm = [rows[0]] + [",".join([*r.split(",")[:4], f"{float(r.split(',')[4]) * 100:.0f}"]) for r in rows[1:]]
    (folder / wells).write_text("\n".join(cm) + "\n")
    folder = _bundle("wells_heads_in_mm")
    mm = [rows[0]] + [",".join([*r.split(",")[:4], f"{float(r.split(',')[4]) * 1000:.0f}"]) for r in rows[1:]]
    (folder / wells).write_text("\n".join(mm) + "\n")
    folder = _bundle("wells_same_place")
    text = (folder / wells).read_text()
    w1 = [r for r in text.splitlines() if r.startswith("W1,")][0].split(",")
    (folder / wells).write_text(text.replace(f"W1,{w1[1]},{w1[2]},", "W1,440500.0,4420500.0,"))
    _edit(
        _bundle("wells_empty_id") / wells,
        "\nW0,440500.0,4420500.0,2012-01-01",
        "\n,440500.0,4420500.0,2012-01-01",
    )
    _edit(_bundle("wells_inf_head") / wells, "2012-01-01,19.7", "2012-01-01,inf")
    _edit(_bundle("wells_bad_date") / wells, "2012-02-01,19.4", "2012-02-30,19.4")
    (_bundle("wells_nul_bytes") / wells).write_bytes(b"well_id,x\x00,y\n" + b"\x00" * 5000)

    _edit(_bundle("thickness_negative") / "thickness.geojson", '"value": 10}', '"value": -10}')
    _edit(_bundle("permeability_negative") / "permeability.geojson", '"value": ', '"value": -')
    folder = _bundle("thickness_in_cm")
    _edit(folder / "thickness.geojson", '"value": 30}', '"value": 3000000}')
    (_bundle("thickness_garbage") / "thickness.geojson").write_bytes(b"{not json at all" + b"]" * 100)


def make_models() -> None:
    _model("model_ok")
    raw_meta = (SHIPPED / "model.json").read_bytes()
    weights = (SHIPPED / "weights.safetensors").read_bytes()
    spaces = raw_meta[:-2] + b" " * 30_000_000 + raw_meta[-2:]
    _zip("model_meta_spaces.zip", [("model.json", spaces), ("weights.safetensors", weights)])
    path = _zip("model_meta_understated.zip", [("model.json", spaces), ("weights.safetensors", weights)])
    _understate(path, "model.json")
    folder = _model("model_deep_nesting")
    (folder / "model.json").write_text('{"state": ' + "[" * 100_000 + "]" * 100_000 + "}")
    folder = _model("model_nesting_40")
    _meta(folder, lambda m: m.update(extra=json.loads("[" * 40 + "]" * 40)))
    folder = _model("model_bad_utf8")
    (folder / "model.json").write_bytes(raw_meta.replace(b'"paper-lstm"', b'"paper-\xff"'))
    _meta(_model("model_name_number"), lambda m: m.update(model=5))
    _meta(_model("model_version_text"), lambda m: m.update(format_version="1"))
    (_model("model_not_object") / "model.json").write_text("[1, 2, 3]")
    (_model("model_nan_constant") / "model.json").write_text('{"format_version": NaN}')
    _meta(_model("model_hidden_30000"), lambda m: m["state"]["config"].update(hidden_size=30000))
    _meta(_model("model_hidden_mismatch"), lambda m: m["state"]["config"].update(hidden_size=16))
    _meta(_model("model_features_mismatch"), lambda m: m["state"]["feature_names"].pop())
    _meta(_model("model_no_state"), lambda m: m.pop("state"))
    _meta(_model("model_unknown_name"), lambda m: m.update(model="evil"))
    folder = _model("model_weights_tampered")
    (folder / "weights.safetensors").write_bytes(weights[:-4] + b"\x00\x00\x80\x7f")
    folder = _model("model_weights_garbage")
    (folder / "weights.safetensors").write_bytes(struct.pack("<Q", 12) + b"{not json!!}" + b"\x00" * 16)
    _rewrite_sha(folder)
    _physics_model("model_params_string", "not a table")
    _physics_model(
        "model_params_missing_key",
        {"tau_ref_days": 300.0, "b_c_m": 20.0, "spinup_years": 5.0, "sskv_per_m": 1e-4, "sske_per_m": 1e-5},
    )
    _zip(
        "model_two_model_json.zip",
        [("model.json", raw_meta), ("weights.safetensors", weights), ("b/model.json", raw_meta)],
    )
    _zip("model_password.zip", [("model.json", raw_meta), ("weights.safetensors", weights)], flag=0x1)
    path = _zip("model_bad_crc.zip", [("model.json", raw_meta), ("weights.safetensors", weights)])
    _corrupt_crc(path, "model.json")
    folder = OUT / "model_not_a_model"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a model")


# --- zip surgery ------------------------------------------------------------------------------


def _zip_dup(name: str, members: list[tuple[str, bytes]]) -> Path:
    """A zip holding the same member name twice (zipfile warns but writes it)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return _zip(name, members)


def _entries(raw: bytes, member: str) -> tuple[int, int]:
    """Offsets of ``member``'s local header and central-directory entry."""
    name = member.encode()
    local = raw.index(name) - 30
    assert raw[local : local + 4] == b"PK\x03\x04", member
    central = raw.index(b"PK\x01\x02", local)
    while raw[central + 46 : central + 46 + len(name)] != name:
        central = raw.index(b"PK\x01\x02", central + 4)
    return local, central


def _corrupt_crc(path: Path, member: str) -> None:
    raw = bytearray(path.read_bytes())
    local, central = _entries(bytes(raw), member)
    for offset in (local + 14, central + 16):
        raw[offset] ^= 0xFF
    path.write_bytes(bytes(raw))


def _understate(path: Path, member: str) -> None:
    """Rewrite the member's unpacked size in both headers to 10 bytes."""
    raw = bytearray(path.read_bytes())
    local, central = _entries(bytes(raw), member)
    raw[local + 22 : local + 26] = struct.pack("<I", 10)
    raw[central + 24 : central + 28] = struct.pack("<I", 10)
    path.write_bytes(bytes(raw))


def main() -> None:
    """Write every case (removing old ones first) and check the table names them all."""
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    make_bundles()
    make_models()
    made = {p.name for p in OUT.iterdir()} - {"outside"}
    assert made == set(CASES), sorted(made ^ set(CASES))
    (HERE / "expected.json").write_text(json.dumps(CASES, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
