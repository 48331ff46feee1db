"""Typed telemetry events shared by scan and train.

Every event is a frozen dataclass with a monotonic timestamp ``ts`` (seconds,
``time.monotonic()``) and serialises to a flat JSON object with a ``type`` field.
``event_from_dict`` reverses ``event.to_dict()`` so a JSONL recording replays into
the same sinks. Figures that are unknown are ``None`` (shown as N/A), never 0.

This module imports neither torch nor textual.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

RunKind = Literal["scan", "train", "eval"]
RunStatus = Literal["completed", "failed", "interrupted"]
Provider = Literal["hf", "http", "builtin"]
Level = Literal["debug", "info", "success", "warning", "error"]


def _now() -> float:
    return time.monotonic()


_REGISTRY: dict[str, type[Event]] = {}


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base class. ``ts`` is ``time.monotonic()`` at creation."""

    ts: float = field(default_factory=_now)
    type_name: ClassVar[str] = "Event"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.type_name = cls.__name__
        _REGISTRY[cls.__name__] = cls

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type_name}
        for f in dataclasses.fields(self):
            data[f.name] = _plain(getattr(self, f.name))
        return data


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- run


@dataclass(frozen=True, kw_only=True)
class RunStarted(Event):
    run_id: str
    kind: RunKind
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RunFinished(Event):
    run_id: str
    status: RunStatus
    error: str | None = None
    duration_s: float | None = None


@dataclass(frozen=True, kw_only=True)
class LogMessage(Event):
    """A line for people: warnings, notices, checkpoint saved, push done."""

    level: Level
    text: str
    source: str | None = None


# -------------------------------------------------------------------------- scan


@dataclass(frozen=True, kw_only=True)
class ModelLoading(Event):
    model_id: str
    name: str | None = None
    provider: Provider | None = None


@dataclass(frozen=True, kw_only=True)
class ModelStarted(Event):
    """A model is loaded. Every figure is read from the loaded model, never the request."""

    model_id: str
    name: str
    provider: Provider
    device: str | None  # "cuda:0", "mps", "cpu", "cuda:0,cuda:1" for a device map; None for HTTP
    vram_mb: float | None  # allocated-memory delta across the load; None off-GPU
    load_time_ms: float | None
    quantization: str | None  # "int4" | "int8" | None
    precision: str | None  # "fp32" | "fp16" | "bf16" | None (unknown, e.g. HTTP)
    parameters: int | None = None
    context_tokens: int | None = None


@dataclass(frozen=True, kw_only=True)
class ModelCall(Event):
    """One real forward / generate / HTTP call."""

    model_id: str
    latency_ms: float
    input_tokens: int
    output_tokens: int
    items: int
    tokens_estimated: bool = False
    peak_vram_mb: float | None = None
    compute_ms: float | None = None  # time inside the model, if different from latency


@dataclass(frozen=True, kw_only=True)
class FindingFound(Event):
    """``finding`` is ``Finding.to_dict()`` (see aegis_cli.scan.findings)."""

    finding: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class FileSkipped(Event):
    path: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ScanProgress(Event):
    done: int
    total: int | None
    unit: Literal["files", "chunks"]
    model_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ModelCompleted(Event):
    model_id: str
    calls: int
    avg_latency_ms: float | None
    findings: int
    input_tokens: int
    output_tokens: int
    total_tokens: int
    tokens_per_s: float | None
    speed_basis: Literal["output", "processed"] = "processed"
    elapsed_ms: float | None = None
    name: str | None = None
    tokens_estimated: bool = False
    peak_vram_mb: float | None = None


@dataclass(frozen=True, kw_only=True)
class ModelFailed(Event):
    model_id: str
    error: str
    name: str | None = None


# ------------------------------------------------------------------------- train


@dataclass(frozen=True, kw_only=True)
class TrainStep(Event):
    step: int
    max_steps: int | None
    epoch: float | None
    loss: float | None
    learning_rate: float | None
    grad_norm: float | None
    samples_seen: int
    samples_per_s: float | None = None
    tokens_per_s: float | None = None
    peak_vram_mb: float | None = None
    power_w: float | None = None


@dataclass(frozen=True, kw_only=True)
class TrainLog(Event):
    step: int
    metrics: dict[str, Any]


# ---------------------------------------------------------------------- hardware


@dataclass(frozen=True, kw_only=True)
class GpuSample:
    index: int  # NVML index
    uuid: str | None
    name: str | None = None
    cuda_index: int | None = None  # the ordinal this process sees, if mapped
    util_pct: float | None = None
    mem_used_mb: float | None = None
    mem_total_mb: float | None = None
    power_w: float | None = None
    energy_mj: float | None = None  # NVML total-energy counter since driver load
    temp_c: float | None = None
    sm_clock_mhz: float | None = None


@dataclass(frozen=True, kw_only=True)
class HardwareSample(Event):
    gpus: tuple[GpuSample, ...] = ()
    cpu_pct: float | None = None
    rss_mb: float | None = None
    ram_used_mb: float | None = None
    ram_total_mb: float | None = None


# ------------------------------------------------------------------ (de)serialise


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from ``to_dict()`` output. Unknown keys are ignored (forward compatible)."""
    data = dict(data)
    type_name = data.pop("type", None)
    cls = _REGISTRY.get(str(type_name))
    if cls is None:
        raise ValueError(f"unknown event type {type_name!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in data.items() if k in names}
    if cls is HardwareSample and "gpus" in kwargs:
        gpu_names = {f.name for f in dataclasses.fields(GpuSample)}
        kwargs["gpus"] = tuple(
            GpuSample(**{k: v for k, v in g.items() if k in gpu_names}) for g in kwargs["gpus"] or ()
        )
    return cls(**kwargs)


def event_types() -> dict[str, type[Event]]:
    return dict(_REGISTRY)
