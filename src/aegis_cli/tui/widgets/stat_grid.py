"""A grid of labelled figures ("Calls 12  Avg Latency 35.2 ms …") that adapts to the terminal width.

Columns follow the terminal: 2 below 80 columns, 3 below 110, 4 below 140, 5 from 140.
Figures come in groups; each group starts on a new row (the second row of a model
panel, VRAM and Load Time, sits under the first and lines up with it).
"""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual import events
from textual.reactive import reactive
from textual.widget import Widget


class Stat(NamedTuple):
    label: str
    value: str
    muted: bool = False  # a placeholder figure (0 before the first call)


def columns_for_width(width: int) -> int:
    """Grid columns for a terminal ``width``."""
    if width < 80:
        return 2
    if width < 110:
        return 3
    if width < 140:
        return 4
    return 5


class StatGrid(Widget):
    """Labelled figures laid out in ``columns`` equal columns."""

    DEFAULT_CSS = """
    StatGrid {
        height: auto;
        width: 1fr;
    }
    """

    groups: reactive[tuple[tuple[Stat, ...], ...]] = reactive(())
    """The figures in reading order, in groups; each group starts a new row."""

    columns: reactive[int] = reactive(5)
    """Columns in the grid; follows the terminal width (see :func:`columns_for_width`)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        #: group sizes to keep room for while there are no figures yet (a panel built before
        #: its model reports), so the first figures do not change the screen's layout
        self.reserve: tuple[int, ...] = ()
        self._height_laid_out = 0

    def _rows(self) -> int:
        return sum(-(-len(group) // self.columns) for group in self.groups)

    def _height(self) -> int:
        reserved = sum(-(-n // self.columns) for n in self.reserve)
        return max(self._rows(), reserved)

    def get_content_height(self, container, viewport, width: int) -> int:
        return self._height()

    def watch_groups(self) -> None:
        # new figures repaint this widget only; the screen is laid out again only when the
        # height changes (a full layout on every update would cost the scan time)
        height = self._height()
        self.refresh(layout=height != self._height_laid_out)
        self._height_laid_out = height

    def watch_columns(self) -> None:
        self._height_laid_out = self._height()
        self.refresh(layout=True)

    def on_mount(self) -> None:
        self.columns = columns_for_width(self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        self.columns = columns_for_width(self.app.size.width)

    def render(self) -> Text:
        # plain text, not a Rich table: a table measures every cell again on every redraw
        rows: list[list[Text]] = []
        for group in self.groups:
            for start in range(0, len(group), self.columns):
                rows.append([Text.assemble((f"{s.label} ", "dim"), (s.value, "dim" if s.muted else "bold"))
                             for s in group[start:start + self.columns]])
        widths = column_widths(rows, self.columns, max(1, self.content_size.width))
        lines: list[Text] = []
        for row in rows:
            line = Text(no_wrap=True, overflow="ellipsis")
            for cell, width in zip(row, widths, strict=False):
                if cell.cell_len > width - GAP:
                    cell.truncate(max(1, width - GAP), overflow="ellipsis")
                cell.pad_right(width - cell.cell_len)
                line.append_text(cell)
            line.rstrip()
            lines.append(line)
        return Text("\n", no_wrap=True).join(lines)


#: blank cells between two columns
GAP = 2


def column_widths(rows: list[list[Text]], columns: int, width: int) -> list[int]:
    """Each column as wide as its widest cell plus the gap, the room left shared out evenly;
    equal columns (cells cut with "…") when the figures do not fit."""
    need = [GAP] * columns
    for row in rows:
        for i, cell in enumerate(row):
            need[i] = max(need[i], cell.cell_len + GAP)
    spare = width - sum(need)
    if spare < 0:
        return [width // columns] * columns
    return [n + spare // columns + (1 if i < spare % columns else 0) for i, n in enumerate(need)]
