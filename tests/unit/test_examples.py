"""The committed quickstart archive and labels are exactly what the build script makes."""

import importlib.util
import json
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _builder():
    spec = importlib.util.spec_from_file_location("build_examples", ROOT / "examples" / "build_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_zip_and_labels_match_the_folder(tmp_path):
    b = _builder()
    b.build_zip(tmp_path / "shop.zip")
    def members(path):
        with zipfile.ZipFile(path) as zf:
            return {i.filename: zf.read(i) for i in zf.infolist()}

    assert members(tmp_path / "shop.zip") == members(ROOT / "examples" / "vulnerable-shop.zip")
    committed = json.loads((ROOT / "examples" / "vulnerable-shop.labels.json").read_text())
    assert committed == b.labels()
    assert sum(len(f["findings"]) for f in committed) == len(b.FLAWS) >= 15
    with zipfile.ZipFile(ROOT / "examples" / "vulnerable-shop.zip") as zf:
        assert sorted(zf.namelist()) == sorted(f["path"] for f in committed)
