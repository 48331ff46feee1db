"""Describe a loaded torch model from what it is, not from what was asked for.

* device: where the parameters live ("cuda:0", "mps", "cpu"), or the distinct
  devices of an ``hf_device_map`` joined with "," when the model is split;
* precision: the floating dtype holding most parameters ("fp32" / "fp16" / "bf16");
  the packed uint8 storage of 4-bit weights does not count;
* quantization: "int4" / "int8" from bitsandbytes layers actually present (class
  names, so bitsandbytes itself is never imported here) or from the quantizer the
  model was loaded with;
* load time and VRAM: ``measure_load`` wraps the real weight load with
  ``perf_counter`` and a CUDA synchronize on both sides; VRAM is the
  ``memory_allocated`` delta across it, summed over the GPUs.

torch is imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_DTYPE_NAMES = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16", "float64": "fp64"}
_INT4_LAYERS = {"Linear4bit", "Params4bit", "QuantLinear4bit"}
_INT8_LAYERS = {"Linear8bitLt", "Int8Params"}


@dataclass(frozen=True)
class ModelInfo:
    device: str
    precision: str | None
    quantization: str | None
    parameters: int
    trainable_parameters: int
    devices: tuple[str, ...] = ()

    @property
    def on_gpu(self) -> bool:
        return any(d.startswith("cuda") for d in self.devices or (self.device,))

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "precision": self.precision,
            "quantization": self.quantization,
            "parameters": self.parameters,
            "trainable_parameters": self.trainable_parameters,
        }


def _device_name(dev: Any) -> str:
    text = str(dev)
    if text == "cuda":  # an unindexed CUDA device means the current one
        import torch

        return f"cuda:{torch.cuda.current_device()}"
    return text


def _param_count(p: Any) -> int:
    # bitsandbytes Params4bit stores two 4-bit values per uint8 element
    n = int(p.numel())
    if type(p).__name__ == "Params4bit":
        n *= 2
    return n


def describe_model(model: Any) -> ModelInfo:
    """Read device, precision and quantization from a loaded torch module."""
    devices: list[str] = []
    device_map = getattr(model, "hf_device_map", None)
    if isinstance(device_map, dict) and device_map:
        for d in device_map.values():
            name = f"cuda:{d}" if isinstance(d, int) else _device_name(d)
            if name not in devices:
                devices.append(name)
    float_counts: Counter[str] = Counter()
    total = trainable = 0
    for p in model.parameters():
        n = _param_count(p)
        total += n
        if p.requires_grad:
            trainable += n
        if p.dtype.is_floating_point:
            float_counts[_DTYPE_NAMES.get(str(p.dtype).removeprefix("torch."), str(p.dtype))] += n
        if not device_map:
            name = _device_name(p.device)
            if name not in devices:
                devices.append(name)
    precision = float_counts.most_common(1)[0][0] if float_counts else None
    # "meta"/"disk" offload entries are not where compute happens: keep them visible but last
    devices.sort(key=lambda d: d in ("meta", "disk"))
    device = ",".join(devices) if devices else "cpu"
    return ModelInfo(
        device=device,
        precision=precision,
        quantization=detect_quantization(model),
        parameters=total,
        trainable_parameters=trainable,
        devices=tuple(devices),
    )


def detect_quantization(model: Any) -> str | None:
    """"int4" / "int8" when the loaded model holds quantized layers, else None."""
    found: set[str] = set()
    for module in model.modules():
        cls = type(module).__name__
        if cls in _INT4_LAYERS:
            found.add("int4")
        elif cls in _INT8_LAYERS:
            found.add("int8")
    if not found:
        # peft wraps the base model; the flags live on the innermost PreTrainedModel
        for obj in (model, getattr(model, "base_model", None), getattr(getattr(model, "base_model", None), "model", None)):
            if obj is None:
                continue
            if getattr(obj, "is_loaded_in_4bit", False):
                found.add("int4")
            if getattr(obj, "is_loaded_in_8bit", False):
                found.add("int8")
    if "int4" in found:
        return "int4"
    if "int8" in found:
        return "int8"
    return None


@dataclass
class LoadMeasurement:
    load_time_ms: float | None = None
    vram_mb: float | None = None
    cuda_devices: list[int] = field(default_factory=list)


def _cuda_ready() -> Any | None:
    torch = sys.modules.get("torch")
    if torch is None:
        try:
            import torch
        except Exception:
            return None
    try:
        return torch if torch.cuda.is_available() else None
    except Exception:
        return None


@contextmanager
def measure_load(use_cuda: bool = True) -> Iterator[LoadMeasurement]:
    """Time a load and measure the allocated-memory delta on every visible GPU.

    On a machine without CUDA (or with ``use_cuda=False``) ``vram_mb`` stays None.
    """
    m = LoadMeasurement()
    torch = _cuda_ready() if use_cuda else None
    before: list[int] = []
    if torch is not None:
        count = torch.cuda.device_count()
        for i in range(count):
            torch.cuda.synchronize(i)
        before = [torch.cuda.memory_allocated(i) for i in range(count)]
    t0 = time.perf_counter()
    yield m
    if torch is not None:
        count = len(before)
        for i in range(count):
            torch.cuda.synchronize(i)
    m.load_time_ms = (time.perf_counter() - t0) * 1000.0
    if torch is not None:
        after = [torch.cuda.memory_allocated(i) for i in range(len(before))]
        deltas = [a - b for a, b in zip(after, before, strict=True)]
        m.cuda_devices = [i for i, d in enumerate(deltas) if d > 0]
        if m.cuda_devices:
            m.vram_mb = sum(d for d in deltas if d > 0) / 2**20
