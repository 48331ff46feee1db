"""Loading HF models the same careful way for every provider.

* where the model is: a builtin shipped in the package, a local folder, the HF cache,
  or the Hub — and when none works, an error that names everything that was tried;
* safety: pickle-only weights refused unless ``--allow-pickle``; remote code refused
  unless ``--trust-remote-code``; corrupt safetensors reported as such;
* device and dtype: ``auto`` picks cuda:0 / mps / cpu and bf16 / fp16 / fp32; int4 /
  int8 through bitsandbytes on CUDA only (elsewhere a clear warning, and the badges
  show what really loaded);
* unloading frees the memory (VRAM included) so several models run in one scan.

torch and transformers are imported inside the functions.
"""

from __future__ import annotations

import gc
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from aegis_cli.errors import AegisError, ModelLoadError
from aegis_cli.providers.base import ModelSpec

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


@dataclass
class Located:
    path: str  # a local folder
    origin: str  # "builtin" | "local" | "cache" | "hub"
    tried: list[str] = field(default_factory=list)


def builtin_dir(name: str) -> Path:
    return Path(str(resources.files("aegis_cli") / "models" / name))


def _offline() -> bool:
    try:
        from huggingface_hub import constants

        return bool(constants.HF_HUB_OFFLINE)
    except Exception:
        return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes")


def _looks_like_path(ref: str) -> bool:
    return ref.startswith((".", "/", "~")) or (os.sep in ref.strip("/") and ref.count("/") > 1) or ref.endswith(os.sep)


def locate(ref: str, revision: str | None = None) -> Located:
    """Find a model folder for ``ref`` or raise ModelLoadError naming what was tried."""
    tried: list[str] = []
    if ref.startswith("builtin:"):
        d = builtin_dir(ref.removeprefix("builtin:"))
        if (d / "config.json").is_file() or (d / "adapter_config.json").is_file():
            return Located(str(d), "builtin")
        raise ModelLoadError(f"builtin model {ref!r} is not in this install (looked in {d})",
                             "reinstall aegis, or pass a local path or HF id to --model")
    p = Path(ref).expanduser()
    if p.is_dir():
        return Located(str(p.resolve()), "local")
    tried.append(f"local path {p} (not found)")
    if p.exists():
        raise ModelLoadError(f"{ref} is a file, not a model folder", "pass the folder that holds config.json")
    if _looks_like_path(ref) or ref.count("/") > 1:
        raise ModelLoadError(f"model path {ref} not found", "check the path given to --model")
    try:
        from huggingface_hub import constants, snapshot_download
    except Exception as exc:  # pragma: no cover - huggingface_hub is a dependency
        raise ModelLoadError(f"cannot look up {ref}: {exc}") from exc
    cache = constants.HF_HUB_CACHE
    try:
        return Located(snapshot_download(ref, revision=revision, local_files_only=True), "cache", tried)
    except Exception:
        tried.append(f"HF cache {cache} (not cached)")
    if _offline():
        tried.append("the Hub (skipped: HF_HUB_OFFLINE=1)")
        raise ModelLoadError(f"model {ref!r} not found; tried " + "; ".join(tried),
                             "download it once with network access, or pass a local path to --model")
    try:
        path = snapshot_download(
            ref, revision=revision,
            allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model", "tokenizer*", "*.py",
                            "*.bin", "*.pt", "*.pth", "merges.txt", "vocab*"],
        )
        return Located(path, "hub", tried)
    except Exception as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        tried.append(f"the Hub ({type(exc).__name__}: {reason})")
        raise ModelLoadError(f"model {ref!r} not found; tried " + "; ".join(tried),
                             "check the id and your network, set HF_TOKEN for gated models, or pass a local path") from None


def check_safety(path: str, *, allow_pickle: bool, trust_remote_code: bool, name: str) -> bool:
    """Refuse what could run code at load time. Returns True when safetensors are present."""
    folder = Path(path)
    files = [f.name for f in folder.iterdir() if f.is_file()]
    has_safetensors = any(f.endswith(".safetensors") for f in files)
    pickles = [f for f in files if f.endswith(PICKLE_SUFFIXES) and not f.startswith("training_args")]
    if not has_safetensors and pickles and not allow_pickle:
        raise ModelLoadError(
            f"{name} has only pickle weights ({', '.join(sorted(pickles)[:3])}), which can run code when loaded",
            "pass --allow-pickle only if you trust where the model came from")
    for cfg_name in ("config.json", "tokenizer_config.json"):
        cfg = folder / cfg_name
        if not cfg.is_file():
            continue
        try:
            data = json.loads(cfg.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"{name}: {cfg_name} is not valid JSON ({exc})", "the model folder is corrupt") from None
        if isinstance(data, dict) and data.get("auto_map") and not trust_remote_code:
            raise ModelLoadError(
                f"{name} needs its own Python code ({cfg_name} has auto_map), which aegis does not run by default",
                "pass --trust-remote-code only if you trust the model's author")
    return has_safetensors


def pick_device(request: str) -> str:
    import torch

    req = (request or "auto").strip().lower()
    if req == "auto":
        if torch.cuda.is_available():
            return "cuda:0"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if req == "cuda":
        req = "cuda:0"
    if req.startswith("cuda"):
        if not torch.cuda.is_available():
            raise AegisError(f"--device {request}: CUDA is not available on this machine",
                             "use --device cpu or auto (aegis doctor shows what is here)")
        try:
            index = int(req.split(":", 1)[1])
        except (IndexError, ValueError):
            raise AegisError(f"--device {request} is not a device", "use cuda:N, mps, cpu or auto") from None
        if index >= torch.cuda.device_count():
            raise AegisError(f"--device {request}: only {torch.cuda.device_count()} CUDA device(s) visible",
                             "check CUDA_VISIBLE_DEVICES and `aegis doctor`")
        return f"cuda:{index}"
    if req == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise AegisError("--device mps: MPS is not available on this machine", "use --device cpu or auto")
        return "mps"
    if req == "cpu":
        return "cpu"
    raise AegisError(f"--device {request} is not a device", "use auto, cpu, cuda:N or mps")


def pick_dtype(request: str, device: str):
    import torch

    req = (request or "auto").lower()
    table = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
    if req in table:
        if req == "bf16" and device.startswith("cuda") and not torch.cuda.is_bf16_supported():
            raise AegisError(f"--precision bf16: {device} does not support bfloat16", "use --precision fp16")
        return table[req]
    if req != "auto":
        raise AegisError(f"--precision {request} is not a precision", "use auto, fp32, fp16 or bf16")
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


def quantization_config(quantize: str, device: str, warn) -> Any | None:
    """A BitsAndBytesConfig for int4/int8 on CUDA; elsewhere a warning and None."""
    q = (quantize or "none").lower()
    if q in ("none", ""):
        return None
    if q not in ("int4", "int8"):
        raise AegisError(f"--quantize {quantize} is not supported", "use none, int8 or int4")
    if not device.startswith("cuda"):
        warn(f"--quantize {q} needs a CUDA GPU (bitsandbytes); loading unquantized on {device}")
        return None
    try:
        import bitsandbytes  # noqa: F401
    except Exception as exc:
        warn(f"--quantize {q}: bitsandbytes does not import ({type(exc).__name__}); loading unquantized. "
             "Install with: pip install 'aegis-cli[gpu]'")
        return None
    import torch
    from transformers import BitsAndBytesConfig

    if q == "int8":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                              bnb_4bit_compute_dtype=torch.bfloat16, bnb_4bit_use_double_quant=True)


def describe_load_error(exc: BaseException, name: str) -> ModelLoadError:
    text = str(exc).replace("\n", " ").strip()
    low = text.lower()
    cls = type(exc).__name__
    if "safetensor" in cls.lower() or "safetensor" in low or ("header" in low and "invalid" in low):
        return ModelLoadError(f"{name}: weights are corrupt or truncated ({cls}: {text[:160]})",
                              "re-download the model (delete it from the HF cache) or check the file")
    if isinstance(exc, (OSError, ValueError, KeyError)):
        return ModelLoadError(f"{name}: cannot load ({cls}: {text[:200]})",
                              "check that the folder holds a complete transformers model")
    return ModelLoadError(f"{name}: load failed ({cls}: {text[:200]})")


def free_model(model: Any) -> None:
    """Drop a model and return its memory to the device."""
    del model
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        mps = getattr(torch, "mps", None)
        if mps is not None and hasattr(mps, "empty_cache") and torch.backends.mps.is_available():
            mps.empty_cache()
    except Exception:
        pass


def quiet_hf() -> None:
    """No tqdm bars or advisory warnings from transformers/hub: they would corrupt the dashboard
    and the event lines; aegis reports load progress and problems itself."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except Exception:
        pass
    try:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    except Exception:
        pass


def concrete_class(auto_cls: Any, config: Any) -> Any:
    """The model class an Auto* class would pick for ``config`` (its module imported now,
    so a load-time measurement covers loading weights, not importing Python code)."""
    try:
        from transformers.models.auto.auto_factory import _get_model_class

        return _get_model_class(config, auto_cls._model_mapping)
    except Exception:
        return auto_cls


def spec_label(spec: ModelSpec) -> str:
    return spec.name or spec.ref


def adapter_base(folder: Path, name: str) -> str:
    """The base model a peft adapter folder names (adapter_config.json's base_model_name_or_path)."""
    try:
        data = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{name}: adapter_config.json is unreadable ({exc})", "the adapter folder is corrupt") from None
    base = data.get("base_model_name_or_path") if isinstance(data, dict) else None
    if not base:
        raise ModelLoadError(f"{name}: the adapter does not name its base model",
                             "set base: in the preset (the base model's id or path)")
    return str(base)


def has_tokenizer(folder: Path) -> bool:
    """Whether a folder (e.g. an adapter saved by the Trainer) carries its own tokenizer."""
    return (folder / "tokenizer.json").is_file() or (folder / "tokenizer_config.json").is_file()


def adapter_task(folder: Path) -> str | None:
    """peft's task_type of an adapter folder (TOKEN_CLS, SEQ_CLS, CAUSAL_LM, ...), None when unknown."""
    try:
        data = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    task = data.get("task_type") if isinstance(data, dict) else None
    return str(task) if task else None
