"""A small but real OpenAI-compatible HTTP server for tests (stdlib ThreadingHTTPServer on
127.0.0.1, a free port): ``GET /v1/models`` and ``POST /v1/chat/completions``.

Answers come from ``responder(body) -> (content, usage or None)`` — scripted text, or a
tiny HF model's real generate — and a queue of fault actions can be put in front of it:

* ``Status(code, headers, body)`` — e.g. 429 with Retry-After, 500, 401;
* ``Hang(seconds)`` — accept the request and answer nothing for that long;
* ``Garbage(body)`` — a 200 whose body is not a chat completion.

Every request is recorded server-side (path, headers, JSON body, arrival time), so tests
count what really reached the server.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Usage = dict[str, int]
Responder = Callable[[dict[str, Any]], tuple[str, "Usage | None"]]


@dataclass
class Status:
    code: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = '{"error": {"message": "scripted failure"}}'


@dataclass
class Hang:
    seconds: float


@dataclass
class Garbage:
    body: bytes = b"<html><body>502 Bad Gateway</body></html>"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    at: float


def fixed_answer(content: str, usage: Usage | None = None) -> Responder:
    return lambda _body: (content, usage)


class OpenAIServer:
    def __init__(self, responder: Responder | None = None, *, models: list[str] | None = None,
                 require_key: str | None = None):
        self.responder = responder or fixed_answer('{"findings": []}', {"prompt_tokens": 10, "completion_tokens": 3})
        self.models = models if models is not None else ["tiny"]
        self.require_key = require_key
        self.actions: deque = deque()
        self.received: list[Received] = []
        self.models_status: int | None = None  # answer /v1/models with this status instead
        self._lock = threading.Lock()
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None,
                      ctype: str = "application/json") -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                server._record(self, None)
                if self.path.rstrip("/") != "/v1/models":
                    self._send(404, b'{"error": {"message": "not found"}}')
                    return
                if server.models_status is not None:
                    self._send(server.models_status, b'{"error": {"message": "no model list"}}')
                    return
                data = {"object": "list", "data": [{"id": m, "object": "model"} for m in server.models]}
                self._send(200, json.dumps(data).encode())

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                server._record(self, body)
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, b'{"error": {"message": "not found"}}')
                    return
                if server.require_key is not None and self.headers.get("Authorization") != f"Bearer {server.require_key}":
                    echoed = json.dumps({"error": {"message": f"bad key: {self.headers.get('Authorization')}"}})
                    self._send(401, echoed.encode())
                    return
                action = server._next_action()
                if isinstance(action, Status):
                    self._send(action.code, action.body.encode(), action.headers)
                    return
                if isinstance(action, Hang):
                    server._stop.wait(action.seconds)
                    try:
                        self._send(200, b'{"late": true}')
                    except OSError:
                        pass
                    return
                if isinstance(action, Garbage):
                    self._send(200, action.body, ctype="text/html")
                    return
                content, usage = server.responder(body or {})
                reply: dict[str, Any] = {
                    "id": f"chatcmpl-{len(server.received)}", "object": "chat.completion", "created": int(time.time()),
                    "model": (body or {}).get("model", "tiny"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                 "finish_reason": "stop"}],
                }
                if usage is not None:
                    reply["usage"] = {**usage, "total_tokens": sum(usage.values())}
                self._send(200, json.dumps(reply).encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                       name="openai-test-server", daemon=True)

    # ------------------------------------------------------------------ control
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def script(self, *actions: Any) -> None:
        with self._lock:
            self.actions.extend(actions)

    def completions(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path.rstrip("/") == "/v1/chat/completions"]

    def _record(self, handler: BaseHTTPRequestHandler, body: dict[str, Any] | None) -> None:
        with self._lock:
            self.received.append(Received(handler.path, dict(handler.headers.items()), body, time.monotonic()))

    def _next_action(self) -> Any:
        with self._lock:
            return self.actions.popleft() if self.actions else None

    def __enter__(self) -> OpenAIServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def model_responder(model_dir: str, max_new_tokens: int = 16) -> Responder:
    """Answers from a local causal LM's real generate, with usage counted by its tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    lock = threading.Lock()

    def respond(body: dict[str, Any]) -> tuple[str, Usage]:
        text = tok.apply_chat_template(body["messages"], tokenize=False, add_generation_prompt=True)
        ids = tok(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
        limit = min(int(body.get("max_tokens") or max_new_tokens), max_new_tokens)
        with lock, torch.inference_mode():
            out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=limit, do_sample=False,
                                 pad_token_id=tok.pad_token_id)
        gen = out[0, ids.shape[1]:].tolist()
        if tok.eos_token_id in gen:
            gen = gen[:gen.index(tok.eos_token_id) + 1]
        return tok.decode(gen, skip_special_tokens=True), {"prompt_tokens": ids.shape[1], "completion_tokens": len(gen)}

    return respond
