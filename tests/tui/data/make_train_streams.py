"""Writes the training event streams the dashboard tests replay (run it to regenerate them).

    python tests/tui/data/make_train_streams.py

* ``train_cpu_stream.jsonl`` — RECORDED: ``aegis train --config CONFIG --no-tui
  --telemetry-log ...`` with the smoke config below (200 steps of LoRA on the tiny builtin
  causal LM over 400 generated snippets, eval every 50, a checkpoint at 100, Comet offline),
  on this project's 2-core CPU machine, run from a scratch directory so every path in it is
  relative (docs/reports/aegis-smoke, runs/aegis-smoke), not this machine's.
* ``train_gpu_stream.jsonl`` — GPU-SHAPED, derived from the recording: the same steps, losses
  and notices, with the run moved to ``cuda:0`` in bf16 and NVML-style GPU samples (util,
  power, temperature) and per-step peak VRAM added, shaped like a small LoRA run on an H100.
  Those GPU figures are synthesised here, not measured; they exist so the GPU panels of the
  dashboard are reviewed in a snapshot.
"""

from __future__ import annotations

import dataclasses
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from aegis_cli.telemetry.events import GpuSample, HardwareSample, RunStarted, TrainStep
from aegis_cli.telemetry.sinks import event_to_json, read_jsonl

HERE = Path(__file__).parent


SMOKE_CONFIG = """\
project_name: aegis-smoke
model: {base: "builtin:tiny-causal-lm", task: causal_lm}
dataset: {source: train_sample.jsonl, max_length: 128, eval_fraction: 0.1}
lora: {enabled: true, r: 8, alpha: 16, dropout: 0.05, target_modules: all-linear}
training:
  max_steps: 200
  per_device_batch_size: 8
  gradient_accumulation_steps: 2
  learning_rate: 3.0e-3
  scheduler: cosine
  warmup_steps: 10
  precision: fp32
  cpu_threads: 1
  seed: 42
  logging_steps: 10
  save_steps: 100
  output_dir: runs/aegis-smoke
  eval: {strategy: steps, steps: 50}
reporting: {output_dir: docs/reports, poll_hz: 2, report_every: 5, use_comet_ml: true}
"""


def record_cpu_stream(target: Path) -> None:
    from aegis_cli.train.builtin import sample_corpus, write_jsonl

    scratch = Path(tempfile.mkdtemp(prefix="aegis-train-stream-"))
    try:
        write_jsonl(sample_corpus(400), scratch / "train_sample.jsonl")
        (scratch / "smoke.yaml").write_text(SMOKE_CONFIG, encoding="utf-8")
        log = scratch / "events.jsonl"
        subprocess.run(
            [sys.executable, "-m", "aegis_cli", "train", "--config", "smoke.yaml", "--no-tui", "--telemetry-log", str(log)],
            cwd=scratch, check=True, env=dict(os.environ, COMET_API_KEY=""),
        )
        text = log.read_text(encoding="utf-8").replace(str(scratch) + os.sep, "")
        target.write_text(text, encoding="utf-8")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def gpu_stream_from(cpu: Path, target: Path) -> None:
    rng = random.Random(7)
    out = []
    step_index = 0
    for event in read_jsonl(cpu, strict=True):
        if isinstance(event, RunStarted):
            meta = dict(event.meta, device="cuda:0", precision="bf16", target="aegis-smoke (Qwen/Qwen2.5-Coder-0.5B)",
                        model="Qwen/Qwen2.5-Coder-0.5B")
            event = dataclasses.replace(event, meta=meta)
        elif isinstance(event, HardwareSample):
            warm = min(1.0, step_index / 6)
            power = 120 + 420 * warm + rng.uniform(-25, 25)
            gpu = GpuSample(index=0, uuid="GPU-00000000-0000-0000-0000-000000000000", name="NVIDIA H100 80GB HBM3",
                            cuda_index=0, util_pct=round(min(100.0, 35 + 60 * warm + rng.uniform(-4, 4)), 1),
                            mem_used_mb=round(9000 + 5200 * warm), mem_total_mb=81559.0, power_w=round(power, 1),
                            energy_mj=None, temp_c=round(36 + 24 * warm + rng.uniform(-1, 1)), sm_clock_mhz=1980.0)
            event = dataclasses.replace(event, gpus=(gpu,))
        elif isinstance(event, TrainStep):
            step_index += 1
            vram = 12800 + 180 * math.sin(step_index) + rng.uniform(0, 60)
            event = dataclasses.replace(event, peak_vram_mb=round(vram, 1), power_w=round(500 + rng.uniform(-20, 20), 1))
        out.append(event_to_json(event))
    text = "\n".join(out) + "\n"
    target.write_text(text.replace("builtin:tiny-causal-lm", "Qwen/Qwen2.5-Coder-0.5B")
                      .replace("model on cpu (fp32)", "model on cuda:0 (bf16)"), encoding="utf-8")


def main() -> None:
    cpu = HERE / "train_cpu_stream.jsonl"
    if "--derive-only" not in sys.argv:
        record_cpu_stream(cpu)
    gpu_stream_from(cpu, HERE / "train_gpu_stream.jsonl")
    print(f"wrote {cpu} and {HERE / 'train_gpu_stream.jsonl'}")


if __name__ == "__main__":
    main()
