"""Model providers. ``make_provider`` picks the one that fits a spec (the preset's kind,
else the model folder's own config: *ForCausalLM → generative; a LoRA adapter by its peft
task_type: TOKEN_CLS → token classifier, SEQ_CLS → classifier, others → generative)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aegis_cli.errors import ModelLoadError
from aegis_cli.providers.base import ModelSpec, Provider


def detect_kind(spec: ModelSpec) -> str:
    if spec.kind != "auto":
        return spec.kind
    if spec.ref.startswith(("http://", "https://")):
        return "http"
    from aegis_cli.providers import hf_common

    folder = Path(hf_common.locate(spec.ref, spec.revision).path)
    if (folder / "adapter_config.json").is_file() and not (folder / "config.json").is_file():
        # a peft adapter: its task_type says which head it was trained with
        task = hf_common.adapter_task(folder)
        return {"TOKEN_CLS": "token-classifier", "SEQ_CLS": "classifier"}.get(task or "", "generative")
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{spec.name}: cannot read config.json ({exc})",
                             "the folder must hold a transformers model (config.json)") from None
    arch = " ".join(config.get("architectures") or [])
    if "TokenClassification" in arch:
        return "token-classifier"
    if "SequenceClassification" in arch:
        return "classifier"
    if "CausalLM" in arch or "ForConditionalGeneration" in arch:
        return "generative"
    raise ModelLoadError(f"{spec.name}: cannot tell what kind of model this is (architectures: {arch or 'none'})",
                         "use a preset with kind: classifier | token-classifier | generative")


def make_provider(spec: ModelSpec, **kwargs: Any) -> Provider:
    kind = detect_kind(spec)
    if kind in ("classifier", "token-classifier"):
        from aegis_cli.providers.hf_classifier import HFClassifierProvider

        spec.kind = kind
        return HFClassifierProvider(spec, **kwargs)
    if kind == "generative":
        try:
            from aegis_cli.providers.hf_generative import HFGenerativeProvider
        except ImportError:
            raise ModelLoadError(f"{spec.name}: generative models are not supported in this build",
                                 "use a classifier model") from None
        spec.kind = kind
        return HFGenerativeProvider(spec, **kwargs)
    if kind == "http":
        try:
            from aegis_cli.providers.openai_compat import OpenAICompatProvider
        except ImportError:
            raise ModelLoadError(f"{spec.name}: HTTP endpoints are not supported in this build",
                                 "use a local model") from None
        spec.kind = kind
        return OpenAICompatProvider(spec, **kwargs)
    raise ModelLoadError(f"{spec.name}: unknown model kind {kind!r}", "use classifier, token-classifier, generative or http")
