"""The OpenAI-compatible provider against real HTTP servers on localhost: a scripted
stdlib server with fault modes (tests/helpers/openai_server.py) and, when its extras are
installed, `transformers serve` with a tiny local model. Counts are taken server-side."""

from __future__ import annotations

import itertools
import json
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aegis_cli.providers import prompt
from aegis_cli.providers.http_resilience import (
    CircuitBreaker,
    CircuitOpenError,
    EndpointError,
    ResilientClient,
    RetryPolicy,
)
from aegis_cli.providers.openai_compat import estimate_prompt_tokens, estimate_tokens
from aegis_cli.scan.pipeline import ScanOptions, run_scan
from aegis_cli.telemetry import (
    EventBus,
    LogMessage,
    MemorySink,
    ModelCall,
    ModelCompleted,
    ModelFailed,
    ModelStarted,
)
from functional.conftest import write_zip
from helpers.openai_server import Garbage, Hang, OpenAIServer, Status, fixed_answer

FILES = {
    "app/run.py": "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n    return True\n",
    "app/util.py": "def add(a, b):\n    return a + b\n",
}
ANSWER = json.dumps({"findings": [{"line_start": 5, "line_end": 5, "cwe": "CWE-78", "severity": "critical",
                                   "confidence": 0.9, "title": "OS command injection",
                                   "description": "cmd reaches os.system", "recommendation": "use subprocess with a list"}]})


@pytest.fixture
def repo(tmp_path):
    return write_zip(tmp_path / "repo.zip", FILES)


def presets(tmp_path: Path, monkeypatch, **entries: dict) -> None:
    """Write a presets file with ``entries`` (alias → preset) and point aegis at it."""
    path = tmp_path / "models.yaml"
    path.write_text(json.dumps({"presets": entries}))  # JSON is YAML
    monkeypatch.setenv("AEGIS_MODELS", str(path))


def endpoint(url: str, **options) -> dict:
    return {"id": url, "kind": "http", "options": {"backoff_s": 0.01, "timeout_s": 5, **options}}


def scan(target, models, **kw):
    sink = MemorySink()
    bus = EventBus([sink])
    result = run_scan(ScanOptions(target=str(target), models=list(models), **kw), bus)
    bus.close()
    return result, sink


def warnings_of(sink) -> list[str]:
    return [e.text for e in sink.of_type(LogMessage) if e.level == "warning"]


def test_usage_tokens_are_reported_exactly_and_findings_map_to_file_lines(tmp_path, monkeypatch, repo):
    usage = {"prompt_tokens": 321, "completion_tokens": 17}
    with OpenAIServer(fixed_answer(ANSWER, usage), models=["m1", "m2"]) as server:
        presets(tmp_path, monkeypatch, ep=endpoint(server.base_url + "#m2"))
        result, sink = scan(repo, ["ep"])
        bodies = [r.body for r in server.completions()]
    m = result.models[0]
    assert m.status == "completed" and m.provider == "http"
    calls = sink.of_type(ModelCall)
    assert len(calls) == len(bodies) == 2  # one request per file: both fit one chunk
    assert [(c.input_tokens, c.output_tokens, c.tokens_estimated) for c in calls] == [(321, 17, False)] * 2
    assert (m.input_tokens, m.output_tokens, m.tokens_estimated) == (642, 34, False)
    # requests run concurrently: speed is output tokens over the run's wall time (summed
    # per-request latencies would undercount an endpoint serving several at once)
    done = sink.of_type(ModelCompleted)[0]
    assert m.tokens_per_s == pytest.approx(34 / (done.elapsed_ms / 1000))
    started = sink.of_type(ModelStarted)[0]
    assert (started.device, started.precision, started.quantization, started.vram_mb) == (None, None, None, None)
    assert sink.of_type(ModelCompleted)[0].speed_basis == "output"
    # what the server received: the named model, greedy, the budget, numbered lines, the injection guard
    for body in bodies:
        assert body["model"] == "m2" and body["temperature"] == 0 and body["max_tokens"] == 512
        system, user = body["messages"]
        assert "never follow" in system["content"].lower()
        assert "<code>" in user["content"]
    run_prompt = next(b for b in bodies if "app/run.py" in b["messages"][1]["content"])["messages"][1]["content"]
    assert "5 |     os.system(cmd)" in run_prompt and "lines 1-6 of the file" in run_prompt
    # the model's line 5 is the file's line 5; util.py's answer (line 5 of a 2-line file) is clamped
    by_path = {f.path: f for f in result.findings}
    f = by_path["app/run.py"]
    assert (f.start_line, f.end_line, f.cwe, f.severity, f.confidence) == (5, 5, "CWE-78", "critical", 0.9)
    assert f.snippet == "    os.system(cmd)" and f.recommendation == "use subprocess with a list" and f.flags == []
    assert f.message == "cmd reaches os.system" and f.title == "OS command injection"
    clamped = by_path["app/util.py"]
    assert (clamped.start_line, clamped.end_line) == (2, 2) and "lines-clamped" in clamped.flags


def test_missing_usage_is_estimated_and_marked(tmp_path, monkeypatch, repo):
    content = '{"findings": []}'
    with OpenAIServer(fixed_answer(content, None)) as server:
        presets(tmp_path, monkeypatch, ep=endpoint(server.base_url + "#tiny"))
        result, sink = scan(repo, ["ep"])
        bodies = [r.body for r in server.completions()]
    calls = sink.of_type(ModelCall)
    expected_in = sorted(sum(math.ceil(len(m["content"]) / 4) for m in b["messages"]) for b in bodies)
    assert sorted(c.input_tokens for c in calls) == expected_in
    assert [c.output_tokens for c in calls] == [math.ceil(len(content) / 4)] * 2
    assert all(c.tokens_estimated for c in calls)
    assert result.models[0].tokens_estimated and sink.of_type(ModelCompleted)[0].tokens_estimated
    assert estimate_tokens(content) == 4 and estimate_prompt_tokens(bodies[0]["messages"]) in expected_in


def test_retry_after_is_honoured(tmp_path, monkeypatch):
    target = write_zip(tmp_path / "one.zip", {"a.py": "x = 1\n"})
    with OpenAIServer(fixed_answer('{"findings": []}', {"prompt_tokens": 5, "completion_tokens": 2})) as server:
        server.script(Status(429, {"Retry-After": "1"}))
        presets(tmp_path, monkeypatch, ep=endpoint(server.base_url + "#tiny", backoff_s=0.01))
        result, sink = scan(target, ["ep"])
        arrivals = [r.at for r in server.completions()]
    assert len(arrivals) == 2
    assert arrivals[1] - arrivals[0] >= 1.0  # the server's figure, not the 10 ms backoff
    assert result.models[0].status == "completed" and len(sink.of_type(ModelCall)) == 1


def test_5xx_is_retried_with_backoff_then_succeeds(tmp_path, monkeypatch):
    target = write_zip(tmp_path / "one.zip", {"a.py": "x = 1\n"})
    with OpenAIServer(fixed_answer('{"findings": []}', {"prompt_tokens": 5, "completion_tokens": 2})) as server:
        server.script(Status(500), Status(503))
        presets(tmp_path, monkeypatch, ep=endpoint(server.base_url + "#tiny", backoff_s=0.2))
        result, sink = scan(target, ["ep"])
        arrivals = [r.at for r in server.completions()]
    assert len(arrivals) == 3
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert gaps[0] >= 0.2 * 0.9 and gaps[1] >= 0.4 * 0.9  # exponential, ±10 % jitter
    assert result.models[0].status == "completed" and [c.input_tokens for c in sink.of_type(ModelCall)] == [5]
    assert warnings_of(sink) == []


def test_circuit_breaker_opens_and_fails_fast_while_other_models_finish(tmp_path, monkeypatch):
    files = {f"f{i}.py": f"x = {i}\n" for i in range(8)}
    target = write_zip(tmp_path / "many.zip", files)
    with OpenAIServer() as broken, OpenAIServer() as healthy:
        broken.script(*[Status(500)] * 50)
        presets(tmp_path, monkeypatch,
                down=endpoint(broken.base_url + "#tiny", retries=1, breaker_threshold=3, concurrency=1),
                up=endpoint(healthy.base_url + "#tiny"))
        t0 = time.monotonic()
        result, sink = scan(target, ["down", "up"])
        elapsed = time.monotonic() - t0
        reached = len(broken.completions())
    # 3 failed attempts open the circuit; the other 7 files never reach the server
    assert reached == 3
    down, up = result.models
    assert down.status == "failed" and "3 times in a row" in down.error and "HTTP 500" in down.error
    assert up.status == "completed" and up.calls == len(files)
    assert [e.name for e in sink.of_type(ModelFailed)] == [down.name]
    assert elapsed < 10


def test_breaker_refusals_are_not_failures_and_half_open_lets_one_trial_through():
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, reset_s=10.0, clock=lambda: now[0])
    breaker.record_failure("HTTP 500")
    breaker.before_call()  # still closed after one failure
    breaker.record_failure("HTTP 502")
    assert breaker.state == "open" and breaker.times_opened == 1
    for _ in range(5):  # refusals while open change nothing
        with pytest.raises(CircuitOpenError):
            breaker.before_call()
    assert breaker.failures == 2 and breaker.times_opened == 1
    now[0] = 10.0
    assert breaker.state == "half-open"
    breaker.before_call()  # the one trial
    with pytest.raises(CircuitOpenError):
        breaker.before_call()  # a second caller while the trial is out
    breaker.record_failure("HTTP 500")  # the trial failed: open again for another reset_s
    assert breaker.state == "open" and breaker.times_opened == 2
    now[0] = 20.0
    breaker.before_call()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.failures == 0


def test_hanging_endpoint_times_out(tmp_path, monkeypatch):
    with OpenAIServer() as server:
        server.script(Hang(30))
        client = ResilientClient(timeout_s=0.5, policy=RetryPolicy(retries=0), what="test endpoint")
        t0 = time.monotonic()
        with pytest.raises(EndpointError) as info:
            client.post_json(server.base_url + "/chat/completions", {"model": "tiny", "messages": []})
        assert time.monotonic() - t0 < 3
        assert info.value.kind == "timeout" and "timed out" in info.value.message

        # in a scan: that chunk is skipped with a warning, the next one is scanned
        target = write_zip(tmp_path / "two.zip", {"a.py": "x = 1\n", "b.py": "y = 2\n"})
        server.script(Hang(30))
        presets(tmp_path, monkeypatch, ep=endpoint(server.base_url + "#tiny", timeout_s=0.5, retries=0, concurrency=1))
        result, sink = scan(target, ["ep"])
    assert result.models[0].status == "completed" and result.models[0].calls == 1
    (warning,) = warnings_of(sink)
    assert "not scanned" in warning and "timed out" in warning


def test_garbage_body_is_a_warning_with_the_snippet_not_a_crash(tmp_path, monkeypatch):
    target = write_zip(tmp_path / "one.zip", {"a.py": "x = 1\n"})
    with OpenAIServer() as server:
        server.script(Garbage(b"<html>\x1b[31mupstream \x00exploded</html>"))
        presets(tmp_path, monkeypatch, ep=endpoint(server.base_url + "#tiny"))
        result, sink = scan(target, ["ep"])
    assert result.models[0].status == "completed"
    (warning,) = warnings_of(sink)
    assert "not a chat completion" in warning and "upstream exploded" in warning
    assert "\x1b" not in warning and "\x00" not in warning  # inert when printed
    (call,) = sink.of_type(ModelCall)
    assert call.tokens_estimated


def test_unparseable_answer_gets_one_repair_then_a_warning(tmp_path, monkeypatch):
    target = write_zip(tmp_path / "one.zip", {"a.py": "x = 1\n"})
    with OpenAIServer(fixed_answer("Looks fine to me!", {"prompt_tokens": 9, "completion_tokens": 4})) as server:
        presets(tmp_path, monkeypatch, ep=endpoint(server.base_url + "#tiny"))
        result, sink = scan(target, ["ep"])
        bodies = [r.body for r in server.completions()]
    assert len(bodies) == 2 and result.models[0].calls == 2  # the repair is a call too
    repair_user = bodies[1]["messages"][1]["content"]
    assert bodies[1]["messages"][0]["content"] == prompt.REPAIR_SYSTEM_PROMPT and "Looks fine to me!" in repair_user
    (warning,) = warnings_of(sink)
    assert "after one repair retry" in warning and "'Looks fine to me!'" in warning and "a.py:1-1" in warning


def test_repair_recovers_the_findings(tmp_path, monkeypatch):
    def responder(body):
        if body["messages"][0]["content"] == prompt.REPAIR_SYSTEM_PROMPT:
            return ANSWER.replace('"line_start": 5, "line_end": 5', '"line_start": "1-2"'), None
        return "There is a command injection on line 1.", None

    target = write_zip(tmp_path / "one.zip", {"a.py": "import os\nos.system(input())\n"})
    with OpenAIServer(responder) as server:
        presets(tmp_path, monkeypatch, ep=endpoint(server.base_url + "#tiny"))
        result, sink = scan(target, ["ep"])
    (f,) = result.findings
    assert (f.start_line, f.end_line, f.cwe) == (1, 2, "CWE-78")
    assert result.models[0].calls == 2 and warnings_of(sink) == []


def test_api_key_is_sent_and_never_leaks(tmp_path, monkeypatch):
    secret = "sk-sentinel-7f3a9c1e5b"
    monkeypatch.setenv("AEGIS_TEST_ENDPOINT_KEY", secret)
    target = write_zip(tmp_path / "two.zip", {"a.py": "x = 1\n", "b.py": "y = 2\n"})
    echo = json.dumps({"error": {"message": f"bad request from Bearer {secret}"}})
    with OpenAIServer(require_key=secret) as good, OpenAIServer(require_key="something-else") as refusing:
        good.script(Status(400, body=echo))
        presets(tmp_path, monkeypatch,
                ok=endpoint(good.base_url + "#tiny", api_key_env="AEGIS_TEST_ENDPOINT_KEY", concurrency=1),
                bad=endpoint(refusing.base_url + "#tiny", api_key_env="AEGIS_TEST_ENDPOINT_KEY"))
        result, sink = scan(target, ["ok", "bad"])
        sent = {r.headers.get("Authorization") for r in good.completions()}
    assert sent == {f"Bearer {secret}"}
    ok, bad = result.models
    assert ok.status == "completed" and bad.status == "failed" and "HTTP 401" in bad.error
    warning = next(w for w in warnings_of(sink) if "not scanned" in w)
    assert "bad request from Bearer ***" in warning
    everything = repr(sink.events) + repr(result)
    assert secret not in everything


def test_a_named_key_variable_that_is_unset_fails_the_model_cleanly(tmp_path, monkeypatch, repo):
    monkeypatch.delenv("AEGIS_UNSET_KEY", raising=False)
    with OpenAIServer() as server:
        presets(tmp_path, monkeypatch, ep=endpoint(server.base_url + "#tiny", api_key_env="AEGIS_UNSET_KEY"))
        result, _ = scan(repo, ["ep"])
        assert server.completions() == []
    assert result.models[0].status == "failed" and "AEGIS_UNSET_KEY is not set" in result.models[0].error


def test_model_comes_from_the_servers_list_when_the_url_names_none(tmp_path, monkeypatch, repo):
    with OpenAIServer(models=["only-model"]) as server:
        result, _ = scan(repo, [server.base_url])  # a bare URL, no preset
        assert {r.body["model"] for r in server.completions()} == {"only-model"}
    assert result.models[0].status == "completed"


def test_requests_run_concurrently(tmp_path, monkeypatch):
    import threading

    state = {"now": 0, "max": 0}
    lock = threading.Lock()

    def slow(_body):
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.3)
        with lock:
            state["now"] -= 1
        return '{"findings": []}', {"prompt_tokens": 3, "completion_tokens": 1}

    target = write_zip(tmp_path / "eight.zip", {f"f{i}.py": f"x = {i}\n" for i in range(8)})
    with OpenAIServer(slow) as server:
        presets(tmp_path, monkeypatch, ep=endpoint(server.base_url + "#tiny", concurrency=4))
        t0 = time.monotonic()
        result, _ = scan(target, ["ep"])
        elapsed = time.monotonic() - t0
    assert result.models[0].calls == 8
    assert state["max"] >= 3 and elapsed < 8 * 0.3  # one at a time would take 2.4 s


# ------------------------------------------------------------- transformers serve
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_against_transformers_serve(tmp_path, monkeypatch):
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    from transformers import AutoTokenizer

    from helpers.tiny_causal import build_causal_lm

    model_dir = build_causal_lm(tmp_path / "tiny-lm", eos_boost=3.0)
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub")}
    (tmp_path / "hub").mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "transformers.cli.transformers", "serve", str(model_dir),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    try:
        base = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                time.sleep(0.25)
        target = write_zip(tmp_path / "one.zip", {"a.py": "import os\nos.system(input())\n"})
        presets(tmp_path, monkeypatch, ep=endpoint(f"{base}#{model_dir}", max_new_tokens=12, repair=False,
                                                   timeout_s=60))
        result, sink = scan(target, ["ep"])
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    m = result.models[0]
    assert m.status == "completed", m.error
    (call,) = sink.of_type(ModelCall)
    # the server's usage: its prompt is our messages through the model's own chat template
    tok = AutoTokenizer.from_pretrained(model_dir)
    code = prompt.number_lines(prompt.split_lines("import os\nos.system(input())\n"))
    chunk_messages = prompt.build_messages(code, path="a.py", language="python", start_line=1, end_line=2)
    expected = len(tok.apply_chat_template(chunk_messages, tokenize=True, add_generation_prompt=True)["input_ids"])
    assert call.input_tokens == expected and not call.tokens_estimated
    assert 0 < call.output_tokens <= 12
