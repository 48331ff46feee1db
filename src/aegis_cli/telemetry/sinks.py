"""Sinks that need no UI: an in-memory collector and the JSONL recorder, plus replay."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from aegis_cli.errors import InputError
from aegis_cli.redact import Scrubber
from aegis_cli.telemetry.bus import EventBus, Sink
from aegis_cli.telemetry.events import Event, event_from_dict

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class MemorySink(Sink):
    """Keeps every event (tests, end-of-run summaries)."""

    name = "memory"
    lossless = True

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def handle(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def of_type(self, cls: type[Event]) -> list[Any]:
        with self._lock:
            return [e for e in self.events if isinstance(e, cls)]


class CallbackSink(Sink):
    """Calls ``fn(event)`` on the sink thread (glue for small consumers)."""

    def __init__(self, fn: Callable[[Event], None], name: str = "callback", lossless: bool = True):
        self.fn = fn
        self.name = name
        self.lossless = lossless

    def handle(self, event: Event) -> None:
        self.fn(event)


def _finite(value: Any) -> Any:
    """JSON has no NaN/Infinity: write them as strings that ``event_from_dict`` reads back."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _restore(value: Any) -> Any:
    if isinstance(value, str) and value in _NONFINITE:
        return _NONFINITE[value]
    if isinstance(value, dict):
        return {k: _restore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v) for v in value]
    return value


def event_to_json(event: Event) -> str:
    return json.dumps(_finite(event.to_dict()), ensure_ascii=False, separators=(",", ":"), default=str)


def event_from_json(line: str) -> Event:
    return event_from_dict(_restore(json.loads(line)))


class JsonlRecorder(Sink):
    """Writes every event as one JSON line (lossless). Secret values are scrubbed."""

    name = "jsonl"
    lossless = True

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh: IO[str] = self.path.open("w", encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"cannot write the telemetry log {self.path}: {exc.strerror or exc}",
                "choose a writable path for --telemetry-log",
            ) from exc
        self._scrub = Scrubber()
        self.written = 0

    def handle(self, event: Event) -> None:
        line = event_to_json(event)
        if self._scrub.values:
            line = self._scrub(line)
        self._fh.write(line + "\n")
        self.written += 1

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            self._fh.close()


def read_jsonl(path: str | Path, *, strict: bool = False) -> Iterator[Event]:
    """Events from a recording. Malformed lines (a crash mid-write) are skipped unless ``strict``."""
    p = Path(path)
    try:
        fh = p.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read telemetry log {p}: {exc.strerror or exc}", "check the path") from exc
    with fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield event_from_json(line)
            except (ValueError, TypeError) as exc:
                if strict:
                    raise InputError(f"{p}:{number}: not a telemetry event ({exc})", "is this an aegis --telemetry-log file?") from exc


def replay(events: Iterable[Event], bus: EventBus | Sink) -> int:
    """Publish recorded events (in order) into a bus, or straight into one sink."""
    n = 0
    if isinstance(bus, Sink):
        for event in events:
            bus.handle(event)
            n += 1
        bus.flush()
        return n
    for event in events:
        bus.publish(event)
        n += 1
    return n
