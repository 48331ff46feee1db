"""A grid of labelled figures ("Calls 12  Avg Latency 35.2 ms …") that adapts to the terminal width.

Columns follow the terminal: 2 below 80 columns, 3 below 110, 4 below 140, 5 from 140.
Figures come in groups; each group starts on a new row (the second row of a model
panel, VRAM and Load Time, sits under the first and lines up with it).
"""

from __future__ import annotations

from typing import NamedTuple

from rich.table import Table
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

    def render(self) -> Table:
        grid = Table.grid(expand=True, padding=(0, 2, 0, 0))
        for _ in range(self.columns):
            grid.add_column(no_wrap=True, overflow="ellipsis")
        for group in self.groups:
            cells = [
                Text.assemble((f"{s.label} ", "dim"), (s.value, "dim" if s.muted else "bold"))
                for s in group
            ]
            for start in range(0, len(cells), self.columns):
                row = cells[start:start + self.columns]
                grid.add_row(*row, *[""] * (self.columns - len(row)))
        return grid
