"""How long the report takes to render from a long history (issue 9: ≤ 2 s for 100,000 steps).

Builds a synthetic history.json of N logged steps with GPU telemetry (as the callback
records them), then times what `aegis report` and the end of a run do: read
history.json, render report.md and draw telemetry.png (both written to disk).
The last line is ``seconds=X`` (read + markdown + chart).

    python benchmarks/report_render.py [--steps 100000]
"""

from __future__ import annotations

import argparse
import math
import random
import tempfile
import time
from pathlib import Path


def synthetic_history(steps: int):
    from aegis_cli.report.history import History, empty_entry

    rng = random.Random(0)
    h = History.new("bench-100k", "bench")
    h.data["batch"] = {"per_device": 8, "grad_accum": 4, "world_size": 1}
    h.data["hardware"] = {"gpus": [{"index": 0, "name": "NVIDIA H100 80GB HBM3"}], "poll_hz": 2}
    h.data["model"] = {"base": "Qwen/Qwen2.5-0.5B", "architecture": "Qwen2ForCausalLM", "parameters": 494_000_000,
                       "trainable_parameters": 4_400_000, "device": "cuda:0", "precision": "bf16"}
    h.start_segment(0, 1)
    for i in range(1, steps + 1):
        e = empty_entry(i)
        power = 450 + 80 * math.sin(i / 900) + rng.uniform(-20, 20)
        e.update(epoch=i / 5000, t=i * 0.2, seg=0, loss=2.5 * math.exp(-i / 30000) + 0.4 + rng.uniform(0, 0.2),
                 lr=2e-4 * (1 - i / steps), grad_norm=1.0, samples=i * 32, interval_s=0.2, steps=1,
                 samples_per_s=160.0, tokens=32 * 900, tokens_per_s=144000.0, vram_peak_mb=30_000 + rng.uniform(0, 800),
                 vram_mean_mb=29_500.0, power_min_w=power - 40, power_mean_w=power, power_max_w=power + 40,
                 util_pct=95 + rng.uniform(-3, 3), temp_max_c=60 + 10 * math.sin(i / 20000), energy_j=power * 0.2,
                 hw_samples=1)
        h.add_entry(e)
    h.end_segment("completed", end_step=steps, duration_s=steps * 0.2,
                  telemetry={"duration_s": steps * 0.2, "power_w": {"min": 350.0, "mean": 450.0, "max": 570.0},
                             "gpu_util_pct": 95.0, "temp_c_max": 70.0, "energy_j": 450.0 * steps * 0.2,
                             "energy_estimated": False})
    return h


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    args = parser.parse_args()
    import matplotlib  # the chart's import is a one-time cost of the process; time it separately

    t0 = time.perf_counter()
    from matplotlib.figure import Figure  # noqa: F401

    import_s = time.perf_counter() - t0
    from aegis_cli.report.charts import render_png
    from aegis_cli.report.history import atomic_write_text, read_document
    from aegis_cli.report.markdown import render

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        history = synthetic_history(args.steps)
        t0 = time.perf_counter()
        history.save(out / "history.json")
        write_s = time.perf_counter() - t0
        size_mb = (out / "history.json").stat().st_size / 2**20

        t0 = time.perf_counter()
        document = read_document(out / "history.json")
        t1 = time.perf_counter()
        atomic_write_text(out / "report.md", render(document))
        t2 = time.perf_counter()
        render_png(document, out / "telemetry.png")
        t3 = time.perf_counter()
    print(f"steps={args.steps} history_mb={size_mb:.1f} matplotlib_import_s={import_s:.2f} (matplotlib {matplotlib.__version__})")
    print(f"history_write_s={write_s:.3f} read_s={t1 - t0:.3f} markdown_s={t2 - t1:.3f} chart_s={t3 - t2:.3f}")
    print(f"seconds={t3 - t0:.3f}")


if __name__ == "__main__":
    main()
