"""The event log: the same lines as the plain console output, coloured by their tag."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import RichLog

from aegis_cli.telemetry.lines import line_level

LEVEL_STYLE = {
    "info": "cyan",
    "success": "green",
    "warning": "yellow",
    "error": "bold red",
    "skip": "dim",
    "debug": "dim",
}


def styled_line(line: str) -> Text:
    """``line`` as plain text (never markup: it holds names and messages from models and files)."""
    text = Text(line)
    if line.startswith("["):
        end = line.find("]") + 1
        text.stylize(LEVEL_STYLE.get(line_level(line), ""), 0, end)
    return text


class EventLog(RichLog):
    """Scrolling log of event lines (the newest at the bottom)."""

    DEFAULT_CSS = """
    EventLog {
        height: 8;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        padding: 0 1;
        scrollbar-size-vertical: 1;
        overflow-y: scroll;
    }
    """

    def __init__(self, *, max_lines: int = 1000, **kwargs) -> None:
        super().__init__(max_lines=max_lines, wrap=True, markup=False, highlight=False, min_width=20, **kwargs)
        self.border_title = "Events"
        self.lines_written = 0
        self._pending: list[str] = []

    def add_lines(self, lines: Iterable[str]) -> None:
        """Append lines. Until the log has a size they wait, so they wrap to its real width
        (RichLog would otherwise measure them against the console's 80 columns)."""
        self._pending.extend(lines)
        width = self.scrollable_content_region.width
        if width > 0:
            for line in self._pending:
                self.write(styled_line(line), width=width)
                self.lines_written += 1
            self._pending.clear()

    def on_resize(self) -> None:
        if self._pending:
            self.add_lines(())
