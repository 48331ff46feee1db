"""One telemetry chart (plotext, drawn by aegis_cli.report.plots) in a titled box.

The chart is drawn only when its panel or its size changes: the text is cached, so a
redraw of the screen for other reasons (the clock, the hardware strip) costs nothing here.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.strip import Strip
from textual.widget import Widget

from aegis_cli.report.plots import Panel, render_panel


def xterm_hex(index: int) -> str:
    """The RGB of an xterm-256 colour (the palette plotext draws with)."""
    if index < 16:
        base = ("000000", "800000", "008000", "808000", "000080", "800080", "008080", "c0c0c0",
                "808080", "ff0000", "00ff00", "ffff00", "0000ff", "ff00ff", "00ffff", "ffffff")
        return "#" + base[index]
    if index >= 232:
        v = 8 + 10 * (index - 232)
        return f"#{v:02x}{v:02x}{v:02x}"
    index -= 16
    steps = (0, 95, 135, 175, 215, 255)
    r, g, b = steps[index // 36], steps[(index // 6) % 6], steps[index % 6]
    return f"#{r:02x}{g:02x}{b:02x}"


def legend(panel: Panel) -> Content:
    """The border subtitle: a coloured key per series."""
    parts: list[str | tuple[str, str]] = []
    for label, color in panel.legend:
        if parts:
            parts.append("  ")
        parts.extend([("━━", xterm_hex(color)), f" {label}"])
    return Content.assemble(*parts)


def title(panel: Panel) -> Content:
    """The border title: the panel's name and its newest value (Content: never parsed as markup)."""
    if not panel.latest:
        return Content(panel.title)
    return Content.assemble(panel.title, "  ", (panel.latest, "bold"))


class ChartPanel(Widget):
    """A chart of one series group, or the panel's message when there is nothing to draw.

    Drawn on the line API: the chart is turned into strips once per change (of the panel
    or of the size) and each screen update reuses them."""

    DEFAULT_CSS = """
    ChartPanel {
        height: 1fr;
        width: 1fr;
        min-height: 5;
        border: round $panel-lighten-2;
        border-title-color: $text;
        border-subtitle-color: $text-muted;
        padding: 0 0;
    }
    ChartPanel.-message {
        color: $text-muted;
    }
    """

    def __init__(self, title: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = title
        self.panel: Panel | None = None
        self._key: tuple | None = None
        self._strips: list[Strip] = []
        self._serial = 0
        self.draws = 0  # how often plotext ran (tests and the benchmark read it)

    def show(self, panel: Panel) -> None:
        """Draw ``panel`` on the next refresh; the same panel again costs nothing."""
        if panel == self.panel:
            return
        self.panel = panel
        self._serial += 1
        self.border_title = title(panel)
        self.border_subtitle = legend(panel) if panel.drawable else Content("")
        self.set_class(not panel.drawable, "-message")
        self.refresh()

    def _lines(self, width: int, height: int) -> list[Strip]:
        key = (self._serial, width, height)
        if key != self._key:
            self._key = key
            panel = self.panel
            if panel is None:
                self._strips = []
            else:
                self.draws += panel.drawable
                text = Text.from_ansi(render_panel(panel, width, height), no_wrap=True, end="")
                console = self.app.console
                base = self.visual_style.rich_style
                self._strips = [
                    Strip(list(line.render(console)), line.cell_len).apply_style(base).adjust_cell_length(width, base)
                    for line in text.split("\n", allow_blank=True)[:height]
                ]
        return self._strips

    def render_line(self, y: int) -> Strip:
        width, height = self.content_size.width, self.content_size.height
        base = self.visual_style.rich_style
        if width <= 0 or height <= 0:
            return Strip.blank(max(0, width), base)
        lines = self._lines(width, height)
        return lines[y] if 0 <= y < len(lines) else Strip.blank(width, base)
