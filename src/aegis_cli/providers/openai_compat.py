"""OpenAI-compatible chat endpoints (OpenAI, vLLM, Ollama's /v1, LM Studio, `transformers
serve`) as scan models.

Naming the endpoint: ``--model http://host:8000/v1#model-name`` (the fragment is the
model; without one, the server's /models list is asked and must hold exactly one), or a
preset with ``kind: http``, ``id: <base URL>`` and options. The API key is read from the
environment variable named by ``api_key_env`` (default ``OPENAI_API_KEY``; when that
default is unset no Authorization header is sent, which suits local servers). The key
never appears in an error, a warning or a log line: every such text is scrubbed.

Each chunk is one chat completion (the prompt of :mod:`prompt`), sent by a small pool
of threads (``concurrency``, default 4) so the endpoint always has work queued. Tokens
come from the response's ``usage``; when a server gives none, they are estimated
(characters / 4, or a local tokenizer named by the ``tokenizer`` option) and marked
``tokens_estimated``. Latency is the wall time of the request that succeeded.

Faults (:mod:`http_resilience`): timeouts, retries with backoff honouring Retry-After,
and a circuit breaker. A chunk whose request fails after its retries is skipped with a
warning; a fatal failure (open circuit, refused key, unknown model or URL) stops this
model (ModelFailed) while the scan goes on with the others. A response that is not a
chat completion is a warning with the start of the body, never a crash.

Options: model, api_key_env, max_new_tokens (512), temperature (0), timeout_s (60),
retries (3), backoff_s (1), max_backoff_s (30), max_retry_after_s (120),
breaker_threshold (5), breaker_reset_s (30), concurrency (4), context_tokens (8192),
chunk_tokens (3072), tokenizer (a local tokenizer path), response_format ("json_object"
to ask for JSON mode), repair (true).
"""

from __future__ import annotations

import math
import os
import re
import threading
import urllib.parse
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from aegis_cli.errors import AegisError, ModelLoadError
from aegis_cli.providers.base import Chunk, LoadedModel, ModelSpec, Provider, ScanContext
from aegis_cli.providers.hf_generative import options_with_defaults
from aegis_cli.providers.http_resilience import (
    CircuitBreaker,
    EndpointError,
    ResilientClient,
    RetryPolicy,
    safe_url,
)
from aegis_cli.providers.json_extract import Extraction, extract_findings
from aegis_cli.providers.prompt import (
    PROMPT_MARGIN,
    Messages,
    build_repair_messages,
    chunk_files,
    findings_from_answer,
    prompt_overhead,
    unparsed_warning,
)
from aegis_cli.redact import scrub
from aegis_cli.textsafe import one_line

DEFAULTS: dict[str, Any] = {
    "model": None,
    "api_key_env": None,
    "max_new_tokens": 512,
    "temperature": 0.0,
    "timeout_s": 60.0,
    "retries": 3,
    "backoff_s": 1.0,
    "max_backoff_s": 30.0,
    "max_retry_after_s": 120.0,
    "breaker_threshold": 5,
    "breaker_reset_s": 30.0,
    "concurrency": 4,
    "context_tokens": 8192,
    "chunk_tokens": 3072,
    "tokenizer": None,
    "response_format": None,
    "repair": True,
}
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
CHARS_PER_TOKEN_ESTIMATE = 4  # usage estimate when a server reports none
CHARS_PER_TOKEN_BUDGET = 3  # chunk budgeting without a tokenizer: code packs denser than prose
_PSEUDO_TOKEN = re.compile(rf"[^\n]{{1,{CHARS_PER_TOKEN_BUDGET}}}")


def estimate_tokens(text: str) -> int:
    """The documented estimate for text a server did not count: ceil(characters / 4)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN_ESTIMATE)


def estimate_prompt_tokens(messages: Messages) -> int:
    return sum(estimate_tokens(m["content"]) for m in messages)


def split_endpoint(ref: str) -> tuple[str, str | None]:
    """``http://host/v1#model`` → (base URL without a trailing slash, model or None)."""
    base, _, fragment = ref.partition("#")
    return base.rstrip("/"), (urllib.parse.unquote(fragment) or None)


@dataclass
class _Completion:
    text: str
    input_tokens: int
    output_tokens: int
    estimated: bool
    latency_ms: float


@dataclass
class _Outcome:
    chunk: Chunk
    calls: list[_Completion] = field(default_factory=list)
    extraction: Extraction | None = None
    raw: str = ""
    warnings: list[str] = field(default_factory=list)
    fatal: EndpointError | None = None


class _BadResponse(Exception):
    def __init__(self, snippet: str, completion: _Completion):
        super().__init__(snippet)
        self.snippet = snippet
        self.completion = completion


class OpenAICompatProvider(Provider):
    provider = "http"
    speed_basis = "output"

    def __init__(self, spec: ModelSpec, **kwargs: Any):
        super().__init__(spec, **kwargs)
        self.opts: dict[str, Any] = dict(DEFAULTS)
        self.base_url, self.model_name = split_endpoint(spec.ref)
        self.client: ResilientClient | None = None
        self.pool: ThreadPoolExecutor | None = None
        self.tokenizer: Any = None
        self.input_budget = 0
        self._api_key: str | None = None
        self._abort = threading.Event()
        self._warn = lambda text: None

    # ------------------------------------------------------------------ load
    def load(self, warn=None) -> LoadedModel:
        self._warn = warn or self._warn
        name = self.spec.name
        self.opts = options_with_defaults(self.spec, DEFAULTS, self._warn)
        if self.opts.get("model"):
            self.model_name = str(self.opts["model"])
        scheme = urllib.parse.urlsplit(self.base_url).scheme
        if scheme not in ("http", "https") or not urllib.parse.urlsplit(self.base_url).hostname:
            raise ModelLoadError(f"{name}: {safe_url(self.base_url)} is not an http(s) URL",
                                 "use http(s)://host:port/v1#model-name")
        if self.quantize not in (None, "", "none"):
            self._warn(f"{name}: --quantize {self.quantize} does not apply to an endpoint (the server decides)")
        key_env = self.opts.get("api_key_env") or DEFAULT_KEY_ENV
        self._api_key = os.environ.get(key_env) or None
        if self.opts.get("api_key_env") and not self._api_key:
            raise ModelLoadError(f"{name}: the API key variable {key_env} is not set",
                                 f"export {key_env}=... (the key is read from the environment only)")
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        policy = RetryPolicy(retries=int(self.opts["retries"]), backoff_s=float(self.opts["backoff_s"]),
                             max_backoff_s=float(self.opts["max_backoff_s"]),
                             max_retry_after_s=float(self.opts["max_retry_after_s"]))
        breaker = CircuitBreaker(threshold=int(self.opts["breaker_threshold"]),
                                 reset_s=float(self.opts["breaker_reset_s"]))
        self.client = ResilientClient(timeout_s=float(self.opts["timeout_s"]), policy=policy, breaker=breaker,
                                      headers=headers, secrets=[self._api_key] if self._api_key else [],
                                      what=f"{name} endpoint")
        self._probe(name)
        if self.opts.get("tokenizer"):
            self._load_tokenizer(str(self.opts["tokenizer"]), name)
        context = int(self.opts["context_tokens"])
        self.input_budget = context - int(self.opts["max_new_tokens"])
        overhead = prompt_overhead(self._measure)
        if self.input_budget - overhead - PROMPT_MARGIN < 32:
            raise ModelLoadError(f"{name}: context_tokens ({context}) cannot hold the prompt ({overhead} tokens), "
                                 f"max_new_tokens ({self.opts['max_new_tokens']}) and any code",
                                 "raise context_tokens or lower max_new_tokens in the preset's options")
        self._abort.clear()
        self.pool = ThreadPoolExecutor(max_workers=max(1, int(self.opts["concurrency"])),
                                       thread_name_prefix=f"aegis-http-{self.spec.model_id or 'model'}")
        return LoadedModel(device=None, precision=None, quantization=None, vram_mb=None, load_time_ms=None,
                           parameters=None, context_tokens=context, provider="http")

    def _probe(self, name: str) -> None:
        """GET /models: the server is reachable, the key accepted, and the model named."""
        assert self.client is not None
        try:
            resp = self.client.get(f"{self.base_url}/models", use_breaker=False, retries=0,
                                   timeout_s=min(float(self.opts["timeout_s"]), 10.0))
        except EndpointError as err:
            if err.kind in ("connection", "timeout") or err.status in (401, 403):
                raise ModelLoadError(err.message, err.hint) from None
            if self.model_name is None:
                raise ModelLoadError(f"{name}: cannot list the endpoint's models ({err.message})",
                                     "name the model: http(s)://host:port/v1#model-name") from None
            return  # some servers have no /models; the completions will tell
        ids: list[str] = []
        try:
            data = resp.json()
            ids = [str(m.get("id")) for m in data.get("data", []) if isinstance(m, dict) and m.get("id")]
        except (ValueError, AttributeError, TypeError):
            pass
        if self.model_name is None:
            if len(ids) == 1:
                self.model_name = ids[0]
                return
            listed = ", ".join(one_line(i) for i in ids[:10]) or "none"
            raise ModelLoadError(f"{name}: the endpoint serves {len(ids)} models ({listed}); which one?",
                                 "name it after '#': http(s)://host:port/v1#model-name")
        if ids and self.model_name not in ids:
            self._warn(f"{name}: {one_line(self.model_name)} is not in the endpoint's model list "
                       f"({', '.join(one_line(i) for i in ids[:5])}); trying it anyway")

    def _load_tokenizer(self, path: str, name: str) -> None:
        try:
            from transformers import AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(path)
        except Exception as exc:
            raise ModelLoadError(f"{name}: cannot load the tokenizer {path} ({type(exc).__name__})",
                                 "point the tokenizer option at a local folder with tokenizer.json") from None

    # --------------------------------------------------------------- tokens
    def _measure(self, messages: Messages) -> tuple[int, None]:
        """Prompt tokens for budgeting: a local tokenizer's count, else characters / 3."""
        if self.tokenizer is not None and getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            return len(self.tokenizer.backend_tokenizer.encode(text, add_special_tokens=False).ids), None
        if self.tokenizer is not None:
            return sum(len(self.tokenizer.backend_tokenizer.encode(m["content"]).ids) + 4 for m in messages), None
        return sum(math.ceil(len(m["content"]) / CHARS_PER_TOKEN_BUDGET) + 4 for m in messages), None

    def _encode_code(self, text: str):
        if self.tokenizer is not None:
            enc = self.tokenizer.backend_tokenizer.encode(text, add_special_tokens=False)
            return enc.ids, enc.offsets
        spans = [m.span() for m in _PSEUDO_TOKEN.finditer(text)]
        return [0] * len(spans), spans

    def _estimate(self, messages: Messages, text: str) -> tuple[int, int]:
        if self.tokenizer is not None:
            n_in = self._measure(messages)[0]
            n_out = len(self.tokenizer.backend_tokenizer.encode(text, add_special_tokens=False).ids)
            return n_in, n_out
        return estimate_prompt_tokens(messages), estimate_tokens(text)

    def prepare(self, files: Iterable[Any]) -> Iterator[Chunk]:
        return chunk_files(files, encode=self._encode_code, measure=self._measure, input_budget=self.input_budget,
                           chunk_cap=self.opts.get("chunk_tokens"))

    # ------------------------------------------------------------------- run
    def _complete(self, messages: Messages) -> _Completion:
        assert self.client is not None
        payload: dict[str, Any] = {"model": self.model_name, "messages": messages,
                                   "max_tokens": int(self.opts["max_new_tokens"]),
                                   "temperature": float(self.opts["temperature"]), "stream": False}
        if self.opts.get("response_format"):
            payload["response_format"] = {"type": str(self.opts["response_format"])}
        resp = self.client.post_json(f"{self.base_url}/chat/completions", payload)
        latency_ms = resp.elapsed_s * 1000.0
        body = resp.body.decode("utf-8", "replace")
        try:
            data = resp.json()
            message = data["choices"][0]["message"]
            content = message.get("content")
            if isinstance(content, list):  # content parts
                content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
            text = "" if content is None else str(content)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            n_in, n_out = self._estimate(messages, body)
            raise _BadResponse(body, _Completion("", n_in, n_out, True, latency_ms)) from None
        usage = data.get("usage") if isinstance(data, dict) else None
        p_tok = usage.get("prompt_tokens") if isinstance(usage, dict) else None
        c_tok = usage.get("completion_tokens") if isinstance(usage, dict) else None
        if _count(p_tok) and _count(c_tok, allow_zero=True):
            return _Completion(text, int(p_tok), int(c_tok), False, latency_ms)
        n_in, n_out = self._estimate(messages, text)
        return _Completion(text, int(p_tok) if _count(p_tok) else n_in,
                           int(c_tok) if _count(c_tok, allow_zero=True) else n_out, True, latency_ms)

    def _scan_chunk(self, chunk: Chunk) -> _Outcome:
        out = _Outcome(chunk=chunk)
        if self._abort.is_set():
            return out
        where = f"{one_line(chunk.path)}:{chunk.start_line}-{chunk.end_line}"
        try:
            first = self._complete(chunk.payload.messages)
            out.calls.append(first)
            out.raw = first.text
            out.extraction = extract_findings(first.text)
            if not out.extraction.ok and self.opts.get("repair", True) and not self._abort.is_set():
                second = self._complete(build_repair_messages(first.text))
                out.calls.append(second)
                retry = extract_findings(second.text)
                out.extraction = retry
                if not first.text.strip():  # the warning shows the first answer, unless it was empty
                    out.raw = second.text
        except _BadResponse as bad:
            out.calls.append(bad.completion)
            snippet = one_line(scrub(bad.snippet, extra=self.client.secrets if self.client else None))[:160]
            out.warnings.append(f"{self.spec.name}: {where} not scanned: the endpoint's answer is not a chat "
                                f"completion; it began: {snippet!r}")
            out.extraction = None
        except EndpointError as err:
            if err.fatal:
                out.fatal = err
            else:
                out.warnings.append(f"{self.spec.name}: {where} not scanned: {err.one_line()}")
        return out

    def run(self, chunks: list[Chunk], ctx: ScanContext) -> None:
        assert self.pool is not None
        futures: list[Future] = [self.pool.submit(self._scan_chunk, c) for c in chunks]
        fatal: EndpointError | None = None
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when="FIRST_COMPLETED")
                for fut in done:
                    if fut.cancelled():
                        continue
                    outcome = fut.result()
                    self._report(outcome, ctx)
                    if outcome.fatal is not None and fatal is None:
                        fatal = outcome.fatal
                        self._abort.set()
                        for other in pending:
                            other.cancel()
        finally:
            if fatal is None and self._abort.is_set():  # interrupted: let the workers finish quickly
                for fut in futures:
                    fut.cancel()
        if fatal is not None:
            raise AegisError(fatal.message, fatal.hint, exit_code=fatal.exit_code)

    def _report(self, outcome: _Outcome, ctx: ScanContext) -> None:
        for call in outcome.calls:
            ctx.call(latency_ms=call.latency_ms, input_tokens=call.input_tokens, output_tokens=call.output_tokens,
                     items=1, tokens_estimated=call.estimated)
        for text in outcome.warnings:
            ctx.warn(text)
        chunk = outcome.chunk
        ext = outcome.extraction
        if ext is not None and ext.ok:
            for finding in findings_from_answer(ext, chunk, model_name=self.spec.name,
                                                source_text=ctx.source_text(chunk.path)):
                ctx.finding(finding)
        elif ext is not None:
            repaired = len(outcome.calls) > 1
            ctx.warn(unparsed_warning(self.spec.name, chunk, outcome.raw, ext.error, repaired=repaired))
        if outcome.fatal is None:
            ctx.chunks_done(1)

    # ---------------------------------------------------------------- unload
    def unload(self) -> None:
        self._abort.set()
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        self.tokenizer = None


def _count(value: Any, allow_zero: bool = False) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and (value > 0 or (allow_zero and value == 0))
