import time

from aegis_cli.telemetry import EventBus, HardwareSample, MemorySink
from aegis_cli.telemetry.events import GpuSample
from aegis_cli.telemetry.sampler import HardwareSampler, _Window


def test_sampler_without_gpu_reports_cpu_and_leaves_gpu_fields_unknown():
    sink = MemorySink()
    bus = EventBus([sink])
    sampler = HardwareSampler(bus=bus, hz=20).start()
    burn_until = time.monotonic() + 0.4
    x = 0
    while time.monotonic() < burn_until:  # some CPU load so cpu_pct is a real reading
        x += 1
    total = sampler.stop()
    bus.close()
    samples = sink.of_type(HardwareSample)
    assert len(samples) >= 4
    assert all(s.gpus == () for s in samples)  # no NVML here: no GPU rows at all
    assert samples[0].cpu_pct is None  # first psutil reading has no interval: unknown, not 0
    assert any(s.cpu_pct and s.cpu_pct > 0 for s in samples[1:])
    assert all(s.rss_mb and s.rss_mb > 10 for s in samples)
    assert total is not None and total.energy_j is None and total.power_mean_w is None
    assert total.to_dict()["energy_j"] is None  # N/A, never 0
    assert total.rss_max_mb > 10
    assert total.samples == len(samples)  # every reading is both published and aggregated


def test_take_interval_splits_windows_and_total_covers_all():
    sampler = HardwareSampler(hz=50).start()
    time.sleep(0.15)
    first = sampler.take_interval()
    time.sleep(0.15)
    second = sampler.take_interval()
    total = sampler.stop()
    assert first.samples >= 3 and second.samples >= 3
    assert second.start == first.end
    assert total.samples >= first.samples + second.samples


def _gpu(ts_power, energy=None):
    return GpuSample(index=0, uuid="GPU-x", power_w=ts_power, energy_mj=energy, util_pct=50.0, temp_c=60.0)


def test_energy_uses_the_counter_delta_when_present():
    w = _Window(0.0, [])
    w.gpu[0] = __import__("aegis_cli.telemetry.sampler", fromlist=["_GpuAcc"])._GpuAcc(0, "GPU-x", 0)
    prev = None
    for t, power, energy in [(0.0, 100.0, 1_000_000.0), (1.0, 300.0, 1_250_000.0), (2.0, 300.0, 1_550_000.0)]:
        s = HardwareSample(ts=t, gpus=(_gpu(power, energy),))
        w.add(s, prev)
        prev = s
    g = w.result().gpus[0]
    assert g.energy_j == 550.0 and not g.energy_estimated  # (1_550_000 - 1_000_000) mJ
    assert g.power_min == 100.0 and g.power_max == 300.0 and abs(g.power_mean - 700 / 3) < 1e-9


def test_energy_falls_back_to_trapezoid_and_says_so():
    from aegis_cli.telemetry.sampler import _GpuAcc

    w = _Window(0.0, [])
    w.gpu[0] = _GpuAcc(0, "GPU-x", 0)
    prev = None
    for t, power in [(0.0, 100.0), (1.0, 300.0), (3.0, 300.0)]:
        s = HardwareSample(ts=t, gpus=(_gpu(power),))
        w.add(s, prev)
        prev = s
    stats = w.result()
    assert stats.energy_j == (100 + 300) / 2 * 1 + 300 * 2  # 800 J
    assert stats.energy_estimated
