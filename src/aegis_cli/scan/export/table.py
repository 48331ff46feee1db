"""The scan result as a terminal table (the default ``--format``).

Rendered by Rich into a string. Data never goes through Rich markup: every cell is a
:class:`rich.text.Text` built from :func:`aegis_cli.textsafe.safe_text`, so ``[bold]``
in a message prints as ``[bold]`` and an ANSI escape in a snippet cannot restyle the
terminal.
"""

from __future__ import annotations

from io import StringIO

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
    severity_line,
    skip_reasons,
)
from aegis_cli.scan.result import ModelSummary, ScanResult
from aegis_cli.textsafe import one_line

DEFAULT_WIDTH = 120
MAX_SKIP_REASONS_SHOWN = 5
SEVERITY_STYLES = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def _unit(text: str, unit: str) -> str:
    return text if text == NA else f"{text} {unit}"


def _model_line(m: ModelSummary) -> str:
    name = one_line(m.name) or one_line(m.model_id)
    if m.status == "failed":
        return f"{name} [{one_line(m.provider)}]: FAILED ({one_line(m.error or 'unknown error')})"
    parts = [
        f"{name} [{one_line(m.provider)}] on {one_line(m.device) if m.device else NA}",
        f"precision {one_line(m.precision) if m.precision else NA}",
        f"quantization {one_line(m.quantization) if m.quantization else NA}",
        f"VRAM {_unit(fmt_number(m.vram_mb), 'MB')}",
        f"load {_unit(fmt_number(m.load_time_ms), 'ms')}",
        f"{fmt_int(m.calls)} calls",
        f"avg {_unit(fmt_number(m.avg_latency_ms, 1), 'ms/call')}",
        f"{fmt_int(m.findings)} findings",
        f"tokens {fmt_tokens(m.input_tokens, m.tokens_estimated)} in / "
        f"{fmt_tokens(m.output_tokens, m.tokens_estimated)} out / "
        f"{fmt_tokens(m.total_tokens, m.tokens_estimated)} total",
        fmt_speed(m, " tok/s"),
    ]
    if m.energy_j is not None:
        parts.append(f"energy {fmt_energy(m, ' J')}")
    return " · ".join(parts)


def render_table(result: ScanResult, *, color: bool = False, width: int | None = None) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    result = scrubbed(result)
    buffer = StringIO()
    console = Console(
        file=buffer, width=width or DEFAULT_WIDTH, color_system="standard" if color else None,
        force_terminal=color, no_color=not color, markup=False, emoji=False, highlight=False,
        soft_wrap=False, legacy_windows=False,
    )

    def line(text: str, style: str = "") -> None:
        console.print(Text(text, style=style), overflow="fold")

    title = f"aegis scan of {one_line(result.target) or NA}"
    if result.findings:
        grid = Table(title=Text(title), box=box.SIMPLE_HEAD, show_lines=False, expand=False)
        grid.add_column("Severity", no_wrap=True)
        grid.add_column("Location", overflow="fold", ratio=3)
        grid.add_column("CWE", no_wrap=True)
        grid.add_column("Models", overflow="fold", ratio=2)
        grid.add_column("Conf.", justify="right", no_wrap=True)
        grid.add_column("Message", overflow="fold", ratio=5)
        for f in result.findings:
            grid.add_row(
                Text(f.severity.upper(), style=SEVERITY_STYLES.get(f.severity, "")),
                Text(one_line(f.location)),
                Text(f.cwe or "—"),
                Text(one_line(", ".join(f.models)) or NA),
                Text(fmt_confidence(f.confidence)),
                Text(one_line(f.message or f.title or "")),
            )
        console.print(grid)
    else:
        line(title, "bold")
        line("No findings.", "green")

    counts = result.severity_counts()
    line("")
    line(f"{len(result.findings)} findings ({severity_line(counts)}) in {result.files_scanned} files scanned, "
         f"{len(result.skipped)} skipped, {fmt_duration(result.duration_s)}")
    reasons = skip_reasons(result.skipped)
    if reasons:
        shown = "; ".join(f"{n} × {one_line(reason)}" for reason, n in reasons[:MAX_SKIP_REASONS_SHOWN])
        rest = len(reasons) - MAX_SKIP_REASONS_SHOWN
        line(f"Skipped: {shown}" + (f"; … and {rest} more reasons" if rest > 0 else ""), "dim")
    for warning in result.warnings:
        line(f"Warning: {one_line(warning)}", "yellow")
    if result.models:
        line("")
        line("Models:", "bold")
        for m in result.models:
            line(f"  {_model_line(m)}", "red" if m.status == "failed" else "")
    return buffer.getvalue()
