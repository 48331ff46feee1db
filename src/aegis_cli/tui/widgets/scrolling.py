"""Scrollable widgets whose own size does not depend on their content."""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget


def set_virtual_size(widget: Widget, size: Size) -> None:
    """Give ``widget`` a new scrollable size without laying out the screen.

    Assigning ``virtual_size`` lays out every widget on the screen, which costs a scan's
    worker thread the GIL each time findings arrive. A widget sized by its container
    (``1fr``) only needs its scrollbars updated, which is what Textual does itself when a
    widget is resized; that path is used when the running Textual has it.
    """
    if size == widget.virtual_size:
        return
    scroll_update = getattr(widget, "_scroll_update", None)
    if not widget.is_mounted or not callable(scroll_update):
        widget.virtual_size = size
        return
    widget.set_reactive(Widget.virtual_size, size)
    scroll_update(size)
