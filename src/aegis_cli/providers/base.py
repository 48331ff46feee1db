"""What the scan pipeline needs from a model provider.

A provider is created from a :class:`ModelSpec`, loads its model (``load`` returns a
:class:`LoadedModel` whose figures are read from the loaded model), turns source
files into chunks that fit its real context (``prepare``) and runs them in batches
(``run``), reporting every real call through ``ctx.call(...)`` and every finding
through ``ctx.finding(...)``. ``unload`` frees its memory (VRAM included).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aegis_cli.scan.findings import Finding


@dataclass
class LabelMap:
    """How a classifier's labels become findings (from the preset; defaults are generic)."""

    positive: list[str] = field(default_factory=list)  # empty: every label but the negative ones
    negative: list[str] = field(default_factory=lambda: ["LABEL_0", "O", "SAFE", "safe", "benign", "NEGATIVE"])
    threshold: float = 0.5
    cwe: dict[str, str] = field(default_factory=dict)  # label -> CWE
    severity: dict[str, str] = field(default_factory=dict)  # label -> severity
    default_severity: str | None = None  # None: from the CWE catalog, else from confidence
    title: str | None = None
    sink_check: bool = False  # drop findings whose lines do not look like a sink of their CWE (scan.sinks)


@dataclass
class ModelSpec:
    ref: str  # HF id, local path, "builtin:NAME" or an http(s) URL for endpoints
    name: str  # display name
    kind: str = "auto"  # auto | classifier | token-classifier | generative | http
    alias: str | None = None  # the preset this came from
    model_id: str = ""  # unique within a scan; set by the pipeline
    labels: LabelMap = field(default_factory=LabelMap)
    base: str | None = None  # base model for a LoRA adapter
    trust_remote_code: bool = False
    revision: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # provider-specific (endpoint, api_key_env, …)


@dataclass
class LoadedModel:
    device: str | None
    precision: str | None
    quantization: str | None
    vram_mb: float | None
    load_time_ms: float | None
    parameters: int | None
    context_tokens: int | None
    provider: str  # "hf" | "http" | "builtin"


@dataclass
class Chunk:
    """A piece of one file that fits the model's context, with its exact line span."""

    path: str
    start_line: int  # 1-based, inclusive
    end_line: int
    text: str
    n_tokens: int  # tokens the model is fed for it (special tokens included)
    language: str | None = None
    flags: tuple[str, ...] = ()
    payload: Any = None  # provider data: token ids, per-line token spans, …


class ScanContext(abc.ABC):
    """The pipeline side a provider reports to."""

    @abc.abstractmethod
    def call(self, *, latency_ms: float, input_tokens: int, output_tokens: int, items: int,
             tokens_estimated: bool = False, peak_vram_mb: float | None = None,
             compute_ms: float | None = None) -> None: ...

    @abc.abstractmethod
    def finding(self, finding: Finding) -> None: ...

    @abc.abstractmethod
    def warn(self, text: str) -> None: ...

    @abc.abstractmethod
    def chunks_done(self, n: int) -> None: ...

    @abc.abstractmethod
    def source_text(self, path: str) -> str | None: ...


class Provider(abc.ABC):
    provider: str = "hf"
    #: tok/s basis: "processed" (classifiers) or "output" (generative)
    speed_basis: str = "processed"

    def __init__(self, spec: ModelSpec, *, device: str = "auto", precision: str = "auto",
                 quantize: str = "none", batch_size: int | None = None, allow_pickle: bool = False,
                 trust_remote_code: bool = False):
        self.spec = spec
        self.device_request = device
        self.precision_request = precision
        self.quantize = quantize
        self.batch_size = batch_size
        self.allow_pickle = allow_pickle
        self.trust_remote_code = trust_remote_code or spec.trust_remote_code

    @abc.abstractmethod
    def load(self, warn: Callable[[str], None] | None = None) -> LoadedModel:
        """Load the model; ``warn`` reports problems that do not stop it (e.g. --quantize on CPU)."""

    @abc.abstractmethod
    def prepare(self, files: Iterable[Any]) -> Iterator[Chunk]:
        """Chunks for ``files`` (aegis_cli.scan.archive.SourceFile), in order. May run on a
        background thread (the pipeline overlaps tokenization with inference)."""

    @abc.abstractmethod
    def run(self, chunks: list[Chunk], ctx: ScanContext) -> None:
        """Run the model over a window of chunks, batching as it sees fit."""

    def unload(self) -> None:  # noqa: B027 - providers without resources need not override
        """Free the model (VRAM included)."""


ProviderFactory = Callable[..., Provider]
