"""HTTP for model endpoints that misbehave: timeouts, retries, a circuit breaker.

* **Timeouts.** Each attempt has one deadline (``timeout_s``) covering connect, the wait
  for the response and reading the body; a server that trickles bytes is cut off at the
  deadline too. Bodies beyond ``max_body_bytes`` are refused.
* **Retries.** Connection errors, timeouts, 408, 429 and 5xx are retried up to
  ``retries`` times. The wait honours ``Retry-After`` (seconds or an HTTP date) when the
  server sends one, else it is exponential (``backoff_s`` × 2^attempt, capped at
  ``max_backoff_s``, with ±10 % jitter so concurrent workers do not stampede). A server
  asking for a longer wait than ``max_retry_after_s`` is not waited for: that request
  fails with the server's figure in the message.
* **Circuit breaker.** ``threshold`` consecutive failed attempts (connection errors,
  timeouts, 5xx — not 429, which means the server is alive and pacing us) open the
  circuit: every request then fails at once with :class:`CircuitOpenError`, without
  touching the network, and that refusal is *not* counted as another failure. After
  ``reset_s`` one trial request is let through (half-open): success closes the circuit,
  failure opens it again for another ``reset_s``.
* **Secrets.** Every error text goes through :func:`aegis_cli.redact.scrub`, with the API
  key added to the values masked, and URLs lose their user:password part.

Only the standard library (urllib) is used, so proxies from the environment work.
"""

from __future__ import annotations

import email.utils
import json
import random
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aegis_cli.errors import AegisError, ExitCode
from aegis_cli.redact import scrub
from aegis_cli.textsafe import one_line

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
BREAKER_STATUS = frozenset(range(500, 600))


class EndpointError(AegisError):
    """A request to a model endpoint failed. ``kind`` says how; ``fatal`` errors (bad key,
    unknown model, open circuit) mean no further request can succeed."""

    exit_code = ExitCode.FAILED

    def __init__(self, message: str, hint: str | None = None, *, kind: str = "http", status: int | None = None,
                 fatal: bool = False, body: str = ""):
        super().__init__(message, hint)
        self.kind = kind  # "timeout" | "connection" | "http" | "rate-limited" | "circuit-open" | "too-large"
        self.status = status
        self.fatal = fatal
        self.body = body  # the server's answer (scrubbed, shortened), for a warning


class CircuitOpenError(EndpointError):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message, hint, kind="circuit-open", fatal=True)


@dataclass
class RetryPolicy:
    retries: int = 3
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    max_retry_after_s: float = 120.0
    jitter: float = 0.1

    def backoff(self, attempt: int, rng: random.Random) -> float:
        base = min(self.max_backoff_s, self.backoff_s * (2 ** attempt))
        return max(0.0, base * (1.0 + self.jitter * (2 * rng.random() - 1)))


class CircuitBreaker:
    """Consecutive-failure circuit breaker (thread-safe). ``clock`` is injectable for tests."""

    def __init__(self, threshold: int = 5, reset_s: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self.threshold = max(1, int(threshold))
        self.reset_s = float(reset_s)
        self.clock = clock
        self.failures = 0  # consecutive failures counted while closed / half-open
        self.times_opened = 0
        self.last_failure = ""
        self._opened_at: float | None = None
        self._trial_in_flight = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self.clock() - self._opened_at >= self.reset_s:
            return "half-open"
        return "open"

    def before_call(self, what: str = "the endpoint") -> None:
        """Raise CircuitOpenError if no request may go out now. Not a failure itself."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return
            if state == "half-open" and not self._trial_in_flight:
                self._trial_in_flight = True
                return
            wait = max(0.0, self.reset_s - (self.clock() - (self._opened_at or 0.0)))
        raise CircuitOpenError(
            f"{what} failed {self.threshold} times in a row (last: {self.last_failure}); "
            f"not sending more requests for {wait:.0f} s",
            "check that the server is up and reachable, then scan again")

    def record_success(self) -> None:
        with self._lock:
            self.failures = 0
            self._opened_at = None
            self._trial_in_flight = False

    def record_failure(self, reason: str) -> None:
        with self._lock:
            self.last_failure = reason
            if self._opened_at is not None:  # the half-open trial failed: open again
                self._opened_at = self.clock()
                self._trial_in_flight = False
                self.times_opened += 1
                return
            self.failures += 1
            if self.failures >= self.threshold:
                self._opened_at = self.clock()
                self.times_opened += 1

    def record_neutral(self) -> None:
        """An attempt that says nothing about health (429): releases a half-open trial slot."""
        with self._lock:
            self._trial_in_flight = False


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def safe_url(url: str) -> str:
    """``url`` without user:password and without its query string (keys hide there)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<invalid url>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed_s: float  # the successful attempt's wall time

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8", "replace"))


@dataclass
class _Attempt:
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str = ""
    kind: str = ""


class ResilientClient:
    """JSON over HTTP with the policy above. One instance per endpoint; thread-safe."""

    def __init__(self, *, timeout_s: float = 60.0, policy: RetryPolicy | None = None,
                 breaker: CircuitBreaker | None = None, headers: Mapping[str, str] | None = None,
                 secrets: list[str] | None = None, max_body_bytes: int = 8 * 2**20,
                 sleep: Callable[[float], None] = time.sleep, what: str = "the endpoint", seed: int | None = None):
        self.timeout_s = float(timeout_s)
        self.policy = policy or RetryPolicy()
        self.breaker = breaker or CircuitBreaker()
        self.headers = dict(headers or {})
        self.secrets = [s for s in (secrets or []) if s]
        self.max_body_bytes = int(max_body_bytes)
        self.sleep = sleep
        self.what = what
        self.attempts = 0  # requests that went out on the network
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- public
    def post_json(self, url: str, payload: Any) -> HttpResponse:
        data = json.dumps(payload).encode("utf-8")
        return self.request("POST", url, data)

    def get(self, url: str, *, use_breaker: bool = True, retries: int | None = None,
            timeout_s: float | None = None) -> HttpResponse:
        return self.request("GET", url, None, use_breaker=use_breaker, retries=retries, timeout_s=timeout_s)

    def clean(self, text: str) -> str:
        """Error text fit to show: secrets masked, control characters gone."""
        return one_line(scrub(text, extra=self.secrets))

    def request(self, method: str, url: str, data: bytes | None, *, use_breaker: bool = True,
                retries: int | None = None, timeout_s: float | None = None) -> HttpResponse:
        retries = self.policy.retries if retries is None else retries
        timeout = self.timeout_s if timeout_s is None else timeout_s
        shown = safe_url(url)
        attempt = 0
        while True:
            if use_breaker:
                self.breaker.before_call(self.what)
            t0 = time.perf_counter()
            result = self._attempt(method, url, data, timeout)
            elapsed = time.perf_counter() - t0
            if result.status is not None and 200 <= result.status < 300:
                if use_breaker:
                    self.breaker.record_success()
                return HttpResponse(result.status, result.headers, result.body, elapsed)
            reason = self._reason(result, timeout)
            counts = result.kind in ("timeout", "connection") or (result.status in BREAKER_STATUS)
            if use_breaker:
                if counts:
                    self.breaker.record_failure(reason)
                else:
                    self.breaker.record_neutral()
            retriable = result.kind in ("timeout", "connection") or result.status in RETRY_STATUS
            if not retriable or attempt >= retries:
                raise self._error(result, reason, shown, attempt)
            wait = None
            if result.status in (429, 503):
                wait = parse_retry_after(result.headers.get("retry-after"))
                if wait is not None and wait > self.policy.max_retry_after_s:
                    raise EndpointError(
                        self.clean(f"{self.what} ({shown}) is rate-limiting and asks to wait {wait:.0f} s, "
                                   f"more than the {self.policy.max_retry_after_s:.0f} s aegis waits"),
                        "lower the concurrency option, or raise max_retry_after_s",
                        kind="rate-limited", status=result.status)
            if wait is None:
                wait = self.policy.backoff(attempt, self._rng)
            attempt += 1
            self.sleep(wait)

    # ---------------------------------------------------------------- private
    def _attempt(self, method: str, url: str, data: bytes | None, timeout: float) -> _Attempt:
        headers = {"Accept": "application/json", **self.headers}
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        deadline = time.monotonic() + timeout
        with self._lock:
            self.attempts += 1
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return _Attempt(status=resp.status, headers=_lower(resp.headers), body=self._read(resp, deadline))
        except urllib.error.HTTPError as exc:
            try:
                body = self._read(exc, deadline, limit=64 * 1024)
            except Exception:
                body = b""
            return _Attempt(status=exc.code, headers=_lower(exc.headers or {}), body=body)
        except _BodyTooLarge:
            return _Attempt(kind="too-large", error=f"response larger than {self.max_body_bytes} bytes")
        except TimeoutError:
            return _Attempt(kind="timeout", error=f"no answer within {timeout:g} s")
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                return _Attempt(kind="timeout", error=f"no answer within {timeout:g} s")
            return _Attempt(kind="connection", error=str(exc.reason))
        except (ConnectionError, OSError, ValueError) as exc:  # reset, refused, bad URL, broken chunking
            return _Attempt(kind="connection", error=f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # http.client.HTTPException and friends
            return _Attempt(kind="connection", error=f"{type(exc).__name__}: {exc}")

    def _read(self, resp: Any, deadline: float, limit: int | None = None) -> bytes:
        limit = self.max_body_bytes if limit is None else limit
        parts: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError("body read deadline")
            block = resp.read1(65536) if hasattr(resp, "read1") else resp.read(65536)
            if not block:
                break
            size += len(block)
            if size > limit:
                if limit < self.max_body_bytes:  # an error body: what we have is enough
                    parts.append(block)
                    break
                raise _BodyTooLarge()
            parts.append(block)
        return b"".join(parts)

    def _reason(self, result: _Attempt, timeout: float) -> str:
        if result.status is not None:
            return f"HTTP {result.status}"
        return result.error or result.kind

    def _error(self, result: _Attempt, reason: str, shown: str, attempt: int) -> EndpointError:
        tries = f" after {attempt + 1} attempts" if attempt else ""
        body = self.clean(_error_text(result.body))[:300]
        status = result.status
        if status in (401, 403):
            return EndpointError(self.clean(f"{self.what} ({shown}) refused the request: HTTP {status} {body}".strip()),
                                 "check the API key's environment variable (option api_key_env)",
                                 kind="http", status=status, fatal=True, body=body)
        if status == 404:
            return EndpointError(self.clean(f"{self.what} ({shown}) answered HTTP 404 {body}".strip()),
                                 "check the base URL (it usually ends in /v1) and the model name",
                                 kind="http", status=status, fatal=True, body=body)
        if result.kind == "timeout":
            return EndpointError(self.clean(f"{self.what} ({shown}) timed out{tries}: {result.error}"),
                                 "raise the timeout option, or check the server", kind="timeout")
        if result.kind in ("connection", "too-large"):
            return EndpointError(self.clean(f"{self.what} ({shown}) failed{tries}: {result.error}"),
                                 "check that the server is running and the URL is right", kind=result.kind)
        return EndpointError(self.clean(f"{self.what} ({shown}) answered {reason}{tries} {body}".strip()),
                             None, kind="rate-limited" if status == 429 else "http", status=status, body=body)


class _BodyTooLarge(Exception):
    pass


def _lower(headers: Any) -> dict[str, str]:
    try:
        return {str(k).lower(): str(v) for k, v in headers.items()}
    except Exception:
        return {}


def _error_text(body: bytes) -> str:
    """The message of an OpenAI-style error body, or the start of the body."""
    text = body[:4096].decode("utf-8", "replace")
    try:
        data = json.loads(text)
        err = data.get("error") if isinstance(data, dict) else None
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
        if isinstance(data, dict) and data.get("detail"):
            return str(data["detail"])
    except (ValueError, AttributeError):
        pass
    return text.strip()
