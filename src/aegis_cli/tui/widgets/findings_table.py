"""Findings table: severity, file:line, CWE, models, confidence; sortable and filterable.

A line-API scroll view rather than a DataTable: it renders only the rows on screen, one
``rich.text.Text`` per row (never markup: paths and model names are not ours to trust),
and re-sorting is a sort of row indexes. New findings can arrive many times a second
during a scan without the table costing the scan time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from aegis_cli.scan.findings import SEVERITIES, at_or_above, severity_rank
from aegis_cli.telemetry.lines import printable
from aegis_cli.tui.widgets.scrolling import set_virtual_size

SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}
SORTS = ("severity", "file", "confidence")
#: filter cycle: everything, then "this severity or worse"
FILTERS: tuple[str | None, ...] = (None, "critical", "high", "medium", "low")


def location(f: dict[str, Any]) -> str:
    start, end = f.get("start_line", 1), f.get("end_line", f.get("start_line", 1))
    span = f"{start}" if end == start else f"{start}-{end}"
    return f"{printable(f.get('path', '?'))}:{span}"


def sort_key(sort_by: str):
    def by_severity(f: dict[str, Any]):
        return (severity_rank(f.get("severity", "info")), f.get("path", ""), f.get("start_line", 0))

    def by_file(f: dict[str, Any]):
        return (f.get("path", ""), f.get("start_line", 0), severity_rank(f.get("severity", "info")))

    def by_confidence(f: dict[str, Any]):
        return (-float(f.get("confidence") or 0.0), severity_rank(f.get("severity", "info")),
                f.get("path", ""), f.get("start_line", 0))

    return {"severity": by_severity, "file": by_file, "confidence": by_confidence}[sort_by]


def _clip_left(text: str, width: int) -> str:
    """Keep the end of a path (the file name matters most)."""
    return text if len(text) <= width else "…" + text[-(width - 1):]


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


#: invisible, distinct styles: each column becomes its own segment, so an SVG screenshot
#: places every column at its own x (viewers without the monospace font still line up)
_COLUMN = (Style(overline=False), Style(frame=False), Style(encircle=False), Style(blink2=False))


def column_widths(width: int) -> tuple[int, int]:
    """(location, models) widths for a table ``width`` wide: the models column narrows, then goes."""
    fixed = 8 + 7 + 4 + 4  # severity, CWE, confidence, and a space between columns
    for models in (14, 10):
        if width >= fixed + models + 1 + 2 * models:
            return width - fixed - models - 1, models
    return max(12, width - fixed), 0


class FindingsTable(ScrollView, can_focus=True):
    """The findings of the run, one row each; a header line stays on top."""

    DEFAULT_CSS = """
    FindingsTable {
        height: 1fr;
        border: round $panel-lighten-2;
        border-title-color: $text;
        border-subtitle-color: $text-muted;
        padding: 0 1;
        scrollbar-size-vertical: 1;
        overflow-y: scroll;
    }
    FindingsTable:focus { border: round $accent; }
    FindingsTable > .findings-table--header { text-style: bold; background: $panel; }
    FindingsTable > .findings-table--cursor { background: $accent 40%; text-style: bold; }
    FindingsTable:focus > .findings-table--cursor { background: $accent; }
    FindingsTable > .findings-table--even { background: $surface-lighten-1 30%; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "findings-table--header", "findings-table--cursor", "findings-table--even",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "cursor_to(0)", "First", show=False),
        Binding("end", "cursor_to(-1)", "Last", show=False),
    ]

    class FindingHighlighted(Message):
        """The cursor moved onto a finding (``finding`` is ``Finding.to_dict()``), or None."""

        def __init__(self, finding: dict[str, Any] | None) -> None:
            super().__init__()
            self.finding = finding

    sort_by: reactive[str] = reactive("severity", init=False)
    """Row order: "severity" (most severe first), "file" (path, line) or "confidence" (highest first)."""

    min_severity: reactive[str | None] = reactive(None, init=False)
    """Show findings of this severity or worse; None shows all."""

    cursor_row: reactive[int] = reactive(0, init=False)
    """The highlighted row (an index into :attr:`shown`)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.findings: list[dict[str, Any]] = []
        self.shown: list[int] = []  # indexes into ``findings``, in display order
        self._pending = False
        self._rows: dict[tuple[int, int], Strip] = {}  # (finding index, width) → rendered row
        self._widths = (30, 14)
        self._highlighted: int | None = None

    # ---------------------------------------------------------------- data in

    @property
    def row_count(self) -> int:
        return len(self.shown)

    def set_findings(self, findings: Iterable[dict[str, Any]]) -> None:
        """Replace every finding (the merged result at the end of a scan); the cursor goes
        back to the first row (row indexes of the old list mean nothing in the new one)."""
        self.findings = list(findings)
        self.shown = []
        self._highlighted = None
        self._rows.clear()
        self._pending = True

    def add_findings(self, findings: Iterable[dict[str, Any]]) -> None:
        """Queue new findings; they appear on the next :meth:`update_rows`."""
        before = len(self.findings)
        self.findings.extend(findings)
        self._pending |= len(self.findings) != before

    @property
    def dirty(self) -> bool:
        return self._pending

    def update_rows(self) -> None:
        if self._pending:
            self.rebuild()

    def cycle_sort(self) -> str:
        self.sort_by = SORTS[(SORTS.index(self.sort_by) + 1) % len(SORTS)]
        return self.sort_by

    def cycle_filter(self) -> str | None:
        self.min_severity = FILTERS[(FILTERS.index(self.min_severity) + 1) % len(FILTERS)]
        return self.min_severity

    def watch_sort_by(self) -> None:
        self.rebuild()

    def watch_min_severity(self) -> None:
        self.rebuild()

    def selected_finding(self) -> dict[str, Any] | None:
        if 0 <= self.cursor_row < len(self.shown):
            return self.findings[self.shown[self.cursor_row]]
        return None

    def rebuild(self) -> None:
        """Sort and filter the rows, keeping the cursor on the same finding."""
        keep = self.shown[self.cursor_row] if 0 <= self.cursor_row < len(self.shown) else None
        key = sort_key(self.sort_by)
        findings = self.findings
        order = sorted(range(len(findings)), key=lambda i: key(findings[i]))
        if self.min_severity is not None:
            order = [i for i in order if at_or_above(findings[i].get("severity", "info"), self.min_severity)]
        self.shown = order
        self._pending = False
        self._set_row_count(len(order))
        self._update_titles()
        row = order.index(keep) if keep is not None and keep in order else 0
        self.set_reactive(FindingsTable.cursor_row, min(row, max(0, len(order) - 1)))
        self._cursor_moved()
        self.refresh()

    def _set_row_count(self, rows: int) -> None:
        """The scrollable height: rows + the header (no screen layout: see set_virtual_size)."""
        set_virtual_size(self, Size(self.scrollable_content_region.width, rows + 1))

    def move_cursor(self, *, row: int) -> None:
        self.cursor_row = row

    # ---------------------------------------------------------------- cursor

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, len(self.shown) - 1)) if self.shown else 0

    def watch_cursor_row(self) -> None:
        self._cursor_moved()
        self.refresh()

    def _cursor_moved(self) -> None:
        current = self.shown[self.cursor_row] if 0 <= self.cursor_row < len(self.shown) else None
        if current != self._highlighted or current is None:
            self._highlighted = current
            self.post_message(self.FindingHighlighted(self.selected_finding()))
        if self.shown and self.is_mounted:
            # line 0 is the header, so row r is content line r + 1
            # rows r and r + 1 of the content: keeps the row clear of the header line
            self.scroll_to_region(Region(0, self.cursor_row, 1, 2), animate=False, immediate=True, force=True)

    def action_cursor(self, step: int) -> None:
        self.cursor_row += step

    def action_page(self, direction: int) -> None:
        self.cursor_row += direction * max(1, self.scrollable_content_region.height - 2)

    def action_cursor_to(self, row: int) -> None:
        self.cursor_row = row if row >= 0 else len(self.shown) - 1

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = int(self.scroll_offset.y) + offset.y - 1
        if 0 <= row < len(self.shown) and offset.y > 0:
            self.cursor_row = row

    # ---------------------------------------------------------------- display

    def on_resize(self, event: events.Resize) -> None:
        widths = column_widths(self.scrollable_content_region.width)
        if widths != self._widths:
            self._widths = widths
            self._rows.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.shown) + 1)
        self.refresh()

    def _cells(self, index: int) -> Text:
        f = self.findings[index]
        loc_w, models_w = self._widths
        severity = str(f.get("severity", "info"))
        confidence = f.get("confidence")
        line = Text(no_wrap=True, overflow="crop")
        line.append(f"{severity.upper():<8}", SEVERITY_STYLE.get(severity, ""))
        line.append(" " + f"{_clip_left(location(f), loc_w):<{loc_w}}", _COLUMN[0])
        cwe = printable(f.get("cwe") or "—")
        line.append(" " + f"{_clip(cwe, 7):<7}", _COLUMN[1] + Style(dim=not f.get("cwe")))
        if models_w:
            models = ", ".join(printable(m) for m in f.get("models") or ()) or "—"
            line.append(" " + f"{_clip(models, models_w):<{models_w}}", _COLUMN[2])
        line.append(" " + ("N/A" if confidence is None else f"{float(confidence):.2f}").rjust(4), _COLUMN[3])
        return line

    def _header(self) -> Text:
        loc_w, models_w = self._widths
        text = Text("Severity", no_wrap=True)
        text.append(f" {'Location':<{loc_w}}", _COLUMN[0])
        text.append(f" {'CWE':<7}", _COLUMN[1])
        if models_w:
            text.append(f" {'Models':<{models_w}}", _COLUMN[2])
        text.append(" Conf", _COLUMN[3])
        return text

    def _strip(self, text: Text, width: int) -> Strip:
        """The row's cells, padded to ``width``; backgrounds are applied per render."""
        return Strip(list(text.render(self.app.console))).adjust_cell_length(width)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("findings-table--header")
            return self._strip(self._header(), width).apply_style(header).apply_style(base)
        row = int(self.scroll_offset.y) + y - 1
        if row >= len(self.shown):
            return Strip([Segment(" " * width, base)], width)
        index = self.shown[row]
        strip = self._rows.get((index, width))
        if strip is None:
            strip = self._rows[(index, width)] = self._strip(self._cells(index), width)
        # apply_style sets what a segment leaves unset: the row's own colours win, then the
        # cursor or stripe background, then the widget's
        if row == self.cursor_row:
            strip = strip.apply_style(self.get_component_rich_style("findings-table--cursor"))
        elif row % 2:
            strip = strip.apply_style(self.get_component_rich_style("findings-table--even"))
        return strip.apply_style(base)

    def _update_titles(self) -> None:
        counts = dict.fromkeys(SEVERITIES, 0)
        for f in self.findings:
            counts[f.get("severity", "info")] = counts.get(f.get("severity", "info"), 0) + 1
        self.border_title = Text(f"Findings {len(self.shown)}/{len(self.findings)}")
        summary = " ".join(f"{s[0].upper()}:{n}" for s, n in counts.items() if n)
        flt = "all" if self.min_severity is None else f"≥ {self.min_severity}"
        self.border_subtitle = Text(f"{summary}  sort: {self.sort_by} · filter: {flt}".strip())
