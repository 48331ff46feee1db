import threading
import time

import pytest

from aegis_cli.telemetry import EventBus, LogMessage, MemorySink, ModelCall, Sink
from aegis_cli.telemetry.events import ScanProgress


def _call(i: int, model: str = "m") -> ModelCall:
    return ModelCall(model_id=model, latency_ms=float(i), input_tokens=i, output_tokens=0, items=1)


def test_every_sink_sees_every_event_in_publish_order():
    a, b = MemorySink(), MemorySink()
    bus = EventBus([a, b])
    for i in range(500):
        bus.publish(_call(i))
    stats = bus.close()
    assert [e.input_tokens for e in a.events] == list(range(500))
    assert a.events == b.events
    assert all(s.delivered == 500 and s.dropped == 0 and s.error is None for s in stats)


def test_several_producers_share_one_total_order_and_lose_nothing():
    a, b = MemorySink(), MemorySink()
    bus = EventBus([a, b])
    n_threads, per_thread = 8, 2000

    def produce(t: int) -> None:
        for i in range(per_thread):
            bus.publish(_call(i, model=f"t{t}"))

    threads = [threading.Thread(target=produce, args=(t,)) for t in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bus.close()
    assert len(a.events) == n_threads * per_thread
    assert a.events == b.events  # same interleaving for every sink
    for t in range(n_threads):  # each producer's own events stay in its order
        mine = [e.input_tokens for e in a.events if e.model_id == f"t{t}"]
        assert mine == list(range(per_thread))


class _Stalled(Sink):
    name = "stalled"
    lossless = False
    max_queue = 50

    def __init__(self):
        self.release = threading.Event()
        self.seen = 0

    def handle(self, event):
        self.release.wait()
        self.seen += 1


def test_a_stalled_lossy_sink_never_blocks_the_producer_and_drops_are_counted():
    stalled = _Stalled()
    recorder = MemorySink()
    bus = EventBus([stalled, recorder])
    t0 = time.perf_counter()
    for i in range(5000):
        bus.publish(_call(i))
    publish_s = time.perf_counter() - t0
    stalled.release.set()
    stats = {s.name: s for s in bus.close()}
    assert publish_s < 2.0  # would hang forever if publish waited on the stalled sink
    assert len(recorder.events) == 5000 and stats["memory"].dropped == 0
    st = stats["stalled"]
    assert st.dropped > 0
    assert st.delivered + st.dropped == 5000
    assert st.delivered == stalled.seen


class _Exploding(Sink):
    name = "exploding"

    def __init__(self):
        self.calls = 0

    def handle(self, event):
        self.calls += 1
        if self.calls == 3:
            raise RuntimeError("boom")


def test_a_failing_sink_is_detached_with_one_warning_and_the_job_goes_on():
    bad, good = _Exploding(), MemorySink()
    bus = EventBus([bad, good])
    for i in range(100):
        bus.publish(_call(i))
    stats = {s.name: s for s in bus.close()}
    assert bad.calls == 3
    assert "RuntimeError: boom" in stats["exploding"].error
    warnings = [e for e in good.events if isinstance(e, LogMessage)]
    assert len(warnings) == 1 and "exploding" in warnings[0].text
    assert len([e for e in good.events if isinstance(e, ModelCall)]) == 100


def test_flush_runs_when_the_queue_drains_so_a_ui_can_coalesce():
    class Coalescing(Sink):
        name = "ui"

        def __init__(self):
            self.state = 0
            self.redraws = 0
            self.gate = threading.Event()

        def handle(self, event):
            self.gate.wait()
            self.state = event.done

        def flush(self):
            self.redraws += 1

    ui = Coalescing()
    bus = EventBus([ui])
    for i in range(1, 1001):
        bus.publish(ScanProgress(done=i, total=1000, unit="files"))
    ui.gate.set()
    bus.close()
    assert ui.state == 1000
    assert 1 <= ui.redraws < 1000  # far fewer redraws than events


def test_publish_after_close_is_ignored_and_close_is_idempotent():
    sink = MemorySink()
    bus = EventBus([sink])
    bus.publish(_call(1))
    bus.close()
    bus.publish(_call(2))
    assert bus.close()[0].delivered == 1
    assert len(sink.events) == 1


def test_sink_close_is_called_once_after_the_last_event():
    order = []

    class Closing(Sink):
        name = "closing"

        def handle(self, event):
            order.append("event")

        def close(self):
            order.append("close")

    bus = EventBus([Closing()])
    bus.publish(_call(1))
    bus.publish(_call(2))
    bus.close()
    assert order == ["event", "event", "close"]


def test_add_sink_after_close_raises():
    bus = EventBus()
    bus.close()
    with pytest.raises(RuntimeError):
        bus.add_sink(MemorySink())
