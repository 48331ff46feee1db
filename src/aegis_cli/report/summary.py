"""The figures of a training report, computed from history.json alone.

report.md, the terminal dashboard and ``aegis report list/show/compare`` all read these
numbers, so they agree by construction. Every figure is None when it is not known (no
GPU, no token counts), never 0. Where each number comes from:

* duration: the sum of the run segments' durations (each ``train()`` call), not the
  wall time since the first start;
* samples: optimizer steps × per-device batch × gradient accumulation × world size,
  counted per segment (steps redone after a resume count once, with the world size
  that ran them);
* loss: the first and last finite training losses the Trainer logged;
* VRAM: ``torch.cuda.max_memory_allocated`` after each optimizer step (reset before
  it): the peak is the largest, the average is the mean of the per-step peaks;
* power, utilisation, temperature, energy: the hardware sampler's whole-segment
  aggregates (NVML at ``poll_hz``); energy is the NVML energy counter, or a trapezoid
  integral of power samples flagged ``energy_estimated``; it includes every segment,
  also work redone after a resume (that energy was spent);
* tokens/s: non-padding tokens of the batches fed (counted on the CPU side) divided by
  the time of the log intervals where they were counted.

This module imports neither torch nor matplotlib.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any


@dataclass
class Summary:
    project_name: str
    status: str
    error: str | None
    duration_s: float
    segments: int
    steps: int
    max_steps: int | None
    epoch: float | None
    parameters: int | None
    trainable_parameters: int | None
    samples: int | None
    samples_per_s: float | None
    tokens: int | None
    tokens_per_s: float | None
    loss_initial: float | None
    loss_initial_step: int | None
    loss_final: float | None
    loss_final_step: int | None
    eval_loss_final: float | None
    vram_peak_mb: float | None
    vram_mean_mb: float | None
    power_peak_w: float | None
    power_mean_w: float | None
    energy_kwh: float | None
    energy_estimated: bool
    util_mean_pct: float | None
    temp_peak_c: float | None
    has_gpu: bool
    gpu_names: list[str] = field(default_factory=list)
    nan_steps: list[int] = field(default_factory=list)
    updated_at: str | None = None
    world_sizes: list[int] = field(default_factory=list)

    @property
    def duration_h(self) -> float:
        return self.duration_s / 3600.0

    @property
    def trainable_pct(self) -> float | None:
        if not self.parameters or self.trainable_parameters is None:
            return None
        return 100.0 * self.trainable_parameters / self.parameters

    @property
    def loss_change_pct(self) -> float | None:
        if self.loss_initial in (None, 0) or self.loss_final is None:
            return None
        return 100.0 * (self.loss_final - self.loss_initial) / abs(self.loss_initial)

    @property
    def energy_per_1k_samples_wh(self) -> float | None:
        if self.energy_kwh is None or not self.samples:
            return None
        return self.energy_kwh * 1000.0 / self.samples * 1000.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(duration_h=self.duration_h, trainable_pct=self.trainable_pct,
                    loss_change_pct=self.loss_change_pct, energy_per_1k_samples_wh=self.energy_per_1k_samples_wh)
        return data


_INF = math.inf
_NUMBER = (int, float)


def _finite(v: Any) -> bool:
    return type(v) in _NUMBER and -_INF < v < _INF  # type() excludes bool; NaN fails the comparison


def _numbers(values: list[Any]) -> list[Any]:
    """The finite numbers of a column (fast: this runs over every logged step)."""
    return [v for v in values if type(v) in _NUMBER and -_INF < v < _INF]


def samples_processed(history: dict[str, Any]) -> int | None:
    """Optimizer steps × per-device batch × accumulation × world size, per segment."""
    batch = history.get("batch") or {}
    per_device, accum = batch.get("per_device"), batch.get("grad_accum")
    if not per_device or not accum:
        return None
    segments = history.get("segments") or []
    if not segments:
        ws = batch.get("world_size") or 1
        return int(history.get("global_step") or 0) * per_device * accum * ws
    total = 0
    for i, seg in enumerate(segments):
        end = seg.get("end_step") or 0
        if i + 1 < len(segments):  # steps after the next segment's checkpoint were redone: count them once
            end = min(end, segments[i + 1].get("start_step") or 0)
        steps = max(0, end - (seg.get("start_step") or 0))
        total += steps * per_device * accum * (seg.get("world_size") or 1)
    return total


def _segment_telemetry(segments: list[dict[str, Any]]) -> dict[str, Any]:
    peaks, temps, energies = [], [], []
    power_weighted = util_weighted = 0.0
    power_time = util_time = 0.0
    estimated = False
    for seg in segments:
        tel = seg.get("telemetry") or {}
        dur = float(tel.get("duration_s") or seg.get("duration_s") or 0.0)
        power = tel.get("power_w") or {}
        if _finite(power.get("max")):
            peaks.append(power["max"])
        if _finite(power.get("mean")) and dur > 0:
            power_weighted += power["mean"] * dur
            power_time += dur
        if _finite(tel.get("gpu_util_pct")) and dur > 0:
            util_weighted += tel["gpu_util_pct"] * dur
            util_time += dur
        if _finite(tel.get("temp_c_max")):
            temps.append(tel["temp_c_max"])
        if _finite(tel.get("energy_j")):
            energies.append(tel["energy_j"])
            estimated = estimated or bool(tel.get("energy_estimated"))
    return {
        "power_peak_w": max(peaks) if peaks else None,
        "power_mean_w": power_weighted / power_time if power_time else None,
        "util_mean_pct": util_weighted / util_time if util_time else None,
        "temp_peak_c": max(temps) if temps else None,
        "energy_kwh": sum(energies) / 3.6e6 if energies else None,
        "energy_estimated": estimated,
    }


def summarize(history: dict[str, Any]) -> Summary:
    """The report's figures from a history document (entries stored as columns)."""
    cols = history.get("entries") or {}
    segments = history.get("segments") or []
    model = history.get("model") or {}
    hardware = history.get("hardware") or {}
    steps_col = cols.get("step") or []
    n = len(steps_col)

    def col(name: str) -> list[Any]:
        return cols.get(name) or [None] * n

    def arr(name: str):
        # numpy does the per-step work: None (unknown) → NaN, skipped by the nan-aware reductions
        values = cols.get(name)
        if values is None:
            return np.full(n, np.nan)
        try:
            a = np.array(values, dtype=float)
        except (TypeError, ValueError):  # a hand-edited file: keep the numbers, drop the rest
            a = np.array([v if _finite(v) else None for v in values], dtype=float)
        a[~np.isfinite(a)] = np.nan
        return a

    import numpy as np

    steps_arr = np.array(steps_col, dtype=float)
    loss = arr("loss")
    known = np.flatnonzero(~np.isnan(loss))
    losses = [(int(steps_arr[i]), float(loss[i])) for i in (known[:1].tolist() + known[-1:].tolist())]
    nan_steps = [s for s, flag in zip(steps_col, col("loss_nonfinite"), strict=True) if flag] if "loss_nonfinite" in cols else []

    peak = arr("vram_peak_mb")
    peaks = [float(np.nanmax(peak))] if n and not np.isnan(peak).all() else []
    vmean, vsteps = arr("vram_mean_mb"), arr("steps")
    vsteps[np.isnan(vsteps)] = 1.0
    ok = ~np.isnan(vmean)
    vram_mean = float((vmean[ok] * vsteps[ok]).sum() / vsteps[ok].sum()) if ok.any() else None

    tok, dt = arr("tokens"), arr("interval_s")
    ok = ~np.isnan(tok) & ~np.isnan(dt)
    tokens = int(tok[ok].sum()) if ok.any() else None
    token_time = float(dt[ok].sum()) if ok.any() else 0.0
    tokens_per_s = tokens / token_time if tokens is not None and token_time > 0 else None

    duration = sum(float(s.get("duration_s") or 0.0) for s in segments)
    samples = samples_processed(history)
    samples_per_s = samples / duration if samples is not None and duration > 0 else None

    evals = [e for e in history.get("evals") or [] if _finite((e.get("metrics") or {}).get("eval_loss"))]
    steps = int(history.get("global_step") or (segments[-1].get("end_step") if segments else 0) or 0)
    last_epoch = next((v for v in reversed(col("epoch")) if _finite(v)), None)
    gpus = hardware.get("gpus") or []
    return Summary(
        project_name=str(history.get("project_name") or ""),
        status=str(history.get("status") or "running"),
        error=history.get("error"),
        duration_s=duration,
        segments=len(segments),
        steps=steps,
        max_steps=history.get("max_steps"),
        epoch=last_epoch,
        parameters=model.get("parameters"),
        trainable_parameters=model.get("trainable_parameters"),
        samples=samples,
        samples_per_s=samples_per_s,
        tokens=tokens,
        tokens_per_s=tokens_per_s,
        loss_initial=losses[0][1] if losses else None,
        loss_initial_step=losses[0][0] if losses else None,
        loss_final=losses[-1][1] if losses else None,
        loss_final_step=losses[-1][0] if losses else None,
        eval_loss_final=evals[-1]["metrics"]["eval_loss"] if evals else None,
        vram_peak_mb=max(peaks) if peaks else None,
        vram_mean_mb=vram_mean,
        has_gpu=bool(gpus),
        gpu_names=[str(g.get("name") or "GPU") for g in gpus],
        nan_steps=nan_steps,
        updated_at=history.get("updated_at"),
        world_sizes=sorted({int(s.get("world_size") or 1) for s in segments}),
        **_segment_telemetry(segments),
    )


def age(iso: str | None) -> str | None:
    """'3 min ago' style age of an ISO timestamp (for listings)."""
    if not iso:
        return None
    try:
        then = datetime.fromisoformat(iso)
    except ValueError:
        return None
    secs = (datetime.now(timezone.utc) - then).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if secs >= size:
            return f"{secs / size:.0f} {unit} ago"
    return "just now"
