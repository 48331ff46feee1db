"""On a CUDA GPU the GPU rows are measured, not N/A (skipped without CUDA)."""

from __future__ import annotations

import json

import pytest

from aegis_cli.report.history import rows
from helpers.tiny_train import train_config

pytestmark = pytest.mark.gpu


def _run(cfg):
    from aegis_cli.train.runner import run_training

    return run_training(cfg, handle_sigint=False)


def test_cuda_run_reports_vram_power_temperature_energy(tmp_path):
    import torch

    precision = "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    cfg = train_config(tmp_path, max_steps=20, training={"precision": precision, "logging_steps": 5},
                       reporting={"poll_hz": 10})
    outcome = _run(cfg)
    assert outcome.status == "completed", outcome.error
    history = json.loads(outcome.history_json.read_text())
    assert history["model"]["device"].startswith("cuda")
    entries = rows(history)
    assert all(e["vram_peak_mb"] and e["vram_peak_mb"] > 0 for e in entries)
    assert history["hardware"]["gpus"], "the sampler watched the GPU the model is on"
    tel = history["segments"][0]["telemetry"]
    if not history["hardware"].get("nvml_error"):
        assert tel["power_w"]["max"] and tel["temp_c_max"] is not None
        assert tel["energy_j"] is not None and tel["energy_j"] > 0
    report = outcome.report_md.read_text()
    peak = max(e["vram_peak_mb"] for e in entries)
    assert f"| Peak VRAM | {peak:,.0f} MB |" in report


def test_int4_lora_run(tmp_path):
    pytest.importorskip("bitsandbytes")
    import torch

    precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    cfg = train_config(tmp_path, max_steps=6, quantization={"mode": "int4"}, training={"precision": precision})
    outcome = _run(cfg)
    assert outcome.status == "completed", outcome.error
    history = json.loads(outcome.history_json.read_text())
    assert history["model"]["quantization"] == "int4"  # read from the loaded layers, not the request
