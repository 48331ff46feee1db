"""Modal screens of the dashboards: key help and the export-format chooser."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

EXPORT_FORMATS: tuple[tuple[str, str], ...] = (
    ("json", "JSON — every finding and figure"),
    ("sarif", "SARIF 2.1.0 — for code-scanning tools"),
    ("markdown", "Markdown — a report to read or paste"),
)


class HelpScreen(ModalScreen[None]):
    """The keys of the dashboard."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: auto;
        max-width: 90%;
        height: auto;
        border: round $accent;
        background: $surface;
        padding: 1 2;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss_help", "Close"),
    ]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for key, what in self.keys:
            table.add_row(key, what)
        with Vertical():
            yield Static(Text("Keys", style="bold"))
            yield Static(table)
            yield Static(Text("Esc or ? closes this help.", style="dim"))

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


class ExportScreen(ModalScreen[str | None]):
    """Pick a format to write the results in; dismisses with the format or None."""

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 50;
        max-width: 95%;
        height: auto;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    ExportScreen OptionList { height: auto; border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "cancel", "Cancel")]
    AUTO_FOCUS = "OptionList"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Export results as…", style="bold"))
            yield OptionList(*[Option(Text(label), id=fmt) for fmt, label in EXPORT_FORMATS])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
