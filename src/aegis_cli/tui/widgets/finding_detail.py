"""The selected finding: its message and the code, with the flagged lines highlighted.

The code comes from the scanned file when the scan has finished (``sources``: path →
text); during the scan the finding's own snippet is shown. Everything here is text a
model or a scanned file controls, so it is rendered as plain ``Text`` with control
characters escaped — never parsed as markup.
"""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.measure import Measurement
from rich.syntax import Syntax
from rich.text import Text
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from aegis_cli.telemetry.lines import escape_controls, printable
from aegis_cli.tui.widgets.findings_table import SEVERITY_STYLE, location
from aegis_cli.tui.widgets.scrolling import set_virtual_size

#: lines of context around the flagged lines
CONTEXT = 3
#: the most lines shown for one finding
MAX_LINES = 200
#: the widest the text is laid out (longer lines end in "…"; narrower ones scroll sideways)
MAX_WIDTH = 400
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


def detail_parts(finding: dict[str, Any] | None, sources: dict[str, str],
                 syntax: bool = True) -> list[tuple[RenderableType, bool]]:
    """What the detail view shows, in order: ``(renderable, wraps)``. Prose (the message, the
    fix) wraps at the view's width; code does not wrap (it scrolls sideways)."""
    if finding is None:
        return [(Text("Select a finding to see its code.", style="dim"), True)]
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
    out = [(part, True) for part in parts]
    if code:
        out.append((code_view(code, first, range(start, end + 1), str(finding.get("path", "")), syntax), False))
    if not from_source:
        out.append((Text("(the model's snippet; the whole file is shown when the scan ends)", style="dim italic"), True))
    return out


class FindingDetail(ScrollView, can_focus=True):
    """Message and code of the highlighted finding.

    A line-API view: the text is rendered once per finding (and per width) into lines, and
    only the lines on screen are drawn. Showing another finding repaints this widget alone;
    it never lays out the screen (which would cost a running scan CPU time).
    """

    DEFAULT_CSS = """
    FindingDetail {
        height: 1fr;
        border: round $panel-lighten-2;
        border-title-color: $text;
        padding: 0 1;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 1;
    }
    FindingDetail:focus { border: round $accent; }
    """

    finding: reactive[dict[str, Any] | None] = reactive(None, always_update=True)
    """The finding shown (``Finding.to_dict()``), or None."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sources: dict[str, str] = {}
        self.syntax = False
        self.border_title = "Finding"
        self._parts = detail_parts(None, {})
        self._lines: list[Strip] = []
        self._lines_width: int | None = None  # the view width the lines were rendered for

    @property
    def text(self) -> str:
        """What the view shows, as plain text (every line, not only those on screen)."""
        self._render_lines()
        return "\n".join(strip.text.rstrip() for strip in self._lines)

    def set_sources(self, sources: dict[str, str]) -> None:
        """The scanned files' text (available when the scan has finished); redraws, with
        syntax colours from now on (while the scan runs they would cost it CPU time)."""
        self.sources = dict(sources)
        self.syntax = True
        self.finding = self.finding

    def watch_finding(self, finding: dict[str, Any] | None) -> None:
        self._parts = detail_parts(finding, self.sources, self.syntax)
        self._lines_width = None
        if not self.is_mounted:
            return
        self._render_lines()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def on_resize(self) -> None:
        self._render_lines()
        self.refresh()

    def _render_lines(self) -> None:
        """Render the text for the view's width (prose wrapped to it; code as wide as its longest
        line, up to MAX_WIDTH, scrolled sideways) and size the scrollable area to it."""
        width = self.scrollable_content_region.width
        if width <= 0 or width == self._lines_width:
            return
        console = self.app.console
        options = console.options.update(width=max(width, MAX_WIDTH), height=None)
        wide = max([width] + [Measurement.get(console, options, part).maximum
                              for part, wraps in self._parts if not wraps])
        lines: list[Strip] = []
        for part, wraps in self._parts:
            rendered = console.render_lines(part, options.update(width=width if wraps else wide), pad=False)
            lines.extend(Strip(line) for line in rendered)
        self._lines = lines
        self._lines_width = width
        set_virtual_size(self, Size(wide, len(lines)))

    def render_line(self, y: int) -> Strip:
        self._render_lines()
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        base = self.rich_style
        index = scroll_y + y
        if index >= len(self._lines):
            return Strip.blank(width, base)
        return self._lines[index].crop_extend(scroll_x, scroll_x + width, base).apply_style(base)
