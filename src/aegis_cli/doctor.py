"""What this machine offers aegis: versions, GPUs (from NVML), MPS, CPU/RAM, optional
packages, HF cache and offline state, and whether secrets are *set* (never their values).

Every probe is guarded: a machine without a GPU, without the NVML library or without
torch still gets a full report with the missing parts marked.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import os
import platform
import sys
from typing import Any

from aegis_cli import __version__
from aegis_cli.telemetry import nvml

SECRET_VARS = ("COMET_API_KEY", "HF_TOKEN")


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def _importable(module: str) -> dict[str, Any]:
    """Import a module for real (bitsandbytes can fail at import on a machine without CUDA)."""
    try:
        mod = importlib.import_module(module)
        return {"ok": True, "version": getattr(mod, "__version__", None), "error": None}
    except Exception as exc:  # ImportError, RuntimeError from native libs, ...
        return {"ok": False, "version": None, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}


def _torch_info() -> dict[str, Any]:
    try:
        import torch
    except Exception as exc:
        return {"version": None, "error": str(exc), "cuda": None, "mps": None}
    info: dict[str, Any] = {"version": torch.__version__, "cuda_build": torch.version.cuda, "error": None}
    try:
        info["cuda"] = bool(torch.cuda.is_available())
        info["cuda_devices"] = torch.cuda.device_count() if info["cuda"] else 0
    except Exception as exc:
        info["cuda"], info["cuda_error"] = False, str(exc)
    try:
        mps = getattr(torch.backends, "mps", None)
        info["mps"] = bool(mps and mps.is_available())
        info["mps_built"] = bool(mps and mps.is_built())
    except Exception:
        info["mps"] = False
    return info


def _gpus() -> dict[str, Any]:
    nv = nvml.init()
    if nv is None:
        return {"available": False, "reason": nvml.unavailable_reason(), "devices": []}
    try:
        devices = [
            {
                "index": g.index,
                "cuda_index": g.cuda_index,
                "name": g.name,
                "uuid": g.uuid,
                "pci_bus_id": g.pci_bus_id,
                "driver": g.driver,
                "memory_total_mb": g.memory_total_mb,
                "power_limit_w": g.power_limit_w,
                "energy_counter": g.energy_counter,
            }
            for g in nvml.describe_devices(nv)
        ]
        cuda_driver = nvml.call(nv.nvmlSystemGetCudaDriverVersion)
        return {
            "available": True,
            "reason": None,
            "devices": devices,
            "cuda_driver": f"{cuda_driver // 1000}.{(cuda_driver % 1000) // 10}" if cuda_driver else None,
        }
    finally:
        nvml.shutdown()


def _cpu() -> dict[str, Any]:
    info: dict[str, Any] = {"logical_cores": os.cpu_count(), "physical_cores": None, "ram_total_mb": None,
                            "ram_available_mb": None, "processor": platform.processor() or platform.machine()}
    try:
        import psutil

        info["physical_cores"] = psutil.cpu_count(logical=False)
        vm = psutil.virtual_memory()
        info["ram_total_mb"] = vm.total / 2**20
        info["ram_available_mb"] = vm.available / 2**20
    except Exception:
        pass
    return info


def _hf() -> dict[str, Any]:
    try:
        from huggingface_hub import constants

        cache = constants.HF_HUB_CACHE
        offline = bool(constants.HF_HUB_OFFLINE)
    except Exception:
        cache = os.path.expanduser(os.environ.get("HF_HUB_CACHE", "~/.cache/huggingface/hub"))
        offline = os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes")
    return {
        "cache_dir": cache,
        "cache_exists": os.path.isdir(cache),
        "offline": offline,
        "transformers_offline": os.environ.get("TRANSFORMERS_OFFLINE", "0").lower() in ("1", "true", "yes"),
    }


def collect() -> dict[str, Any]:
    return {
        "aegis": __version__,
        "python": {"version": platform.python_version(), "executable": sys.executable,
                   "platform": platform.platform()},
        "packages": {d: _version(d) for d in ("torch", "transformers", "accelerate", "peft", "textual",
                                               "nvidia-ml-py", "huggingface-hub")},
        "torch": _torch_info(),
        "gpus": _gpus(),
        "cpu": _cpu(),
        "optional": {m: _importable(m) for m in ("bitsandbytes", "peft", "comet_ml")},
        "hf": _hf(),
        # set or not — the value is never read into the report
        "secrets": {name: bool(os.environ.get(name)) for name in SECRET_VARS},
    }
