"""Findings: the unit every model, export and view shares.

A finding's ``fingerprint`` is stable across runs and models: it hashes the path,
the normalised code of its lines and its rule, never the message text (which a
model rewords every time). Merging joins findings of several models that sit on
the same path with overlapping lines and compatible CWEs.

This module imports neither torch nor textual.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}  # lower is more severe
_CWE = re.compile(r"^\s*(?:CWE)?[\s\-_:]*0*(\d{1,5})\s*$", re.I)
GENERIC_RULE = "aegis/insecure-code"


def normalize_cwe(value: Any) -> str | None:
    """"CWE-89", "cwe 89", 89, "89" → "CWE-89"; anything else → None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return f"CWE-{value}" if value > 0 else None
    m = _CWE.match(str(value))
    if not m or int(m.group(1)) == 0:
        return None
    return f"CWE-{int(m.group(1))}"


def normalize_severity(value: Any, default: str = "medium") -> str:
    text = str(value or "").strip().lower()
    aliases = {"crit": "critical", "error": "high", "warning": "medium", "warn": "medium", "moderate": "medium",
               "note": "low", "informational": "info", "information": "info", "none": "info"}
    text = aliases.get(text, text)
    return text if text in _RANK else default


def severity_rank(severity: str) -> int:
    return _RANK.get(severity, len(SEVERITIES))


def at_or_above(severity: str, threshold: str) -> bool:
    """True when ``severity`` is as severe as ``threshold`` or more ("none" never matches)."""
    if threshold == "none":
        return False
    return severity_rank(severity) <= severity_rank(threshold)


def normalize_code(code: str) -> str:
    """Whitespace-insensitive form of code for fingerprints."""
    return " ".join(code.split())


def make_fingerprint(path: str, code: str, rule_id: str) -> str:
    h = hashlib.sha256()
    for part in (path, normalize_code(code), rule_id):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:32]


@dataclass
class Finding:
    path: str
    start_line: int
    end_line: int
    cwe: str | None
    severity: str
    confidence: float  # 0..1, the model's probability or stated confidence
    message: str
    snippet: str = ""
    models: list[str] = field(default_factory=list)
    title: str | None = None
    recommendation: str | None = None
    rule_id: str = ""
    fingerprint: str = ""
    language: str | None = None
    flags: list[str] = field(default_factory=list)  # e.g. "lines-clamped", "decoded-latin-1"

    def __post_init__(self) -> None:
        self.cwe = normalize_cwe(self.cwe)
        self.severity = normalize_severity(self.severity)
        self.start_line = max(1, int(self.start_line))
        self.end_line = max(self.start_line, int(self.end_line))
        self.confidence = min(1.0, max(0.0, float(self.confidence)))
        if not self.rule_id:
            self.rule_id = self.cwe or GENERIC_RULE
        if not self.fingerprint:
            self.fingerprint = make_fingerprint(self.path, self.snippet, self.rule_id)

    @property
    def location(self) -> str:
        if self.end_line != self.start_line:
            return f"{self.path}:{self.start_line}-{self.end_line}"
        return f"{self.path}:{self.start_line}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        names = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in data.items() if k in names})


def sort_key(f: Finding) -> tuple:
    return (severity_rank(f.severity), f.path, f.start_line, f.rule_id)


def _compatible(a: Finding, b: Finding) -> bool:
    if a.path != b.path:
        return False
    if a.start_line > b.end_line or b.start_line > a.end_line:
        return False
    return a.cwe is None or b.cwe is None or a.cwe == b.cwe


def _join(a: Finding, b: Finding) -> Finding:
    first, second = (a, b) if severity_rank(a.severity) <= severity_rank(b.severity) else (b, a)
    if severity_rank(a.severity) == severity_rank(b.severity) and b.confidence > a.confidence:
        first, second = b, a
    models = list(dict.fromkeys([*first.models, *second.models]))
    start = min(a.start_line, b.start_line)
    end = max(a.end_line, b.end_line)
    cwe = first.cwe or second.cwe
    rule = cwe or GENERIC_RULE
    snippet = first.snippet if (first.start_line, first.end_line) == (start, end) else (
        second.snippet if (second.start_line, second.end_line) == (start, end) else first.snippet
    )
    return replace(
        first,
        start_line=start,
        end_line=end,
        cwe=cwe,
        rule_id=rule,
        models=models,
        confidence=max(a.confidence, b.confidence),
        flags=list(dict.fromkeys([*first.flags, *second.flags])),
        snippet=snippet,
        fingerprint=make_fingerprint(first.path, snippet, rule),
    )


def merge_findings(findings: Iterable[Finding], consensus: str = "union", models_run: int = 1) -> list[Finding]:
    """Merge overlapping, CWE-compatible findings (keeping the most severe and every model).

    ``consensus="majority"`` keeps merged findings that at least two models agree on
    (when two or more models ran; with one model there is nothing to agree with).
    """
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    merged: list[Finding] = []
    for items in by_path.values():
        items.sort(key=lambda f: (f.start_line, f.end_line))
        out: list[Finding] = []
        for f in items:
            for i, existing in enumerate(out):
                if _compatible(existing, f):
                    out[i] = _join(existing, f)
                    break
            else:
                out.append(f)
        # a join can widen a span so that it now overlaps an earlier neighbour
        changed = True
        while changed:
            changed = False
            for i in range(len(out)):
                for j in range(i + 1, len(out)):
                    if _compatible(out[i], out[j]):
                        out[i] = _join(out[i], out[j])
                        del out[j]
                        changed = True
                        break
                if changed:
                    break
        merged.extend(out)
    if consensus == "majority" and models_run >= 2:
        merged = [f for f in merged if len(f.models) >= 2]
    return sorted(merged, key=sort_key)


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    return counts
