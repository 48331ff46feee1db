"""The scan result as a Markdown report: summary, findings, skipped files, telemetry.

Every piece of text a scanned file or a model controls is escaped for the place it
lands: table cells, headings and list items through
:func:`aegis_cli.textsafe.escape_markdown_cell` (no pipes, emphasis, links or HTML),
snippets inside a code fence longer than any backtick run they contain. Unknown
figures print ``N/A``, never 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from aegis_cli.scan.cwe import cwe_name, cwe_url
from aegis_cli.scan.export.common import (
    NA,
    fmt_confidence,
    fmt_duration,
    fmt_energy,
    fmt_int,
    fmt_number,
    fmt_speed,
    fmt_tokens,
    scrubbed,
    skip_reasons,
)
from aegis_cli.scan.findings import Finding
from aegis_cli.scan.result import ModelSummary, ScanResult
from aegis_cli.textsafe import escape_markdown_cell, safe_text

MAX_SKIPPED_LISTED = 200
MAX_SKIP_REASONS = 50
MAX_SNIPPET_LINES = 80
_BACKTICK_RUN = re.compile(r"`+")
_INFO_STRING = re.compile(r"^[A-Za-z0-9+#.\-]{1,32}$")
_CWE_ID = re.compile(r"^CWE-\d+$")

TELEMETRY_COLUMNS = (
    "Model", "Provider", "Status", "Device", "Precision", "Quantization", "VRAM MB", "Peak VRAM MB",
    "Load ms", "Calls", "Avg latency ms", "Findings", "Input tokens", "Output tokens", "Total tokens",
    "Tokens/s (basis)", "Energy J",
)
FINDING_COLUMNS = ("#", "Severity", "Location", "CWE", "Models", "Confidence", "Message")


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], align_right: Sequence[int] = ()) -> list[str]:
    """A GitHub-flavoured Markdown table; cells must already be escaped."""
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---:" if i in align_right else "---" for i in range(len(headers))) + "|"]
    lines.extend("| " + " | ".join(cell if cell else " " for cell in row) + " |" for row in rows)
    return lines


def code_fence(code: str, language: str | None = None) -> list[str]:
    """``code`` in a fenced block whose fence is longer than any backtick run inside it."""
    longest = max((len(run) for run in _BACKTICK_RUN.findall(code)), default=0)
    fence = "`" * max(3, longest + 1)
    info = language if language and _INFO_STRING.match(language) else ""
    return [fence + info, *code.split("\n"), fence]


def _cwe_cell(cwe: str | None) -> str:
    return cwe if cwe and _CWE_ID.match(cwe) else "—"


def _summary(result: ScanResult) -> list[str]:
    counts = result.severity_counts()
    models = ", ".join(
        f"{escape_markdown_cell(m.name)} ({'failed' if m.status == 'failed' else escape_markdown_cell(m.status)})"
        for m in result.models) or "none"
    lines = [
        "## Summary",
        "",
        f"- **Target:** {escape_markdown_cell(result.target) or NA}",
        f"- **Started:** {escape_markdown_cell(result.started_at) or NA} · "
        f"**Finished:** {escape_markdown_cell(result.finished_at) or NA}",
        f"- **Duration:** {fmt_duration(result.duration_s)}",
        f"- **Files scanned:** {result.files_scanned} · **Files skipped:** {len(result.skipped)} · "
        f"**Chunks:** {result.chunks}",
        f"- **Models:** {models}",
        f"- **Consensus:** {escape_markdown_cell(result.consensus)}",
        f"- **Findings:** {len(result.findings)}",
    ]
    if result.languages:
        langs = ", ".join(f"{escape_markdown_cell(k)} {v}" for k, v in sorted(result.languages.items()))
        lines.append(f"- **Languages:** {langs}")
    lines += ["", *table(("Severity", "Findings"), ([sev, str(n)] for sev, n in counts.items()), align_right=(1,))]
    for warning in result.warnings:
        lines += ["", f"> **Warning:** {escape_markdown_cell(warning)}"]
    for m in result.failed_models:
        lines += ["", f"> **Model failed:** {escape_markdown_cell(m.name)} — "
                      f"{escape_markdown_cell(m.error or 'unknown error')}"]
    return lines


def _finding_row(i: int, f: Finding) -> list[str]:
    return [
        str(i),
        f.severity,
        escape_markdown_cell(f.location),
        _cwe_cell(f.cwe),
        escape_markdown_cell(", ".join(f.models)) or NA,
        fmt_confidence(f.confidence),
        escape_markdown_cell(f.message or f.title or ""),
    ]


def _snippet(f: Finding) -> list[str]:
    code = safe_text(f.snippet).rstrip("\n")
    if not code.strip():
        return ["_No snippet._"]
    lines = code.split("\n")
    more = len(lines) - MAX_SNIPPET_LINES
    if more > 0:
        code = "\n".join(lines[:MAX_SNIPPET_LINES])
    block = code_fence(code, f.language)
    return [*block, f"_… {more} more lines._"] if more > 0 else block


def _details(i: int, f: Finding) -> list[str]:
    title = f.title or (f"{cwe_name(f.cwe)} ({f.cwe})" if f.cwe and cwe_name(f.cwe) else f.cwe) or "Potentially insecure code"
    lines = [f"### {i}. {f.severity.upper()}: {escape_markdown_cell(title)}", ""]
    lines.append(f"- **Location:** {escape_markdown_cell(f.location)}")
    if f.cwe and _CWE_ID.match(f.cwe):
        lines.append(f"- **CWE:** [{f.cwe}]({cwe_url(f.cwe)})")
    lines += [
        f"- **Severity:** {f.severity} · **Confidence:** {fmt_confidence(f.confidence)}",
        f"- **Models:** {escape_markdown_cell(', '.join(f.models)) or NA}",
        f"- **Fingerprint:** `{escape_markdown_cell(f.fingerprint)}`" if re.fullmatch(r"[0-9a-f]+", f.fingerprint)
        else f"- **Fingerprint:** {escape_markdown_cell(f.fingerprint)}",
    ]
    if f.flags:
        lines.append(f"- **Flags:** {escape_markdown_cell(', '.join(f.flags))}")
    if f.message:
        lines.append(f"- **Message:** {escape_markdown_cell(f.message)}")
    if f.recommendation:
        lines.append(f"- **Recommendation:** {escape_markdown_cell(f.recommendation)}")
    return [*lines, "", *_snippet(f)]


def _findings(result: ScanResult) -> list[str]:
    if not result.findings:
        return ["## Findings", "", "No findings."]
    lines = ["## Findings", "", *table(FINDING_COLUMNS, (_finding_row(i, f) for i, f in enumerate(result.findings, 1)),
                                       align_right=(0, 5))]
    lines += ["", "## Finding details"]
    for i, f in enumerate(result.findings, 1):
        lines += ["", *_details(i, f)]
    return lines


def _skipped(result: ScanResult) -> list[str]:
    if not result.skipped:
        return []
    reasons = skip_reasons(result.skipped)
    lines = [f"## Skipped files ({len(result.skipped)})", ""]
    lines += table(("Reason", "Files"), ([escape_markdown_cell(r), str(n)] for r, n in reasons[:MAX_SKIP_REASONS]),
                   align_right=(1,))
    if len(reasons) > MAX_SKIP_REASONS:
        lines += ["", f"… and {len(reasons) - MAX_SKIP_REASONS} more reasons"]
    lines.append("")
    lines += [f"- {escape_markdown_cell(s.path) or NA} — {escape_markdown_cell(s.reason)}"
              for s in result.skipped[:MAX_SKIPPED_LISTED]]
    if len(result.skipped) > MAX_SKIPPED_LISTED:
        lines += ["", f"… and {len(result.skipped) - MAX_SKIPPED_LISTED} more"]
    return lines


def _telemetry_row(m: ModelSummary) -> list[str]:
    return [
        escape_markdown_cell(m.name) or escape_markdown_cell(m.model_id),
        escape_markdown_cell(m.provider),
        escape_markdown_cell(m.status),
        escape_markdown_cell(m.device) if m.device else NA,
        escape_markdown_cell(m.precision) if m.precision else NA,
        escape_markdown_cell(m.quantization) if m.quantization else NA,
        fmt_number(m.vram_mb),
        fmt_number(m.peak_vram_mb),
        fmt_number(m.load_time_ms),
        fmt_int(m.calls),
        fmt_number(m.avg_latency_ms, 1),
        fmt_int(m.findings),
        fmt_tokens(m.input_tokens, m.tokens_estimated),
        fmt_tokens(m.output_tokens, m.tokens_estimated),
        fmt_tokens(m.total_tokens, m.tokens_estimated),
        fmt_speed(m),
        fmt_energy(m),
    ]


def _telemetry(result: ScanResult) -> list[str]:
    if not result.models:
        return ["## Model telemetry", "", "No models ran."]
    lines = ["## Model telemetry", "",
             *table(TELEMETRY_COLUMNS, (_telemetry_row(m) for m in result.models), align_right=tuple(range(6, 17)))]
    lines += ["", "Tokens/s is generated tokens per second of generation for generative models and processed "
                  "(input) tokens per second of inference for classifiers; ~ marks estimated token counts."]
    return lines


def render_markdown(result: ScanResult) -> str:
    result = scrubbed(result)
    version = escape_markdown_cell(result.tool_version)
    sections = [
        ["# aegis scan report", "", f"_Generated by aegis {version}_" if version else "_Generated by aegis_"],
        _summary(result),
        _findings(result),
        _skipped(result),
        _telemetry(result),
    ]
    return "\n\n".join("\n".join(s) for s in sections if s) + "\n"
