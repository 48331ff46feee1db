"""The hand-labelled Python spot set (benchmarks/data/python_spot): every label points at its sink."""

from __future__ import annotations

from pathlib import Path

from aegis_cli.evaluate import load_labels
from aegis_cli.scan.sinks import fits_sink

SPOT = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "python_spot"


def test_every_label_names_a_line_that_is_a_sink_of_its_cwe():
    labels = load_labels(SPOT / "labels.json")
    assert sorted(lab.path for lab in labels) == sorted(p.name for p in SPOT.glob("*.py"))
    count = 0
    for lab in labels:
        lines = (SPOT / lab.path).read_text(encoding="utf-8").splitlines()
        for f in lab.findings:
            text = "\n".join(lines[f.line - 1:f.end_line])
            assert text.strip(), (lab.path, f)
            assert fits_sink(f.cwe, text), (lab.path, f.line, f.cwe, text)
            count += 1
    assert count == 20  # what docs/models.md reports
