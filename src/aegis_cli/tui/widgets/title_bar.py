"""The dashboard's top line: what is scanned on the left, the run's status on the right."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class TitleBar(Widget):
    """One line; the left text is cut (with "…") before the right one is."""

    DEFAULT_CSS = """
    TitleBar {
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $primary-background;
    }
    """

    left: reactive[Text] = reactive(Text)
    right: reactive[Text] = reactive(Text)

    def render(self) -> Text:
        width = self.content_size.width
        left, right = self.left.copy(), self.right
        room = width - right.cell_len - 1
        if left.cell_len > room:
            left.truncate(max(0, room), overflow="ellipsis")
        left.pad_right(max(0, width - left.cell_len - right.cell_len))
        left.no_wrap = True
        return Text.assemble(left, right, no_wrap=True, overflow="crop")
