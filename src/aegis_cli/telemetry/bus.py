"""The event bus: producers publish, every sink reads on its own thread.

* ``publish`` never blocks on a sink: it appends to one queue per sink under a
  short lock (which also gives every sink the same total order) and wakes the
  sink's thread only when it sleeps.
* A lossless sink (a recorder) has an unbounded queue and loses nothing.
* A lossy sink (a UI) has a bounded queue; when it is full the oldest event is
  dropped and counted. Its ``flush`` runs whenever its queue drains, so it can
  coalesce: apply every queued event to its state, redraw once.
* A sink that raises is detached with one warning; the job goes on.
* ``close`` drains the queues, calls ``Sink.close`` on each sink's own thread and
  returns per-sink statistics, so drops and failures are reported at the end.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from aegis_cli.telemetry.events import Event, LogMessage

log = logging.getLogger("aegis.telemetry")
perf_counter = time.perf_counter
_YIELD_AFTER_S = 50e-6


class Sink:
    """Base class for event consumers. Override ``handle``; ``flush`` and ``close`` are optional."""

    name: str = "sink"
    #: a lossless sink never drops an event (unbounded queue)
    lossless: bool = True
    #: queue bound for a lossy sink
    max_queue: int = 10_000

    def handle(self, event: Event) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def flush(self) -> None:
        """Called when the queue has drained: write buffers, redraw once."""

    def close(self) -> None:
        """Called once, on the sink's thread, after its last event."""


@dataclass
class SinkStats:
    name: str
    lossless: bool
    delivered: int
    dropped: int
    error: str | None

    def line(self) -> str:
        text = f"{self.name}: {self.delivered} events"
        if self.dropped:
            text += f", {self.dropped} dropped (queue full; {'recorder' if self.lossless else 'display only'})"
        if self.error:
            text += f", detached after error: {self.error}"
        return text


class _Runner:
    __slots__ = (
        "_closing",
        "_sleeping",
        "_wake",
        "delivered",
        "dropped",
        "error",
        "queue",
        "sink",
        "thread",
    )

    def __init__(self, sink: Sink, on_error):
        self.sink = sink
        self.queue: deque[Event] = deque()
        self.delivered = 0
        self.dropped = 0
        self.error: str | None = None
        self._wake = threading.Event()
        self._sleeping = False
        self._closing = False
        self.thread = threading.Thread(
            target=self._loop, args=(on_error,), name=f"aegis-sink-{sink.name}", daemon=True
        )

    # producer side (called under the bus lock)
    def offer(self, event: Event) -> None:
        if self.error is not None:
            return
        q = self.queue
        if not self.sink.lossless and len(q) >= self.sink.max_queue:
            q.popleft()
            self.dropped += 1
        q.append(event)
        if self._sleeping:
            self._sleeping = False
            self._wake.set()

    def close(self) -> None:
        self._closing = True
        self._wake.set()

    def busy(self) -> bool:
        if self.error is not None or not self.thread.is_alive():
            return False
        return bool(self.queue) or not self._sleeping

    # consumer side
    def _loop(self, on_error) -> None:
        q = self.queue
        sink = self.sink
        pending_flush = False
        slice_start = perf_counter()
        while True:
            try:
                event = q.popleft()
            except IndexError:
                if pending_flush:
                    pending_flush = False
                    if not self._guard(sink.flush, on_error):
                        break
                    continue  # flush may have taken a while: look again before sleeping
                if self._closing:
                    break
                self._sleeping = True
                if q or self._closing:  # an offer raced the flag
                    self._sleeping = False
                    continue
                self._wake.wait(0.25)
                self._wake.clear()
                self._sleeping = False
                slice_start = perf_counter()
                continue
            if not self._guard(lambda e=event: sink.handle(e), on_error):
                break
            self.delivered += 1
            pending_flush = True
            # Hand the GIL back often: a busy sink must not stall producers for a whole
            # switch interval (5 ms), which would show up as publish latency.
            now = perf_counter()
            if now - slice_start > _YIELD_AFTER_S:
                time.sleep(0)
                slice_start = perf_counter()
        if self.error is None:
            self._guard(sink.close, on_error)

    def _guard(self, fn, on_error) -> bool:
        try:
            fn()
            return True
        except Exception as exc:  # a sink must never take the job down
            self.error = f"{type(exc).__name__}: {exc}"
            self.queue.clear()
            on_error(self)
            try:
                self.sink.close()
            except Exception:
                pass
            return False


class EventBus:
    """Fan events out to sinks. Thread-safe; ``publish`` never waits for a sink."""

    def __init__(self, sinks: Iterable[Sink] = ()):
        self._lock = threading.Lock()
        self._runners: list[_Runner] = []
        self._closed = False  # no more publishes from producers
        self._finished = False  # no more events at all
        self.published = 0
        for sink in sinks:
            self.add_sink(sink)

    def add_sink(self, sink: Sink) -> None:
        runner = _Runner(sink, self._on_sink_error)
        with self._lock:
            if self._closed:
                raise RuntimeError("bus is closed")
            self._runners = [*self._runners, runner]
        runner.thread.start()

    @property
    def sinks(self) -> list[Sink]:
        return [r.sink for r in self._runners]

    def publish(self, event: Event) -> None:
        with self._lock:
            if self._closed:
                return
            self.published += 1
            for runner in self._runners:
                runner.offer(event)

    def _publish_internal(self, event: Event) -> None:
        """Bus notices still reach sinks while ``close`` drains (not after it)."""
        with self._lock:
            if self._finished:
                return
            for runner in self._runners:
                runner.offer(event)

    def _on_sink_error(self, runner: _Runner) -> None:
        log.warning("telemetry sink %r detached after an error: %s", runner.sink.name, runner.error)
        # tell the other sinks (a console or UI shows it); never re-enters the failed one
        self._publish_internal(
            LogMessage(level="warning", text=f"sink {runner.sink.name} detached: {runner.error}", source="bus")
        )

    def close(self, timeout: float = 30.0) -> list[SinkStats]:
        """Drain every queue and stop the sink threads. Lossy sinks that cannot drain in
        ``timeout`` have their leftover events counted as dropped; lossless ones are
        waited for up to ``timeout`` as well, and anything left is reported."""
        with self._lock:
            if self._closed:
                return self.stats()
            self._closed = True
            runners = list(self._runners)
        deadline = time.monotonic() + timeout
        # drain first, so that notices raised while draining (a sink detaching) still arrive
        while time.monotonic() < deadline and any(r.busy() for r in runners):
            time.sleep(0.002)
        with self._lock:
            self._finished = True
        for runner in runners:
            runner.close()
        for runner in runners:
            runner.thread.join(max(0.0, deadline - time.monotonic()))
            if runner.thread.is_alive():
                left = len(runner.queue)
                runner.queue.clear()
                runner.dropped += left
                if runner.error is None:
                    runner.error = f"did not finish within {timeout:.0f}s ({left} events not delivered)"
        return self.stats()

    def stats(self) -> list[SinkStats]:
        return [
            SinkStats(r.sink.name, r.sink.lossless, r.delivered, r.dropped, r.error) for r in self._runners
        ]

    def __enter__(self) -> EventBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class NullBus:
    """A bus with no sinks, for library use without telemetry."""

    published = 0

    def publish(self, event: Event) -> None:
        pass

    def close(self, timeout: float = 0.0) -> list[SinkStats]:
        return []
