"""Hub push against a real HTTP server on localhost speaking the Hub's upload API (create, preupload, commit)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aegis_cli.errors import ExitCode
from helpers.tiny_train import train_config

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class FakeHub:
    """Just enough of the Hub: validate-yaml, repos/create, preupload (all 'regular'), commit (ndjson)."""

    def __init__(self, *, refuse: bool = False):
        self.refuse = refuse
        self.requests: list[tuple[str, str, str]] = []
        self.committed: list[str] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, code, obj):
                data = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hub.requests.append(("POST", self.path, self.headers.get("Authorization", "")))
                if hub.refuse:
                    return self._send(401, {"error": "Invalid credentials in Authorization header"})
                host = f"http://{self.headers['Host']}"
                if self.path == "/api/validate-yaml":  # the model card's metadata (peft writes a README.md)
                    return self._send(200, {})
                if self.path == "/api/repos/create":
                    return self._send(200, {"url": f"{host}/aegis-test/tiny-lora", "name": "aegis-test/tiny-lora"})
                if "/preupload/" in self.path:
                    files = json.loads(body)["files"]
                    return self._send(200, {"files": [{"path": f["path"], "uploadMode": "regular",
                                                       "shouldIgnore": False} for f in files]})
                if "/commit/" in self.path:
                    for line in body.decode().splitlines():
                        item = json.loads(line)
                        if item["key"] == "file":
                            hub.committed.append(item["value"]["path"])
                    return self._send(200, {"commitUrl": f"{host}/aegis-test/tiny-lora/commit/{COMMIT}",
                                            "commitOid": COMMIT, "pullRequestUrl": None})
                return self._send(404, {"error": "not found"})

            def do_GET(self):
                hub.requests.append(("GET", self.path, ""))
                self._send(404, {"error": "not found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def online_hub(monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # the tests' default is offline
    monkeypatch.setenv("HF_TOKEN", "hf_sentinelPUSHTOKEN0001")


def _run(cfg):
    from aegis_cli.train.runner import run_training

    return run_training(cfg, handle_sigint=False)


def test_push_records_the_commit_the_upload_returned(tmp_path, online_hub):
    hub = FakeHub()
    try:
        cfg = train_config(tmp_path, max_steps=2, hub={"push": True, "repo_id": "aegis-test/tiny-lora",
                                                        "endpoint": hub.url, "timeout_s": 10})
        outcome = _run(cfg)
    finally:
        hub.close()
    assert outcome.status == "completed" and outcome.exit_code == ExitCode.OK
    assert outcome.hub["ok"] is True and outcome.hub["commit_sha"] == COMMIT
    assert {"adapter_config.json", "adapter_model.safetensors"} <= set(hub.committed)
    assert all(auth == "Bearer hf_sentinelPUSHTOKEN0001" for method, _, auth in hub.requests if method == "POST")
    report = outcome.report_md.read_text()
    assert f"at commit `{COMMIT}`" in report
    assert f"{hub.url}/aegis-test/tiny-lora/blob/{COMMIT}/adapter_config.json" in report
    history = json.loads(outcome.history_json.read_text())
    assert history["hub"]["commit_sha"] == COMMIT and history["hub"]["repo_id"] == "aegis-test/tiny-lora"
    assert "hf_sentinelPUSHTOKEN0001" not in report + outcome.history_json.read_text()


def test_refused_push_keeps_artifacts_and_says_why(tmp_path, online_hub):
    hub = FakeHub(refuse=True)
    try:
        cfg = train_config(tmp_path, max_steps=2, hub={"push": True, "repo_id": "aegis-test/tiny-lora",
                                                        "endpoint": hub.url, "timeout_s": 10})
        outcome = _run(cfg)
    finally:
        hub.close()
    assert outcome.status == "completed" and outcome.exit_code == ExitCode.PUSH_FAILED
    assert "401" in outcome.hub["error"] or "Unauthorized" in outcome.hub["error"]
    assert (outcome.final_dir / "adapter_config.json").is_file()
    assert "❌ Push to `aegis-test/tiny-lora` failed" in outcome.report_md.read_text()
