"""Background hardware sampler: NVML per GPU, psutil for CPU and memory.

A daemon thread takes a timestamped snapshot at ``hz`` (default 2), publishes it as
a :class:`HardwareSample` and folds it into two aggregates: one since the last
``take_interval()`` (a training log step) and one since ``start()``.

Energy is the NVML total-energy counter delta per GPU. Where the counter does not
answer, power samples are integrated with the trapezoid rule and the figure is
marked ``estimated``. Where neither is known, energy is None (N/A), never 0.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aegis_cli.telemetry import nvml
from aegis_cli.telemetry.events import GpuSample, HardwareSample


@dataclass
class GpuAggregate:
    index: int
    uuid: str | None
    cuda_index: int | None
    samples: int = 0
    util_mean: float | None = None
    util_max: float | None = None
    power_mean: float | None = None
    power_min: float | None = None
    power_max: float | None = None
    temp_mean: float | None = None
    temp_max: float | None = None
    mem_used_max_mb: float | None = None
    energy_j: float | None = None
    energy_estimated: bool = False


@dataclass
class IntervalStats:
    start: float
    end: float
    samples: int
    gpus: list[GpuAggregate] = field(default_factory=list)
    cpu_mean: float | None = None
    rss_max_mb: float | None = None

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end - self.start)

    @property
    def energy_j(self) -> float | None:
        """Summed over GPUs; None when no GPU has a figure."""
        values = [g.energy_j for g in self.gpus if g.energy_j is not None]
        return sum(values) if values else None

    @property
    def energy_estimated(self) -> bool:
        return any(g.energy_estimated for g in self.gpus if g.energy_j is not None)

    def _combine(self, attr: str, how) -> float | None:
        values = [getattr(g, attr) for g in self.gpus if getattr(g, attr) is not None]
        return how(values) if values else None

    @property
    def power_mean_w(self) -> float | None:
        return self._combine("power_mean", sum)

    @property
    def power_min_w(self) -> float | None:
        return self._combine("power_min", sum)

    @property
    def power_max_w(self) -> float | None:
        return self._combine("power_max", sum)

    @property
    def util_mean_pct(self) -> float | None:
        return self._combine("util_mean", lambda v: sum(v) / len(v))

    @property
    def temp_max_c(self) -> float | None:
        return self._combine("temp_max", max)

    @property
    def mem_used_max_mb(self) -> float | None:
        return self._combine("mem_used_max_mb", sum)

    def to_dict(self) -> dict[str, Any]:
        return {
            "duration_s": self.duration_s,
            "samples": self.samples,
            "power_w": {"min": self.power_min_w, "mean": self.power_mean_w, "max": self.power_max_w},
            "gpu_util_pct": self.util_mean_pct,
            "temp_c_max": self.temp_max_c,
            "gpu_mem_used_mb_max": self.mem_used_max_mb,
            "energy_j": self.energy_j,
            "energy_estimated": self.energy_estimated,
            "cpu_pct": self.cpu_mean,
            "rss_mb_max": self.rss_max_mb,
        }


class _GpuAcc:
    """Running figures for one GPU over one window."""

    def __init__(self, index: int, uuid: str | None, cuda_index: int | None):
        self.index, self.uuid, self.cuda_index = index, uuid, cuda_index
        self.n = 0
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.mins: dict[str, float] = {}
        self.maxs: dict[str, float] = {}
        self.energy_j: float | None = None
        self.estimated = False

    def add(self, s: GpuSample, prev: GpuSample | None, dt: float) -> None:
        self.n += 1
        for key in ("util_pct", "power_w", "temp_c", "mem_used_mb"):
            v = getattr(s, key)
            if v is None:
                continue
            self.sums[key] = self.sums.get(key, 0.0) + v
            self.counts[key] = self.counts.get(key, 0) + 1
            self.mins[key] = min(self.mins.get(key, v), v)
            self.maxs[key] = max(self.maxs.get(key, v), v)
        if prev is None:
            return
        if s.energy_mj is not None and prev.energy_mj is not None and s.energy_mj >= prev.energy_mj:
            delta = (s.energy_mj - prev.energy_mj) / 1000.0
        elif s.power_w is not None and prev.power_w is not None and dt > 0:
            delta = (s.power_w + prev.power_w) / 2.0 * dt
            self.estimated = True
        else:
            return
        self.energy_j = (self.energy_j or 0.0) + delta

    def result(self) -> GpuAggregate:
        def mean(k):
            return self.sums[k] / self.counts[k] if self.counts.get(k) else None

        return GpuAggregate(
            index=self.index,
            uuid=self.uuid,
            cuda_index=self.cuda_index,
            samples=self.n,
            util_mean=mean("util_pct"),
            util_max=self.maxs.get("util_pct"),
            power_mean=mean("power_w"),
            power_min=self.mins.get("power_w"),
            power_max=self.maxs.get("power_w"),
            temp_mean=mean("temp_c"),
            temp_max=self.maxs.get("temp_c"),
            mem_used_max_mb=self.maxs.get("mem_used_mb"),
            energy_j=self.energy_j,
            energy_estimated=self.estimated,
        )


class _Window:
    def __init__(self, start: float, gpus: list[nvml.GpuInfo]):
        self.start = start
        self.end = start
        self.n = 0
        self.gpu = {g.index: _GpuAcc(g.index, g.uuid, g.cuda_index) for g in gpus}
        self.cpu_sum = 0.0
        self.cpu_n = 0
        self.rss_max: float | None = None

    def add(self, sample: HardwareSample, prev: HardwareSample | None) -> None:
        self.n += 1
        self.end = sample.ts
        dt = sample.ts - prev.ts if prev is not None else 0.0
        prev_by_index = {g.index: g for g in prev.gpus} if prev is not None else {}
        for g in sample.gpus:
            acc = self.gpu.get(g.index)
            if acc is not None:
                acc.add(g, prev_by_index.get(g.index), dt)
        if sample.cpu_pct is not None:
            self.cpu_sum += sample.cpu_pct
            self.cpu_n += 1
        if sample.rss_mb is not None:
            self.rss_max = max(self.rss_max or 0.0, sample.rss_mb)

    def result(self) -> IntervalStats:
        return IntervalStats(
            start=self.start,
            end=self.end,
            samples=self.n,
            gpus=[a.result() for a in self.gpu.values()],
            cpu_mean=self.cpu_sum / self.cpu_n if self.cpu_n else None,
            rss_max_mb=self.rss_max,
        )


class HardwareSampler:
    """Sample hardware on a background thread.

    ``cuda_devices``: the CUDA ordinals (as this process sees them) the job uses;
    None watches every visible GPU. ``bus``: where HardwareSample events go (optional).
    """

    def __init__(self, bus: Any = None, hz: float = 2.0, cuda_devices: list[int] | None = None):
        if hz <= 0:
            raise ValueError("hz must be positive")
        self.bus = bus
        self.period = 1.0 / hz
        self._cuda_devices = cuda_devices
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._nv: Any = None
        self._handles: list[tuple[nvml.GpuInfo, Any]] = []
        self.gpus: list[nvml.GpuInfo] = []
        self.nvml_error: str | None = None
        self.latest: HardwareSample | None = None
        self._prev: HardwareSample | None = None
        self._interval: _Window | None = None
        self._total: _Window | None = None
        self._proc: Any = None
        self._psutil: Any = None
        self.samples_taken = 0
        self.errors = 0

    # -------------------------------------------------------------- lifecycle
    def start(self) -> HardwareSampler:
        if self._thread is not None:
            return self
        self._open()
        # cpu_percent has no interval yet on the first reading: unknown, not 0
        first = dataclasses.replace(self._read(), cpu_pct=None)
        now = first.ts
        with self._lock:
            self._interval = _Window(now, self.gpus)
            self._total = _Window(now, self.gpus)
            self._fold(first)
        if self.bus is not None:
            self.bus.publish(first)
        self._thread = threading.Thread(target=self._loop, name="aegis-hw-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> IntervalStats | None:
        """Stop the thread (taking one last sample) and return the whole-run aggregate."""
        if self._thread is None:
            return self.total()
        self._stop.set()
        self._thread.join(5.0)
        self._thread = None
        try:
            self._sample_once()
        finally:
            if self._nv is not None:
                nvml.shutdown()
                self._nv = None
        return self.total()

    def __enter__(self) -> HardwareSampler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ reads
    def take_interval(self) -> IntervalStats | None:
        """Aggregate since the previous call (or start) and begin a new window."""
        with self._lock:
            if self._interval is None:
                return None
            result = self._interval.result()
            self._interval = _Window(result.end, self.gpus)
            return result

    def total(self) -> IntervalStats | None:
        with self._lock:
            return self._total.result() if self._total is not None else None

    @property
    def has_gpu(self) -> bool:
        return bool(self.gpus)

    # -------------------------------------------------------------- internals
    def _open(self) -> None:
        try:
            import psutil

            self._psutil = psutil
            self._proc = psutil.Process(os.getpid())
            psutil.cpu_percent(None)  # prime: the first call has no interval
        except Exception:
            self._psutil = None
        nv = nvml.init()
        if nv is None:
            self.nvml_error = nvml.unavailable_reason()
            return
        self._nv = nv
        infos = nvml.describe_devices(nv)
        if self._cuda_devices is not None:
            wanted = set(self._cuda_devices)
            infos = [g for g in infos if g.cuda_index in wanted]
        else:
            mapped = [g for g in infos if g.cuda_index is not None]
            infos = mapped if mapped else infos
        self.gpus = infos
        self._handles = [(g, nvml.call(nv.nvmlDeviceGetHandleByIndex, g.index)) for g in infos]

    def _read(self) -> HardwareSample:
        gpus = []
        for info, handle in self._handles:
            values = nvml.read(self._nv, handle) if handle is not None else {}
            gpus.append(GpuSample(index=info.index, uuid=info.uuid, name=info.name, cuda_index=info.cuda_index, **values))
        cpu = rss = used = total = None
        if self._psutil is not None:
            try:
                cpu = float(self._psutil.cpu_percent(None))
                rss = self._proc.memory_info().rss / 2**20
                vm = self._psutil.virtual_memory()
                used, total = (vm.total - vm.available) / 2**20, vm.total / 2**20
            except Exception:
                self.errors += 1
        return HardwareSample(gpus=tuple(gpus), cpu_pct=cpu, rss_mb=rss, ram_used_mb=used, ram_total_mb=total)

    def _fold(self, sample: HardwareSample) -> None:
        assert self._interval is not None and self._total is not None
        self._interval.add(sample, self._prev)
        self._total.add(sample, self._prev)
        self._prev = sample
        self.latest = sample
        self.samples_taken += 1

    def _sample_once(self) -> None:
        try:
            sample = self._read()
        except Exception:  # telemetry never raises into the job
            self.errors += 1
            return
        with self._lock:
            if self._interval is not None:
                self._fold(sample)
        if self.bus is not None:
            try:
                self.bus.publish(sample)
            except Exception:
                self.errors += 1

    def _loop(self) -> None:
        next_at = time.monotonic() + self.period
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            self._sample_once()
            next_at += self.period
            now = time.monotonic()
            if next_at < now:  # fell behind (suspended process): don't burst
                next_at = now + self.period
