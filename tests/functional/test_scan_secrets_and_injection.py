"""Secrets never leak and hostile text stays inert, through a whole scan and every output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest

SENTINELS = {
    "COMET_API_KEY": "sentinel-comet-9f8e7d",
    "HF_TOKEN": "hf_sentinel_token_5c4b3a",
    "MY_SERVICE_SECRET": "sentinel-service-secret-77",
    "DB_PASSWORD": "sentinel-db-password-66",
    "OPENAI_API_KEY": "sk-sentinel-openai-55",
}
HOSTILE = "[bold red]pwned[/] \x1b[31mred\x1b[0m <script>alert(1)</script> | `tick` \x07bell"


@pytest.fixture()
def hostile_zip(tmp_path):
    from helpers.keyword_models import SINK

    path = tmp_path / "hostile.zip"
    with zipfile.ZipFile(path, "w") as zf:
        # file content and a file name carrying markup, escapes and a secret value
        zf.writestr("app/[link=http://evil]x[/link].py",
                    f"# {HOSTILE}\n# token: {SENTINELS['HF_TOKEN']}\n{SINK}\n")
        zf.writestr("app/ok.py", "def f():\n    return 1\n")
    return path


def test_no_secret_reaches_any_output_and_markup_stays_inert(tmp_path, hostile_zip, keyword_models):
    _, tok = keyword_models
    env = {**os.environ, **SENTINELS}
    outputs = {}
    for fmt, suffix in (("sarif", ".sarif"), ("json", ".json"), ("markdown", ".md"), ("table", ".txt")):
        out = tmp_path / f"out{suffix}"
        log = tmp_path / f"events-{fmt}.jsonl"
        r = subprocess.run([sys.executable, "-m", "aegis_cli", "scan", str(hostile_zip), "--model", str(tok),
                            "--format", fmt, "--output", str(out), "--no-tui", "--telemetry-log", str(log),
                            "--show-skips", "--fail-on", "none"],
                           capture_output=True, text=True, env=env, timeout=300)
        assert r.returncode == 0, r.stderr
        outputs[fmt] = out.read_text()
        outputs[f"log-{fmt}"] = log.read_text()
        outputs[f"console-{fmt}"] = r.stdout + r.stderr
    for name, text in outputs.items():
        for var, secret in SENTINELS.items():
            assert secret not in text, f"{var} leaked into {name}"
        assert "\x1b[31m" not in text and "\x07" not in text, f"raw escape in {name}"
    # the finding is there, its hostile path kept as data (escaped per format), never interpreted
    sarif = json.loads(outputs["sarif"])
    assert len(sarif["runs"][0]["results"]) == 1
    assert "<script>" not in outputs["markdown"]  # HTML is entity-escaped in Markdown
    # the table shows the markup-looking path literally (Rich did not turn it into a link)
    assert "[link=http:/evil]x[/link].py" in outputs["table"]
    assert str(tmp_path.parent) in outputs["table"] or "hostile.zip" in outputs["table"]
