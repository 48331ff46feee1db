"""SARIF 2.1.0 export: schema-valid, rules/levels/severities right, skips and failures reported,
hostile text inert. The schema is the OASIS one, copied into tests/data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from aegis_cli.redact import is_secret_name
from aegis_cli.scan.export import render
from aegis_cli.scan.export.sarif import FINGERPRINT_KEY, artifact_uri, to_sarif
from aegis_cli.scan.result import SkippedFile
from helpers.export_samples import HOSTILE_PATH, finding, hostile_result, model, result, rich_result

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
_SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = jsonschema.validators.validator_for(_SCHEMA)(_SCHEMA)
# RFC 3986 relative reference: only URI characters, every % followed by two hex digits,
# and no ":" before the first "/" (it would read as a scheme)
_URI_REF = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*$")


@pytest.fixture(autouse=True)
def _no_secrets_in_env(monkeypatch):
    """Secret scrubbing masks env values; keep unrelated CI secrets from touching exact assertions."""
    import os

    for name in list(os.environ):
        if is_secret_name(name):
            monkeypatch.delenv(name)


def sarif_of(res) -> dict:
    text = render(res, "sarif")
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    return data


def assert_valid(data: dict) -> None:
    errors = sorted(VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    for uri in _all_uris(data):
        assert _URI_REF.match(uri) and ":" not in uri.split("/")[0], uri


def _all_uris(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("artifactLocation", "location") and isinstance(value, dict) and "uri" in value:
                yield value["uri"]
            yield from _all_uris(value)
    elif isinstance(node, list):
        for item in node:
            yield from _all_uris(item)


def test_rich_result_validates_and_has_the_documented_shape():
    data = sarif_of(rich_result())
    assert_valid(data)
    assert data["version"] == "2.1.0"
    run = data["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "aegis" and driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == ["CWE-79", "CWE-89", "aegis/insecure-code"]
    assert len(run["results"]) == 5
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == "file:///srv/repo/"
    assert run["automationDetails"]["id"].startswith("aegis/")


def test_each_result_points_at_its_rule_and_cwe_rules_carry_cwe_metadata():
    res = rich_result()
    run = sarif_of(res)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for f, r in zip(res.findings, run["results"], strict=True):
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"] == f.rule_id
    cwe89 = rules[1]
    assert cwe89["name"] == "SQLInjection"
    assert cwe89["shortDescription"]["text"] == "SQL Injection (CWE-89)"
    assert cwe89["helpUri"] == "https://cwe.mitre.org/data/definitions/89.html"
    assert cwe89["properties"]["tags"] == ["security", "external/cwe/cwe-89"]
    generic = rules[2]
    assert generic["properties"]["tags"] == ["security"]
    assert "helpUri" not in generic


def test_rule_severity_is_the_worst_of_its_results():
    rules = sarif_of(rich_result())["runs"][0]["tool"]["driver"]["rules"]
    cwe79 = rules[0]  # one high and one medium result
    assert cwe79["properties"]["security-severity"] == "8.0"
    assert cwe79["defaultConfiguration"]["level"] == "error"
    generic = rules[2]  # low and info
    assert generic["properties"]["security-severity"] == "3.0"
    assert generic["defaultConfiguration"]["level"] == "note"


@pytest.mark.parametrize(
    ("severity", "level", "security_severity"),
    [("critical", "error", "9.5"), ("high", "error", "8.0"), ("medium", "warning", "5.5"),
     ("low", "note", "3.0"), ("info", "note", "0.0")],
)
def test_levels_and_security_severity_per_severity(severity, level, security_severity):
    run = sarif_of(result([finding(severity=severity)]))["runs"][0]
    r = run["results"][0]
    assert r["level"] == level
    assert r["properties"]["security-severity"] == security_severity
    assert r["properties"]["severity"] == severity
    assert run["tool"]["driver"]["rules"][0]["properties"]["security-severity"] == security_severity


def test_result_location_fingerprint_and_properties():
    f = finding("app/db.py", 10, 12, "CWE-89", "critical", models=["codebert", "other"], flags=["lines-clamped"])
    r = sarif_of(result([f]))["runs"][0]["results"][0]
    loc = r["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "app/db.py", "uriBaseId": "SRCROOT", "index": 0}
    assert loc["region"] == {"startLine": 10, "endLine": 12, "snippet": {"text": "cur.execute(q % name)"}}
    assert r["partialFingerprints"] == {FINGERPRINT_KEY: f.fingerprint}
    assert r["properties"]["models"] == ["codebert", "other"]
    assert r["properties"]["confidence"] == pytest.approx(0.93)
    assert r["properties"]["cwe"] == "CWE-89"
    assert r["properties"]["flags"] == ["lines-clamped"]
    assert r["message"]["text"] == "SQL query built from request data"


def test_skips_failed_models_and_warnings_are_notifications():
    res = rich_result()
    run = sarif_of(res)["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False  # one model failed
    notes = invocation["toolExecutionNotifications"]
    skips = [n for n in notes if n["descriptor"]["id"] == "aegis/skipped-file"]
    assert [n["message"]["text"] for n in skips] == ["Skipped: vendored (node_modules)", "Skipped: binary",
                                                     "Skipped: minified"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in skips] == \
        ["node_modules/", "img/logo.png", "dist/app.min.js"]
    assert all(n["level"] == "note" for n in skips)
    failed = [n for n in notes if n["descriptor"]["id"] == "aegis/model-failed"]
    assert len(failed) == 1 and failed[0]["level"] == "error"
    assert failed[0]["message"]["text"] == "Model failed: other (CUDA out of memory)"
    warnings = [n for n in notes if n["level"] == "warning"]
    assert [n["message"]["text"] for n in warnings] == ["1 line longer than the context was split"]
    descriptors = run["tool"]["driver"]["notifications"]
    for n in notes:
        assert descriptors[n["descriptor"]["index"]]["id"] == n["descriptor"]["id"]
    assert invocation["startTimeUtc"] == res.started_at


def test_run_properties_carry_per_model_telemetry_and_summary():
    res = rich_result()
    props = sarif_of(res)["runs"][0]["properties"]
    assert [m["name"] for m in props["models"]] == ["codebert", "other"]
    assert props["models"][0]["load_time_ms"] == 812.0
    assert props["models"][0]["tokens_per_s"] == pytest.approx(14705.9)
    assert props["models"][1]["status"] == "failed" and props["models"][1]["load_time_ms"] is None
    assert props["summary"]["files_scanned"] == 12 and props["summary"]["files_skipped"] == 3
    assert props["summary"]["by_severity"] == {"critical": 1, "high": 1, "medium": 1, "low": 1, "info": 1}
    assert props["duration_s"] == 7.25 and props["target"] == "/srv/repo"


def test_clean_run_is_successful_and_empty_run_validates():
    data = sarif_of(result([], skipped=[]))
    assert_valid(data)
    run = data["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["invocations"][0]["toolExecutionNotifications"] == []


def test_zip_target_has_no_file_uri_for_srcroot():
    data = sarif_of(result(target="upload.ZIP"))
    assert "uri" not in data["runs"][0]["originalUriBaseIds"]["SRCROOT"]
    assert_valid(data)


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("a b/c.py", "a%20b/c.py"),
        ("100%/x#1.py", "100%25/x%231.py"),
        ("ü/ñ.js", "%C3%BC/%C3%B1.js"),
        ("c:evil.py", "c%3Aevil.py"),  # not a URI scheme
        ("q?x=1.py", "q%3Fx%3D1.py"),
        ("x\\x1b.py", "x%5Cx1b.py"),  # a backslash is data (display_path escapes)
    ],
)
def test_artifact_uris_are_percent_encoded(path, uri):
    assert artifact_uri(path) == uri


def test_hostile_text_is_inert_and_the_log_still_validates():
    text = render(hostile_result(), "sarif")
    assert "\x1b" not in text and "\\u001b" not in text  # ANSI stripped, not merely escaped
    assert "\x00" not in text and "\\u0000" not in text and "\x07" not in text
    assert "\u202e" not in text  # bidi override shown, never applied
    data = json.loads(text)
    assert_valid(data)
    run = data["runs"][0]
    first, second = run["results"]
    msg = first["message"]["text"]
    assert msg.startswith("\\[bold red\\]x\\[/\\] blink <script>alert(1)</script> | pipes |")
    assert "[" not in msg.replace("\\[", "")  # every bracket escaped: no embedded links
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "dir%20with%20space/%C3%BC%231%25.js"
    assert first["locations"][0]["physicalLocation"]["region"]["snippet"]["text"] == \
        "a = `x`\n```\nrm -rf / # ansi\n````\nend"
    assert first["properties"]["models"] == ["[red]m[/] | x"]
    assert first["properties"]["flags"] == ["flag"]
    assert second["message"]["text"] == "bidi \\u202e reversed"
    assert second["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/%5Cu202eevil.py"
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["message"]["text"] == "Skipped: reason with \\[bold\\]markup\\[/\\] | pipe <x>"
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "badname.py"
    assert notes[1]["message"]["text"] == "Model failed: failing (boom \\[red\\]x\\[/\\] <script>)"
    assert run["properties"]["models"][0]["name"] == "[bold]evil[/]"
    assert HOSTILE_PATH not in text


def test_backslash_before_bracket_is_escaped_so_links_cannot_be_forged():
    data = sarif_of(result([finding(message="a\\[b](1) c")]))
    assert data["runs"][0]["results"][0]["message"]["text"] == "a\\\\\\[b\\](1) c"


def test_non_finite_figures_become_null():
    res = result(models=[model(tokens_per_s=float("nan"), vram_mb=float("inf"), avg_latency_ms=float("-inf"))])
    text = render(res, "sarif")
    assert "NaN" not in text and "Infinity" not in text
    m = json.loads(text)["runs"][0]["properties"]["models"][0]
    assert m["tokens_per_s"] is None and m["vram_mb"] is None and m["avg_latency_ms"] is None


def test_secret_values_from_the_environment_never_reach_the_log(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_SENTINELsecret123")
    monkeypatch.setenv("MY_SERVICE_PASSWORD", "pw-SENTINEL-456")
    res = result(
        [finding(message="token hf_SENTINELsecret123 in code", snippet="key = 'pw-SENTINEL-456'")],
        [model(status="failed", error="401 for Bearer hf_SENTINELsecret123")],
        [SkippedFile("x.py", "pw-SENTINEL-456")],
        warnings=["header hf_SENTINELsecret123"],
    )
    for fmt in ("sarif", "json", "markdown", "table"):
        out = render(res, fmt)
        assert "SENTINEL" not in out, fmt
        assert "***" in out, fmt
    # the dict API scrubs as well
    assert "SENTINEL" not in json.dumps(to_sarif(res))
