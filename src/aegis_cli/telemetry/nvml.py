"""A thin, never-raising layer over NVML (the ``pynvml`` module of nvidia-ml-py).

Each reading is queried on its own and becomes ``None`` when the driver does not
support it or fails: unknown is N/A, never 0. Only cheap per-device queries are
made (no process lists: they are slow and take a driver lock).
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

_lock = threading.Lock()
_state: dict[str, Any] = {"inited": False, "error": None, "refs": 0}


@dataclass(frozen=True)
class GpuInfo:
    index: int  # NVML index
    uuid: str | None
    name: str | None
    pci_bus_id: str | None
    memory_total_mb: float | None
    power_limit_w: float | None
    energy_counter: bool  # nvmlDeviceGetTotalEnergyConsumption answers
    driver: str | None
    cuda_index: int | None = None  # ordinal in this process (CUDA_VISIBLE_DEVICES applied)


def _pynvml():
    try:
        import pynvml

        return pynvml
    except Exception:
        return None


def init() -> Any | None:
    """Initialise NVML once per process (reference counted). Returns the module or None."""
    nv = _pynvml()
    if nv is None:
        with _lock:
            _state["error"] = "nvidia-ml-py is not installed"
        return None
    with _lock:
        if _state["inited"]:
            _state["refs"] += 1
            return nv
        try:
            nv.nvmlInit()
        except Exception as exc:  # no driver, no GPU, no libnvidia-ml
            _state["error"] = _describe(exc)
            return None
        _state.update(inited=True, refs=1, error=None)
        return nv


def shutdown() -> None:
    nv = _pynvml()
    with _lock:
        if not _state["inited"]:
            return
        _state["refs"] -= 1
        if _state["refs"] <= 0 and nv is not None:
            try:
                nv.nvmlShutdown()
            except Exception:
                pass
            _state.update(inited=False, refs=0)


def unavailable_reason() -> str | None:
    return _state["error"]


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.replace("\n", " ")


def call(fn, *args, default=None):
    try:
        return fn(*args)
    except Exception:
        return default


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def device_count(nv) -> int:
    return call(nv.nvmlDeviceGetCount, default=0) or 0


def describe_devices(nv) -> list[GpuInfo]:
    out = []
    driver = _text(call(nv.nvmlSystemGetDriverVersion))
    mapping = cuda_to_nvml(nv)
    inverse = {v: k for k, v in mapping.items()}
    for i in range(device_count(nv)):
        h = call(nv.nvmlDeviceGetHandleByIndex, i)
        if h is None:
            continue
        mem = call(nv.nvmlDeviceGetMemoryInfo, h)
        limit = call(nv.nvmlDeviceGetEnforcedPowerLimit, h)
        pci = call(nv.nvmlDeviceGetPciInfo, h)
        out.append(
            GpuInfo(
                index=i,
                uuid=_text(call(nv.nvmlDeviceGetUUID, h)),
                name=_text(call(nv.nvmlDeviceGetName, h)),
                pci_bus_id=_text(getattr(pci, "busId", None)) if pci is not None else None,
                memory_total_mb=mem.total / 2**20 if mem is not None else None,
                power_limit_w=limit / 1000.0 if limit is not None else None,
                energy_counter=call(nv.nvmlDeviceGetTotalEnergyConsumption, h) is not None,
                driver=driver,
                cuda_index=inverse.get(i),
            )
        )
    return out


def cuda_to_nvml(nv) -> dict[int, int]:
    """Map this process's CUDA ordinals to NVML indices.

    If torch has already initialised CUDA, its per-device UUIDs are matched to NVML's
    (exact). Otherwise CUDA_VISIBLE_DEVICES is applied: integer entries are NVML
    (PCI-order) indices, ``GPU-…`` entries are UUID prefixes; MIG entries cannot be
    mapped and are left out. Without the variable, ordinal i is NVML index i, which
    holds when CUDA_DEVICE_ORDER=PCI_BUS_ID or the GPUs are alike.
    """
    n = device_count(nv)
    uuids: list[str] = []
    for i in range(n):
        h = call(nv.nvmlDeviceGetHandleByIndex, i)
        uuids.append((_text(call(nv.nvmlDeviceGetUUID, h)) or "") if h is not None else "")

    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            if torch.cuda.is_initialized():
                mapping = {}
                for ordinal in range(torch.cuda.device_count()):
                    tu = str(torch.cuda.get_device_properties(ordinal).uuid)
                    for j, u in enumerate(uuids):
                        if u.removeprefix("GPU-") == tu.removeprefix("GPU-"):
                            mapping[ordinal] = j
                if mapping:
                    return mapping
        except Exception:
            pass

    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return {i: i for i in range(n)}
    mapping = {}
    for ordinal, entry in enumerate(e.strip() for e in visible.split(",") if e.strip()):
        if entry.isdigit():
            idx = int(entry)
            if idx >= n:
                break  # CUDA stops at the first invalid entry
            mapping[ordinal] = idx
        elif entry.startswith("GPU-"):
            matches = [j for j, u in enumerate(uuids) if u.startswith(entry)]
            if len(matches) != 1:
                break
            mapping[ordinal] = matches[0]
        else:
            break  # MIG-… or invalid: not mappable to a whole device
    return mapping


def read(nv, handle) -> dict[str, float | None]:
    """One reading of the fields the sampler needs (about 3.5 ms on an H100)."""
    util = call(nv.nvmlDeviceGetUtilizationRates, handle)
    mem = call(nv.nvmlDeviceGetMemoryInfo, handle)
    power = call(nv.nvmlDeviceGetPowerUsage, handle)
    energy = call(nv.nvmlDeviceGetTotalEnergyConsumption, handle)
    temp = call(nv.nvmlDeviceGetTemperature, handle, 0)  # NVML_TEMPERATURE_GPU
    clock = call(nv.nvmlDeviceGetClockInfo, handle, 1)  # NVML_CLOCK_SM
    return {
        "util_pct": float(util.gpu) if util is not None else None,
        "mem_used_mb": mem.used / 2**20 if mem is not None else None,
        "mem_total_mb": mem.total / 2**20 if mem is not None else None,
        "power_w": power / 1000.0 if power is not None else None,
        "energy_mj": float(energy) if energy is not None else None,
        "temp_c": float(temp) if temp is not None else None,
        "sm_clock_mhz": float(clock) if clock is not None else None,
    }
