"""The selected finding: its message and the code, with the flagged lines highlighted.

The code comes from the scanned file when the scan has finished (``sources``: path →
text); during the scan the finding's own snippet is shown. Everything here is text a
model or a scanned file controls, so it is rendered as plain ``Text`` with control
characters escaped — never parsed as markup.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from aegis_cli.telemetry.lines import escape_controls, printable
from aegis_cli.tui.widgets.findings_table import SEVERITY_STYLE, location

#: lines of context around the flagged lines
CONTEXT = 3
#: the most lines shown for one finding
MAX_LINES = 200
HIGHLIGHT = "on #5f1f1f"
THEME = "monokai"


def code_view(code: str, first_line: int, flagged: range, path: str, syntax: bool = True) -> Text:
    """``code`` (starting at ``first_line``) with line numbers; lines in ``flagged`` highlighted.
    ``syntax`` colours tokens (pygments: its first use per language costs a lexer build)."""
    lines = code.splitlines() or [""]
    lines = [escape_controls(line.expandtabs(4)) for line in lines[:MAX_LINES]]
    if syntax:
        highlighted = Syntax("", Syntax.guess_lexer(path), theme=THEME).highlight("\n".join(lines))
    else:
        highlighted = Text("\n".join(lines))
    highlighted.rstrip()
    width = len(str(first_line + len(lines) - 1))
    out = Text(no_wrap=True, overflow="ellipsis")
    for offset, line in enumerate(highlighted.split("\n", allow_blank=True)):
        number = first_line + offset
        hot = number in flagged
        out.append("▶ " if hot else "  ", style="bold red" if hot else "")
        out.append(f"{number:>{width}} ", style="bold" if hot else "dim")
        if hot:
            line.stylize(HIGHLIGHT)
            line.pad_right(1)
        out.append_text(line)
        out.append("\n")
    out.rstrip()
    return out


def excerpt(finding: dict[str, Any], sources: dict[str, str]) -> tuple[str, int, bool]:
    """``(code, first line number, from_source)`` for a finding."""
    start = int(finding.get("start_line") or 1)
    end = int(finding.get("end_line") or start)
    text = sources.get(str(finding.get("path")))
    if text is not None:
        lines = text.splitlines()
        first = max(1, start - CONTEXT)
        last = min(len(lines), end + CONTEXT, first + MAX_LINES - 1)
        if first <= len(lines):
            return "\n".join(lines[first - 1:last]), first, True
    return str(finding.get("snippet") or ""), start, False


def detail_renderable(finding: dict[str, Any] | None, sources: dict[str, str],
                      syntax: bool = True) -> RenderableType:
    if finding is None:
        return Text("Select a finding to see its code.", style="dim")
    severity = str(finding.get("severity", "info"))
    header = Text.assemble(
        (f" {severity.upper()} ", SEVERITY_STYLE.get(severity, "")), " ",
        (printable(finding.get("cwe") or "no CWE"), "bold"), "  ",
        (location(finding), "underline"),
    )
    confidence = finding.get("confidence")
    models = ", ".join(printable(m) for m in finding.get("models") or ()) or "—"
    meta = Text.assemble(
        ("confidence ", "dim"), ("N/A" if confidence is None else f"{float(confidence):.2f}", "bold"),
        ("  models ", "dim"), (models, "bold"),
    )
    parts: list[RenderableType] = [header, meta]
    if finding.get("title"):
        parts.append(Text(printable(finding["title"]), style="bold"))
    message = str(finding.get("message") or "")
    parts.append(Text("\n".join(escape_controls(line) for line in message.splitlines())))
    if finding.get("recommendation"):
        parts.append(Text.assemble(("Fix: ", "bold green"), escape_controls(str(finding["recommendation"]))))
    code, first, from_source = excerpt(finding, sources)
    start = int(finding.get("start_line") or 1)
    end = int(finding.get("end_line") or start)
    parts.append(Text(""))
    if code:
        parts.append(code_view(code, first, range(start, end + 1), str(finding.get("path", "")), syntax))
    if not from_source:
        parts.append(Text("(the model's snippet; the whole file is shown when the scan ends)", style="dim italic"))
    return Group(*parts)


class FindingDetail(VerticalScroll):
    """Message and code of the highlighted finding."""

    DEFAULT_CSS = """
    FindingDetail {
        height: 1fr;
        border: round $panel-lighten-2;
        border-title-color: $text;
        padding: 0 1;
    }
    FindingDetail > Static { width: auto; min-width: 1fr; }
    """

    finding: reactive[dict[str, Any] | None] = reactive(None, always_update=True)
    """The finding shown (``Finding.to_dict()``), or None."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sources: dict[str, str] = {}
        self.syntax = False
        self.border_title = "Finding"
        self.body = Static(detail_renderable(None, {}), id="detail-body")

    def compose(self):
        yield self.body

    def set_sources(self, sources: dict[str, str]) -> None:
        """The scanned files' text (available when the scan has finished); redraws, with
        syntax colours from now on (while the scan runs they would cost it CPU time)."""
        self.sources = dict(sources)
        self.syntax = True
        self.finding = self.finding

    def watch_finding(self, finding: dict[str, Any] | None) -> None:
        if not self.is_mounted:
            return
        self.body.update(detail_renderable(finding, self.sources, self.syntax))
        self.scroll_home(animate=False)
