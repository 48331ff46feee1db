"""`aegis scan` as a user runs it: a real subprocess, stdout for results, stderr for events."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
STARTED = re.compile(r"^\[INFO\] Model started: (?P<name>\S+) on cpu \(loaded in \d+ms\)$")
COMPLETED = re.compile(
    r"^\[SUCCESS\] Model completed: (?P<name>\S+) \(\d+ms, (?P<findings>\d+) findings, (?P<tokens>\d+) tokens, "
    r"(?P<speed>\d+\.\d) tok/s\)$")


def aegis(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "aegis_cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_sarif_output_validates_and_each_model_prints_its_two_lines(tmp_path, repo_zip, keyword_models, quiet_classifier):
    import jsonschema

    _, tok = keyword_models
    out = tmp_path / "out.sarif"
    log = tmp_path / "events.jsonl"
    r = aegis("scan", str(repo_zip), "--model", str(tok), "--model", str(quiet_classifier), "--format", "sarif",
              "--output", str(out), "--no-tui", "--telemetry-log", str(log))
    assert r.returncode == 1, r.stderr  # one critical CWE-78 finding, --fail-on high by default
    assert r.stdout == ""  # results went to --output; stdout stays clean
    lines = r.stderr.splitlines()
    started = [m for m in map(STARTED.match, lines) if m]
    completed = [m for m in map(COMPLETED.match, lines) if m]
    assert [m["name"] for m in started] == ["kw-tok", "quiet"]
    assert [m["name"] for m in completed] == ["kw-tok", "quiet"]
    sarif = json.loads(out.read_text())
    jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert [(x["ruleId"], x["level"]) for x in results] == [("CWE-78", "error")]
    # the event line's token count is the telemetry the SARIF run carries
    models = {m["name"]: m for m in sarif["runs"][0]["properties"]["models"]}
    assert int(completed[0]["tokens"]) == models["kw-tok"]["total_tokens"] > 0
    assert int(completed[0]["findings"]) == models["kw-tok"]["findings"] == 1
    # the JSONL log replays into the same figures
    from aegis_cli.telemetry import ModelCall, read_jsonl

    calls = [e for e in read_jsonl(log) if isinstance(e, ModelCall) and e.model_id == "kw-tok"]
    assert sum(c.input_tokens for c in calls) == models["kw-tok"]["input_tokens"]


def test_json_to_stdout_pipes_cleanly_and_lists_skips(repo_zip, quiet_classifier):
    r = aegis("scan", str(repo_zip), "--model", str(quiet_classifier), "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    reasons = {s["path"]: s["reason"] for s in data["skipped"]}
    assert reasons["README.md"] == "not a recognised source language"
    assert data["summary"]["findings"] == 0 and data["models"][0]["status"] == "completed"


@pytest.mark.parametrize(("args", "code", "message"), [
    (["no-such-dir"], 2, "scan target not found"),
    (["{zip}", "--model", "/nonexistent/model"], 2, "not found"),
    (["{zip}", "--format", "yaml"], 2, "yaml"),
    (["{zip}", "--output", "/nonexistent/dir/out.json"], 2, "does not exist"),
])
def test_bad_input_is_one_clear_line_and_exit_2(repo_zip, args, code, message):
    r = aegis("scan", *[a.replace("{zip}", str(repo_zip)) for a in args], "--no-tui")
    assert r.returncode == code, (r.stdout, r.stderr)
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_a_failed_model_beside_a_working_one_exits_3_and_still_writes(tmp_path, repo_zip, quiet_classifier):
    out = tmp_path / "r.md"
    r = aegis("scan", str(repo_zip), "--model", str(quiet_classifier), "--model", str(tmp_path / "gone"),
              "--output", str(out), "--no-tui")
    assert r.returncode == 3
    assert re.search(r"^\[ERROR\] Model failed: gone \(model path .* not found\)$", r.stderr, re.M)
    assert out.read_text().startswith("#")
