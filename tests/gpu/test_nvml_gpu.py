"""Real NVML readings on a CUDA machine (marker `gpu`; skipped without CUDA).

Run on the H100 through the device tool: `python -m pytest -m gpu tests/gpu`.
"""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.gpu


def test_sampler_reads_real_values_for_the_gpu_in_use():
    import torch

    from aegis_cli.telemetry.sampler import HardwareSampler

    torch.cuda.init()
    sampler = HardwareSampler(hz=10, cuda_devices=[0]).start()
    time.sleep(0.5)
    latest = sampler.latest
    sampler.stop()
    assert latest is not None and len(latest.gpus) == 1
    g = latest.gpus[0]
    assert g.cuda_index == 0 and g.uuid and g.uuid.startswith(("GPU-", "MIG-"))
    assert g.mem_total_mb and g.mem_total_mb > 1000
    assert g.power_w is not None and g.power_w > 0
    assert g.temp_c is not None and 0 < g.temp_c < 120
    assert g.util_pct is not None and g.sm_clock_mhz is not None


def test_energy_counter_delta_matches_mean_power_times_time_under_load():
    import torch

    from aegis_cli.telemetry.sampler import HardwareSampler

    a = torch.randn(8192, 8192, device="cuda:0", dtype=torch.bfloat16)
    sampler = HardwareSampler(hz=20, cuda_devices=[0]).start()
    if not sampler.gpus or not sampler.gpus[0].energy_counter:
        sampler.stop()
        pytest.skip("this GPU has no total-energy counter")
    sampler.take_interval()
    t_end = time.monotonic() + 2.0
    while time.monotonic() < t_end:
        for _ in range(20):
            a = (a @ a).clamp_(-1, 1)
        torch.cuda.synchronize()
    interval = sampler.take_interval()
    sampler.stop()
    g = interval.gpus[0]
    assert g.energy_j is not None and g.energy_j > 0 and not g.energy_estimated
    trapezoid = g.power_mean * interval.duration_s
    assert abs(g.energy_j - trapezoid) / trapezoid < 0.15, (g.energy_j, trapezoid)


def test_doctor_lists_the_gpu_with_its_energy_counter():
    from aegis_cli.doctor import collect

    info = collect()
    assert info["gpus"]["available"] and info["gpus"]["devices"]
    d = info["gpus"]["devices"][0]
    assert d["name"] and d["uuid"] and d["memory_total_mb"] > 1000 and d["power_limit_w"] > 0
    assert isinstance(d["energy_counter"], bool)
