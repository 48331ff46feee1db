"""Model presets (src/aegis_cli/data/models.yaml, linked as configs/models.yaml) and how
``--model VALUE`` becomes a :class:`ModelSpec`: a preset alias, a local path, an http(s)
endpoint URL, or an HF model id.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from aegis_cli.config.loader import read_yaml, validate
from aegis_cli.providers.base import LabelMap, ModelSpec

Kind = Literal["auto", "classifier", "token-classifier", "generative", "http"]


class LabelsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    positive: list[str] = Field(default_factory=list, description="Labels that mean 'vulnerable' (empty: all but negative).")
    negative: list[str] | None = Field(None, description="Labels that mean 'safe'.")
    threshold: float = Field(0.5, ge=0.0, le=1.0, description="Minimum probability of a positive label.")
    cwe: dict[str, str] = Field(default_factory=dict, description="Label → CWE id.")
    severity: dict[str, str] = Field(default_factory=dict, description="Label → severity.")
    default_severity: str | None = Field(None, description="Severity when neither label nor CWE says.")
    title: str | None = Field(None, description="Finding title for this model.")
    sink_check: bool = Field(False, description="Drop a line-level finding whose lines hold none of the tokens a sink "
                             "of its CWE is spelt with (aegis_cli.scan.sinks); findings without a known CWE are kept.")


class PresetConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="HF model id, local path, builtin:NAME or endpoint URL.")
    kind: Kind = "auto"
    name: str | None = Field(None, description="Display name.")
    role: str = ""
    hardware: str = ""
    base: str | None = Field(None, description="Base model of a LoRA adapter (default: adapter_config.json).")
    revision: str | None = None
    trust_remote_code: bool = False
    labels: LabelsConfig = Field(default_factory=LabelsConfig)
    options: dict = Field(default_factory=dict, description="Provider options (endpoint, api_key_env, max_new_tokens, …).")


class PresetsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    presets: dict[str, PresetConfig]


def presets_path() -> Path:
    override = os.environ.get("AEGIS_MODELS")
    if override:
        return Path(override)
    return Path(str(resources.files("aegis_cli") / "data" / "models.yaml"))


def load_presets(path: Path | None = None) -> dict[str, PresetConfig]:
    p = path or presets_path()
    data, lines = read_yaml(p)
    return validate(data, PresetsFile, source=str(p), lines=lines).presets


def _labels(cfg: LabelsConfig) -> LabelMap:
    lm = LabelMap(positive=list(cfg.positive), threshold=cfg.threshold, cwe=dict(cfg.cwe),
                  severity=dict(cfg.severity), default_severity=cfg.default_severity, title=cfg.title,
                  sink_check=cfg.sink_check)
    if cfg.negative is not None:
        lm.negative = list(cfg.negative)
    return lm


def display_name(ref: str) -> str:
    if ref.startswith(("http://", "https://")):
        rest, _, model = ref.split("://", 1)[1].partition("#")
        host = rest.split("/", 1)[0].rsplit("@", 1)[-1]  # never show user:password@
        return f"{model}@{host}" if model else host
    ref = ref.removeprefix("builtin:").rstrip("/\\")
    return os.path.basename(ref) or ref


def resolve(value: str, presets: dict[str, PresetConfig] | None = None) -> ModelSpec:
    """A ``--model`` value → ModelSpec. Order: preset alias, local path, URL, HF id."""
    presets = load_presets() if presets is None else presets
    if value in presets:
        p = presets[value]
        return ModelSpec(ref=p.id, name=p.name or display_name(p.id), kind=p.kind, alias=value,
                         labels=_labels(p.labels), base=p.base, trust_remote_code=p.trust_remote_code,
                         revision=p.revision, options=dict(p.options))
    kind = "http" if value.startswith(("http://", "https://")) else "auto"
    return ModelSpec(ref=value, name=display_name(value), kind=kind)
