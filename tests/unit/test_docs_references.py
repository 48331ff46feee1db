"""docs/reliability.md promises a test for every case: every test it names must exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ABBREVIATIONS = {"HA": "tests/functional/test_hostile_archives.py", "AR": "tests/unit/test_archive.py"}


def test_every_test_named_in_reliability_md_exists():
    text = (ROOT / "docs" / "reliability.md").read_text()
    names = set(re.findall(r"::(test_\w+)", text))
    files = set(re.findall(r"(tests/[\w/]+\.py)", text)) | set(ABBREVIATIONS.values())
    assert len(names) > 40
    for f in files:
        assert (ROOT / f).is_file(), f"{f} named in docs/reliability.md does not exist"
    defined = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        defined |= set(re.findall(r"def (test_\w+)", path.read_text()))
    missing = sorted(names - defined)
    assert not missing, f"docs/reliability.md names tests that do not exist: {missing}"
