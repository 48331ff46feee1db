"""Sampler overhead: a CPU-bound loop with the hardware sampler at 2 Hz vs without,
measured in the same run (interleaved pairs, median of the ratios). Last line:
    overhead_pct=X
Goal (issue 2): X <= 1.0.
"""

from __future__ import annotations

import argparse
import statistics
import time

from aegis_cli.telemetry import EventBus, JsonlRecorder
from aegis_cli.telemetry.sampler import HardwareSampler


def work(n: int) -> float:
    t0 = time.perf_counter()
    acc = 0
    for i in range(n):
        acc = (acc * 31 + i) % 1_000_003
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=9)
    ap.add_argument("--iterations", type=int, default=30_000_000,
                    help="loop size (~1.7 s per run on a 2-core VM: several 2 Hz samples per run)")
    ap.add_argument("--hz", type=float, default=2.0)
    args = ap.parse_args()
    import tempfile

    work(args.iterations // 10)  # warm up
    ratios, base_times, sampled_times = [], [], []
    samples = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.pairs):
            order = ("off", "on") if i % 2 == 0 else ("on", "off")
            times = {}
            for mode in order:
                if mode == "on":
                    bus = EventBus([JsonlRecorder(f"{tmp}/hw{i}.jsonl")])  # samples go somewhere real
                    sampler = HardwareSampler(bus=bus, hz=args.hz).start()
                    times[mode] = work(args.iterations)
                    sampler.stop()
                    bus.close()
                    samples += sampler.samples_taken
                else:
                    times[mode] = work(args.iterations)
            base_times.append(times["off"])
            sampled_times.append(times["on"])
            ratios.append(times["on"] / times["off"])
    overhead = (statistics.median(ratios) - 1.0) * 100
    print(f"without sampler: median {statistics.median(base_times):.3f}s; with sampler at {args.hz:g} Hz: "
          f"median {statistics.median(sampled_times):.3f}s; {samples} samples over {args.pairs} runs")
    print(f"overhead_pct={overhead:.2f}")


if __name__ == "__main__":
    main()
