"""A compact throughput line: label, a sparkline of the recent logged steps, the latest value.

    samples/s ▂▃▅▆▇▆▇█▇  1,234

One widget that renders a single line of text (no child widgets, no re-layout when a value
changes), so a new step costs one line of drawing.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

#: logged steps the sparkline covers at most (the newest on the right)
SPARK_POINTS = 120
BARS = "▁▂▃▄▅▆▇█"


def rate_text(value: float | None) -> str:
    if value is None:
        return "N/A"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def spark(values: Sequence[float], width: int) -> str:
    """The newest ``width`` values as bars scaled between their min and max (flat: mid-height)."""
    if width <= 0 or not values:
        return ""
    recent = list(values)[-width:]
    lo, hi = min(recent), max(recent)
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):
        return BARS[3] * len(recent)
    scale = (len(BARS) - 1) / (hi - lo)
    return "".join(BARS[int((v - lo) * scale + 0.5)] for v in recent)


class RateSparkline(Widget):
    """``samples/s ▂▃▅▆▇ 1,234``: unknown values are left out of the line; N/A when none is known."""

    DEFAULT_CSS = """
    RateSparkline {
        height: 1;
        width: 1fr;
        padding: 0 1;
    }
    """

    values: reactive[tuple[float, ...]] = reactive(tuple)
    """The known values of the recent logged steps (oldest first)."""

    def __init__(self, label: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.label = label
        self._seen = -1

    def show(self, column: Sequence[float | None]) -> None:
        """Values per logged step (None = unknown); redrawn only when a step was added."""
        if len(column) == self._seen:
            return
        self._seen = len(column)
        self.values = tuple(v for v in list(column)[-SPARK_POINTS:] if v is not None)

    def render(self) -> Text:
        values = self.values
        value = rate_text(values[-1] if values else None)
        text = Text(f"{self.label} ", style="dim")
        room = self.content_size.width - len(self.label) - 1 - max(8, len(value)) - 1
        if values and room > 0:
            text.append(spark(values, room), style="cyan")
            text.append(" " * (room - min(room, len(values))))
        elif room > 0:
            text.append("─" * room, style="dim")
        text.append(" " + value.rjust(max(8, len(value))), style="bold" if values else "dim")
        text.no_wrap = True
        text.overflow = "ellipsis"
        return text
