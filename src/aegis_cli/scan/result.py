"""What a finished scan hands to the exporters (SARIF, JSON, Markdown, table) and to eval."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from aegis_cli.scan.findings import Finding, at_or_above, count_by_severity


@dataclass
class SkippedFile:
    path: str
    reason: str


@dataclass
class ModelSummary:
    """Per-model telemetry as measured (see ARCHITECTURE.md truth rules). None = N/A."""

    model_id: str
    name: str
    provider: str  # "hf" | "http" | "builtin"
    status: str  # "completed" | "failed"
    device: str | None = None
    precision: str | None = None
    quantization: str | None = None
    vram_mb: float | None = None
    peak_vram_mb: float | None = None
    load_time_ms: float | None = None
    calls: int = 0
    avg_latency_ms: float | None = None
    findings: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    tokens_per_s: float | None = None
    speed_basis: str = "processed"  # "processed" (classifier) | "output" (generative)
    tokens_estimated: bool = False
    elapsed_ms: float | None = None
    energy_j: float | None = None
    energy_estimated: bool = False
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ScanResult:
    target: str
    findings: list[Finding]
    models: list[ModelSummary]
    skipped: list[SkippedFile] = field(default_factory=list)
    files_scanned: int = 0
    chunks: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    started_at: str = ""  # ISO-8601 UTC
    finished_at: str = ""
    duration_s: float = 0.0
    tool_version: str = ""
    consensus: str = "union"
    warnings: list[str] = field(default_factory=list)
    # path -> text of scanned files that have findings (for snippets and the TUI code view)
    sources: dict[str, str] = field(default_factory=dict, repr=False)
    # each model's own findings before models are merged (aegis eval scores them one by one)
    model_findings: dict[str, list[Finding]] = field(default_factory=dict, repr=False)

    @property
    def failed_models(self) -> list[ModelSummary]:
        return [m for m in self.models if m.status == "failed"]

    def severity_counts(self) -> dict[str, int]:
        return count_by_severity(self.findings)

    def has_findings_at(self, threshold: str) -> bool:
        return any(at_or_above(f.severity, threshold) for f in self.findings)

    @classmethod
    def from_dict(cls, data: dict[str, Any], sources: dict[str, str] | None = None) -> ScanResult:
        """Rebuild a result from ``to_dict()`` (a worker process of a multi-device scan sends this)."""
        model_fields = ModelSummary.__dataclass_fields__.keys()
        summary = data.get("summary", {})
        return cls(
            target=data["target"],
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            models=[ModelSummary(**{k: v for k, v in m.items() if k in model_fields}) for m in data.get("models", [])],
            skipped=[SkippedFile(s["path"], s["reason"]) for s in data.get("skipped", [])],
            files_scanned=summary.get("files_scanned", 0),
            chunks=summary.get("chunks", 0),
            languages=dict(summary.get("languages", {})),
            started_at=data.get("started_at", ""),
            finished_at=data.get("finished_at", ""),
            duration_s=data.get("duration_s", 0.0),
            tool_version=data.get("tool", {}).get("version", ""),
            consensus=data.get("consensus", "union"),
            warnings=list(data.get("warnings", [])),
            sources=dict(sources or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": {"name": "aegis", "version": self.tool_version},
            "target": self.target,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": self.duration_s,
            "consensus": self.consensus,
            "summary": {
                "files_scanned": self.files_scanned,
                "files_skipped": len(self.skipped),
                "chunks": self.chunks,
                "findings": len(self.findings),
                "by_severity": self.severity_counts(),
                "languages": dict(self.languages),
            },
            "findings": [f.to_dict() for f in self.findings],
            "skipped": [asdict(s) for s in self.skipped],
            "models": [m.to_dict() for m in self.models],
            "warnings": list(self.warnings),
        }
