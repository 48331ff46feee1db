"""The findings-JSON extractor on output written the way real models write it, plus
properties: arbitrary text never raises, and clean findings survive any wrapping."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aegis_cli.providers.json_extract import ERRORS, MAX_CHARS, Extraction, RawFinding, extract_findings

SQLI = {"line_start": 12, "line_end": 14, "cwe": "CWE-89", "severity": "high", "confidence": 0.85,
        "title": "SQL injection", "description": "name is concatenated into the query",
        "recommendation": "use a parameterised query"}
EXPECTED_SQLI = RawFinding(12, 14, "CWE-89", "high", 0.85, "SQL injection", "name is concatenated into the query",
                           "use a parameterised query")


def one(text: str) -> RawFinding:
    result = extract_findings(text)
    assert result.ok, result
    assert len(result.findings) == 1, result
    return result.findings[0]


# --------------------------------------------------------------- messy outputs
def test_markdown_fence_with_language_tag():
    text = "```json\n" + json.dumps({"findings": [SQLI]}, indent=2) + "\n```"
    result = extract_findings(text)
    assert result.findings == (EXPECTED_SQLI,) and "fenced" in result.repairs


def test_prose_before_and_after_the_object():
    text = ("Sure! I reviewed the code carefully. Here are my findings:\n\n" + json.dumps({"findings": [SQLI]})
            + "\n\nLet me know if you want me to explain any of these {in more detail}.")
    result = extract_findings(text)
    assert result.findings == (EXPECTED_SQLI,) and "prose" in result.repairs


def test_trailing_commas_everywhere():
    text = '{"findings": [{"line_start": 3, "cwe": "CWE-78", "title": "cmd",},],}'
    f = one(text)
    assert (f.line_start, f.line_end, f.cwe, f.title) == (3, 3, "CWE-78", "cmd")


def test_findings_given_as_a_json_string():
    inner = json.dumps([SQLI])
    result = extract_findings(json.dumps({"findings": inner}))
    assert result.findings == (EXPECTED_SQLI,) and "findings-as-string" in result.repairs


def test_confidence_as_percent_number_string_and_word():
    assert one('{"findings": [{"line": 1, "confidence": 85}]}').confidence == 0.85
    assert one('{"findings": [{"line": 1, "confidence": "90%"}]}').confidence == 0.9
    assert one('{"findings": [{"line": 1, "confidence": "0.7"}]}').confidence == 0.7
    assert one('{"findings": [{"line": 1, "confidence": "High"}]}').confidence == 0.9
    assert one('{"findings": [{"line": 1, "confidence": 450}]}').confidence is None  # nonsense is unknown
    assert one('{"findings": [{"line": 1, "confidence": -0.2}]}').confidence is None


def test_missing_fields_stay_none():
    f = one('{"findings": [{"line_start": 7}]}')
    assert f == RawFinding(line_start=7, line_end=7)


def test_single_quotes_and_python_literals():
    text = "{'findings': [{'line_start': 4, 'cwe': 'CWE-502', 'is_vulnerable': True, 'fix': None, 'title': 'pickle'}]}"
    f = one(text)
    assert (f.line_start, f.cwe, f.title, f.recommendation) == (4, "CWE-502", "pickle", None)
    assert "lenient" in extract_findings(text).repairs


def test_truncated_output_keeps_the_complete_findings():
    full = json.dumps({"findings": [SQLI, {**SQLI, "line_start": 30, "line_end": 31, "cwe": "CWE-79"}]})
    cut = full[: full.index("CWE-79") + 3]  # max_new_tokens ran out inside the second finding
    result = extract_findings(cut)
    assert result.ok and result.findings == (EXPECTED_SQLI,) and "truncated" in result.repairs


def test_truncated_inside_a_string_of_the_first_finding_keeps_nothing_but_is_still_a_findings_list():
    result = extract_findings('{"findings": [{"line_start": 3, "title": "SQL inj')
    assert result.ok and result.findings == ()


def test_several_json_objects_are_merged_and_repeats_dropped():
    a = json.dumps({"findings": [SQLI]})
    b = json.dumps({"findings": [{"line_start": 40, "cwe": "CWE-22", "title": "path traversal"}]})
    result = extract_findings(f"{a}\n{b}\n{a}")
    assert [f.line_start for f in result.findings] == [12, 40] and "several-objects" in result.repairs


def test_nested_result_keys():
    text = json.dumps({"result": {"analysis": {"vulnerabilities": [SQLI]}}})
    result = extract_findings(text)
    assert result.findings == (EXPECTED_SQLI,) and "nested" in result.repairs


@pytest.mark.parametrize("lines, expected", [
    ({"line_start": "12-15"}, (12, 15)),
    ({"lines": "L12–L15"}, (12, 15)),
    ({"lines": [12, 15]}, (12, 15)),
    ({"line": "line 12"}, (12, 12)),
    ({"location": "src/app2.py:40-42"}, (40, 42)),
    ({"line_range": {"start": 8, "end": 9}}, (8, 9)),
    ({"start_line": 20, "end_line": 18}, (18, 20)),
    ({"line_number": 0}, (None, None)),
])
def test_line_ranges_in_their_many_spellings(lines, expected):
    f = one(json.dumps({"findings": [{**lines, "cwe": "CWE-1"}]}))
    assert (f.line_start, f.line_end) == expected


@pytest.mark.parametrize("cwe, expected", [
    ("CWE-89", "CWE-89"), ("cwe 79", "CWE-79"), (78, "CWE-78"), ("CWE-089: SQL Injection", "CWE-89"),
    (["CWE-22", "CWE-23"], "CWE-22"), ("22", "CWE-22"), ("none", None), ("CWE-0", None),
])
def test_cwe_spellings(cwe, expected):
    assert one(json.dumps({"findings": [{"line": 1, "cwe": cwe}]})).cwe == expected


def test_severity_words_and_cvss_scores():
    assert one('{"findings": [{"line": 1, "severity": "HIGH (CVSS 8.1)"}]}').severity == "high"
    assert one('{"findings": [{"line": 1, "severity": 9.8}]}').severity == "critical"
    assert one('{"findings": [{"line": 1, "risk": "Medium"}]}').severity == "medium"
    assert one('{"findings": [{"line": 1, "severity": "whatever"}]}').severity is None


def test_think_block_is_ignored():
    text = '<think>Maybe {"findings": [{"line_start": 99}]} ... no.</think>\n{"findings": []}'
    result = extract_findings(text)
    assert result.ok and result.findings == () and "think-block" in result.repairs


def test_comments_and_missing_commas():
    text = """{
      // the model explains itself
      "findings": [
        {"line_start": 5 "cwe": "CWE-798" /* hard-coded */ "title": "password"}
        {"line_start": 9, "cwe": "CWE-327"}
      ]
    }"""
    result = extract_findings(text)
    assert [(f.line_start, f.cwe) for f in result.findings] == [(5, "CWE-798"), (9, "CWE-327")]


def test_bare_list_of_findings_and_alternative_field_names():
    text = '[{"line": 4, "vulnerability": "Hard-coded secret", "message": "key in source", "fix": "use env"}]'
    f = one(text)
    assert (f.title, f.description, f.recommendation) == ("Hard-coded secret", "key in source", "use env")


def test_no_findings_answers():
    for text in ('{"findings": []}', '{"findings": null}', '{"findings": "None found."}',
                 '```json\n{"findings": []}\n```\nNo vulnerabilities.'):
        result = extract_findings(text)
        assert result.ok and result.findings == (), text


def test_unquoted_keys_and_js_style():
    f = one("{findings: [{line_start: 3, cwe: 'CWE-94', title: `eval`, confidence: .8}]}")
    assert (f.line_start, f.cwe, f.confidence) == (3, "CWE-94", 0.8)


@pytest.mark.parametrize("text, error", [
    ("", "empty"),
    ("   \n ", "empty"),
    ("I could not find any issues in this code.", "no-json"),
    ("{this is not json}", "no-json"),
    ('{"summary": "looks fine", "score": 10}', "no-findings"),
    ("[1, 2, 3]", "no-findings"),
])
def test_documented_failures(text, error):
    result = extract_findings(text)
    assert not result.ok and result.error == ERRORS[error] and result.findings == ()


def test_long_text_fields_are_capped_and_many_findings_limited():
    items = [{"line": i + 1, "description": "x" * 10_000} for i in range(300)]
    result = extract_findings(json.dumps({"findings": items})[:MAX_CHARS * 4])
    assert result.ok and 0 < len(result.findings) <= 200
    assert all(len(f.description or "") <= 2000 for f in result.findings)


def test_deep_nesting_is_refused_not_a_crash():
    result = extract_findings("[" * 50_000 + "]" * 50_000)
    assert isinstance(result, Extraction) and not result.ok


# ------------------------------------------------------------------ properties
@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises(text):
    result = extract_findings(text)
    assert isinstance(result, Extraction)
    if not result.ok:
        assert result.error in ERRORS.values() and result.findings == ()
    for f in result.findings:
        assert f.confidence is None or 0.0 <= f.confidence <= 1.0
        assert f.line_start is None or (0 < f.line_start <= f.line_end)


_junk = st.text(alphabet=st.characters(blacklist_characters="{}[]\"'`", blacklist_categories=("Cs",)), max_size=40)
_json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_junk, _json_like, _junk, st.integers(min_value=0, max_value=400))
def test_json_like_text_with_junk_and_cuts_never_raises(before, value, after, cut):
    text = before + json.dumps(value) + after
    for variant in (text, text[:cut], text.replace('"', "'")):
        assert isinstance(extract_findings(variant), Extraction)


_finding = st.fixed_dictionaries({
    "line_start": st.integers(min_value=1, max_value=5000),
    "cwe": st.integers(min_value=1, max_value=1400).map(lambda n: f"CWE-{n}"),
    "severity": st.sampled_from(["critical", "high", "medium", "low"]),
    "confidence": st.integers(min_value=0, max_value=100).map(lambda n: n / 100),
    "title": st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30).filter(str.strip),
})


@settings(max_examples=150, deadline=None)
@given(_junk, st.lists(_finding, min_size=1, max_size=5, unique_by=lambda d: (d["line_start"], d["cwe"])), _junk,
       st.booleans())
def test_clean_findings_survive_prose_and_fences(before, findings, after, fenced):
    body = json.dumps({"findings": findings}, indent=2 if fenced else None)
    text = f"{before}\n```json\n{body}\n```\n{after}" if fenced else f"{before}{body}{after}"
    result = extract_findings(text)
    assert result.ok
    got = [(f.line_start, f.cwe, f.severity, f.confidence, f.title) for f in result.findings]
    assert got == [(d["line_start"], d["cwe"], d["severity"], d["confidence"], d["title"].strip()) for d in findings]
