"""Bus throughput: one producer, a JSONL recorder (lossless) and a deliberately stalled
lossy sink. Prints, last line:
    events_per_s=N publish_p99_us=M recorder_lost=0 stalled_sink_dropped=D
Goals (issue 2): N >= 100000, M <= 50, recorder_lost == 0, the producer never blocks.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import threading
import time
from pathlib import Path

from aegis_cli.telemetry import EventBus, JsonlRecorder, ModelCall, Sink


class StalledSink(Sink):
    name = "stalled"
    lossless = False
    max_queue = 1000

    def __init__(self) -> None:
        self.release = threading.Event()

    def handle(self, event) -> None:
        self.release.wait()  # stuck until the run is over


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bus.jsonl"
        stalled = StalledSink()
        recorder = JsonlRecorder(path)
        bus = EventBus([recorder, stalled])
        events = [ModelCall(model_id="codebert", latency_ms=1.25, input_tokens=i, output_tokens=0, items=8)
                  for i in range(args.events)]
        lat = [0] * args.events
        clock = time.perf_counter_ns
        gc.collect()
        t0 = time.perf_counter()
        publish = bus.publish
        for i, event in enumerate(events):
            a = clock()
            publish(event)
            lat[i] = clock() - a
        elapsed = time.perf_counter() - t0
        stalled.release.set()
        stats = {s.name: s for s in bus.close(timeout=120)}
        written = sum(1 for _ in path.open())
    lat.sort()
    p99_us = lat[int(len(lat) * 0.99)] / 1000
    print(f"published {args.events} events in {elapsed:.3f}s; recorder wrote {written}; "
          f"p50 {lat[len(lat) // 2] / 1000:.2f}us p999 {lat[int(len(lat) * 0.999)] / 1000:.1f}us max {lat[-1] / 1000:.0f}us")
    for s in stats.values():
        print("  " + s.line())
    print(f"events_per_s={args.events / elapsed:.0f} publish_p99_us={p99_us:.1f} "
          f"recorder_lost={args.events - written} stalled_sink_dropped={stats['stalled'].dropped}")


if __name__ == "__main__":
    main()
