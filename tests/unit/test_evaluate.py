import json

import pytest

from aegis_cli.errors import InputError
from aegis_cli.evaluate import FileLabel, LabelFinding, load_labels, score
from aegis_cli.scan.findings import Finding


def f(path, line, end=None, cwe=None):
    return Finding(path=path, start_line=line, end_line=end or line, cwe=cwe, severity="high", confidence=0.9,
                   message="m", snippet=f"{path}:{line}")


LABELS = [
    FileLabel(path="a.py", vulnerable=True, findings=[LabelFinding(cwe="CWE-89", line=10), LabelFinding(cwe="CWE-78", line=40, end_line=42)]),
    FileLabel(path="b.js", vulnerable=True, findings=[LabelFinding(cwe="CWE-79", line=5)]),
    FileLabel(path="c.go", vulnerable=False),
    FileLabel(path="d.c", vulnerable=False),
]


def test_line_and_file_scores_count_exactly():
    findings = [
        f("a.py", 13, cwe="CWE-89"),  # 3 lines from the sink: matches, right CWE
        f("a.py", 46, cwe="CWE-22"),  # 4 lines after the 40-42 span: no match -> FP; that label -> FN
        f("b.js", 5, 6, cwe="CWE-79"),  # overlaps: match
        f("b.js", 5, cwe="CWE-79"),  # a second finding cannot match the same label: FP
        f("c.go", 1),  # file labelled safe: file FP, line FP
        f("zzz.py", 1),  # not labelled: not scored, counted
    ]
    s = score(findings, LABELS)
    assert (s.lines.tp, s.lines.fp, s.lines.fn) == (2, 3, 1)
    assert s.lines.precision == pytest.approx(2 / 5) and s.lines.recall == pytest.approx(2 / 3)
    assert s.lines.f1 == pytest.approx(2 * 0.4 * (2 / 3) / (0.4 + 2 / 3))
    assert (s.files.tp, s.files.fp, s.files.fn) == (2, 1, 0)
    assert s.cwe_matches == 2 and s.cwe_accuracy == 1.0
    assert s.unlabelled_findings == 1
    assert (s.by_language["python"].tp, s.by_language["python"].fp, s.by_language["python"].fn) == (1, 1, 1)
    assert s.by_cwe["CWE-78"].recall == 0.0 and s.by_cwe["CWE-89"].recall == 1.0
    assert s.by_language["c"].tp + s.by_language["c"].fp + s.by_language["c"].fn == 0


def test_closest_finding_wins_and_wrong_cwe_lowers_accuracy():
    labels = [FileLabel(path="a.py", vulnerable=True, findings=[LabelFinding(cwe="CWE-89", line=10)])]
    s = score([f("a.py", 12, cwe="CWE-79"), f("a.py", 10, cwe="CWE-89")], labels)
    assert (s.lines.tp, s.lines.fp) == (1, 1) and s.cwe_accuracy == 1.0
    s2 = score([f("a.py", 12, cwe="CWE-79")], labels)
    assert s2.lines.tp == 1 and s2.cwe_accuracy == 0.0


def test_nothing_found_and_nothing_labelled():
    s = score([], [FileLabel(path="x.py", vulnerable=False)])
    assert s.lines.precision is None and s.lines.recall is None and s.cwe_accuracy is None


def test_labels_file_errors_are_clear(tmp_path):
    p = tmp_path / "labels.json"
    p.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_labels(p)
    p.write_text(json.dumps([{"path": "a.py"}]))
    with pytest.raises(InputError, match="vulnerable"):
        load_labels(p)
    p.write_text(json.dumps([{"path": "a.py", "vulnerable": False}] * 2))
    with pytest.raises(InputError, match="twice"):
        load_labels(p)
    with pytest.raises(InputError, match="not found"):
        load_labels(tmp_path / "missing.json")
