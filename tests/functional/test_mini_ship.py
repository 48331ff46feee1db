"""The ship step (``python -m aegis_cli.mini.ship``): threshold choice, preset rewrite, the packaged copy.

The end-to-end test ships the model the package already holds into a temp folder with small splits, so
it runs the real scans (a few dozen files) and never touches the package.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from aegis_cli.evaluate import FileLabel, LabelFinding
from aegis_cli.mini.ship import best_threshold, set_preset_threshold
from aegis_cli.scan.findings import Finding

PRESETS = """\
# top comment
presets:
  aegis-mini:
    id: builtin:aegis-mini
    kind: token-classifier
    labels:
      threshold: 0.70   # calibrated by aegis_cli.mini.ship
      sink_check: true  # keep me

  other:
    id: some/model
    kind: classifier
    labels:
      threshold: 0.5
"""


def _finding(path: str, line: int, confidence: float, cwe: str = "CWE-89") -> Finding:
    return Finding(path=path, start_line=line, end_line=line, cwe=cwe, severity="high", confidence=confidence,
                   message="m", snippet=f"{path}:{line}")


def test_best_threshold_maximises_line_f1_and_breaks_ties_low():
    labels = [FileLabel(path="a.py", vulnerable=True, findings=[LabelFinding(cwe="CWE-89", line=10)]),
              FileLabel(path="b.py", vulnerable=True, findings=[LabelFinding(cwe="CWE-89", line=5)]),
              FileLabel(path="c.py", vulnerable=False)]
    # true sinks at 0.9 and 0.6; false alarms at 0.5 and 0.3: F1 peaks once both alarms are gone (t in (0.5, 0.6]),
    # and the lowest such candidate wins
    findings = [_finding("a.py", 10, 0.9), _finding("b.py", 5, 0.6), _finding("c.py", 1, 0.5), _finding("c.py", 20, 0.3)]
    best, scores = best_threshold(findings, labels, [0.2, 0.4, 0.55, 0.6, 0.8])
    assert best == 0.55
    assert scores[0.55].lines.f1 == pytest.approx(1.0)
    assert scores[0.4].lines.f1 < 1.0 and scores[0.8].lines.f1 < 1.0  # 0.8 loses b.py's sink


def test_the_current_threshold_is_kept_unless_the_best_beats_it_by_more_than_the_margin():
    labels = [FileLabel(path="a.py", vulnerable=True, findings=[LabelFinding(cwe="CWE-89", line=10)]),
              FileLabel(path="b.py", vulnerable=True, findings=[LabelFinding(cwe="CWE-89", line=5)]),
              FileLabel(path="c.py", vulnerable=False)]
    findings = [_finding("a.py", 10, 0.9), _finding("b.py", 5, 0.6), _finding("c.py", 1, 0.5), _finding("c.py", 20, 0.3)]
    candidates = [0.2, 0.4, 0.55, 0.6, 0.8]
    # at 0.45 one false alarm remains: F1 0.8 against the best's 1.0
    assert best_threshold(findings, labels, candidates, current=0.45, margin=0.25)[0] == 0.45
    best, scores = best_threshold(findings, labels, candidates, current=0.45, margin=0.1)
    assert best == 0.55 and scores[0.45].lines.f1 == pytest.approx(0.8)
    assert best_threshold(findings, labels, candidates, current=0.6)[0] == 0.6  # as good as the best: no change
    assert best_threshold(findings, labels, candidates, current=None)[0] == 0.55


def test_set_preset_threshold_rewrites_only_that_preset(tmp_path):
    path = tmp_path / "models.yaml"
    path.write_text(PRESETS)
    set_preset_threshold(path, "aegis-mini", 0.463)
    text = path.read_text()
    assert "      threshold: 0.46   # calibrated by aegis_cli.mini.ship" in text
    assert "threshold: 0.70" not in text
    assert "# top comment" in text and "sink_check: true  # keep me" in text
    assert "      threshold: 0.5\n" in text  # the other preset keeps its own
    assert text.replace("0.46", "0.70") == PRESETS


def test_set_preset_threshold_adds_a_labels_block_where_there_is_none(tmp_path):
    from aegis_cli.mini.ship import _current_threshold

    path = tmp_path / "models.yaml"
    path.write_text("presets:\n  aegis-mini:\n    id: builtin:aegis-mini\n    kind: token-classifier\n\n"
                    "  other:\n    id: x\n")
    assert _current_threshold(path) is None  # the schema's default is not a calibrated choice to keep
    set_preset_threshold(path, "aegis-mini", 0.5)
    assert _current_threshold(path) == 0.5
    import yaml

    data = yaml.safe_load(path.read_text())["presets"]
    assert data["aegis-mini"]["labels"] == {"threshold": 0.5}
    assert data["other"] == {"id": "x"}
    with pytest.raises(SystemExit):
        set_preset_threshold(path, "missing", 0.5)


def _safetensors_dtypes(path: Path) -> set[str]:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    return {v["dtype"] for k, v in header.items() if k != "__metadata__"}


@pytest.mark.slow
def test_ship_calibrates_on_the_calibration_split_and_writes_a_card(tmp_path, capsys):
    """Ship the packaged model into a temp folder with small splits: fp16 copy under 25 MiB, the threshold
    written into a copy of the presets is the one that maximises line F1 on the *calibration* split (scanned
    again here the same way), and the card says so."""
    from aegis_cli.evaluate import load_labels
    from aegis_cli.mini.dataset import write_split
    from aegis_cli.mini.ship import LOW_THRESHOLD, main, package_presets, scan_findings
    from aegis_cli.providers.hf_common import builtin_dir
    from aegis_cli.providers.presets import load_presets

    dest = tmp_path / "shipped"
    presets = tmp_path / "models.yaml"
    package_text = package_presets().read_text()
    presets.write_text(package_text)
    rc = main([str(builtin_dir("aegis-mini")), "--dest", str(dest), "--presets", str(presets),
               "--calibration", "30", "--validation", "12", "--heldout", "12", "--report-dir", str(tmp_path / "none")])
    assert rc == 0
    assert _safetensors_dtypes(dest / "model.safetensors") == {"F16"}
    assert sum(f.stat().st_size for f in dest.iterdir()) < 25 * 2**20
    assert (dest / "tokenizer.json").is_file()

    chosen = load_presets(presets)["aegis-mini"].labels.threshold
    calibration = write_split(tmp_path / "cal", split="calibration", n=30, seed=0, background="stdlib")
    low, _ = scan_findings(calibration, dest, LOW_THRESHOLD)
    current = load_presets(package_presets())["aegis-mini"].labels.threshold  # kept unless clearly beaten
    expected, _ = best_threshold(low, load_labels(calibration / "labels.json"), current=current)
    assert chosen == pytest.approx(expected)
    assert f"threshold {expected:.2f} (calibration line F1" in capsys.readouterr().out

    card = (dest / "README.md").read_text()
    assert f"| threshold | {expected:.2f} " in card and "30 files of the calibration split" in card
    for row in ("| validation |", "| calibration (new names) |", "| held-out |", "| vulnerable-shop (hand-written) |"):
        assert row in card
    assert package_presets().read_text() == package_text  # --presets: the package's own file is untouched
