"""One model's live panel: name and status, badges, stat grid, token breakdown, a hint.

Display rules (the figures are only shown where they mean something):

* badges appear once the model is loaded (no device badge while loading);
* token figures only for HF and HTTP models; VRAM only for models on a CUDA device;
  Speed only once measured; Load Time once loaded;
* before the first call the counters read 0 (dimmed) with "waiting for first chunk".
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from aegis_cli.telemetry.lines import printable
from aegis_cli.tui.scan_state import ModelView
from aegis_cli.tui.widgets.badges import BadgeRow, badges_for
from aegis_cli.tui.widgets.stat_grid import Stat, StatGrid
from aegis_cli.tui.widgets.token_breakdown import TokenBreakdown

_UNSET = object()
#: the stat grid of an HF model once measuring: Calls, Avg Latency, Findings, Tokens, Speed;
#: then Load Time
TYPICAL_STATS = (5, 1)

STATUS_STYLE = {
    "loading": ("◌ loading", "yellow"),
    "running": ("● running", "cyan"),
    "completed": ("✓ completed", "green"),
    "failed": ("✗ failed", "red"),
}


def _ms(value: float | None) -> str:
    return "N/A" if value is None else f"{value:,.0f} ms"


def primary_stats(m: ModelView) -> tuple[Stat, ...]:
    waiting = m.calls == 0
    avg = m.avg_latency_ms
    stats = [
        Stat("Calls", f"{m.calls:,}", waiting),
        Stat("Avg Latency", "0 ms" if waiting else f"{avg:,.1f} ms", waiting),
        Stat("Findings", f"{m.findings:,}", waiting),
    ]
    if m.shows_tokens:
        mark = "~" if m.tokens_estimated else ""
        stats.append(Stat("Tokens", f"{mark}{m.total_tokens:,}", waiting))
        speed = m.tokens_per_s
        if speed is not None:
            value = f"{speed:,.1f} generated tok/s" if m.basis == "output" else f"{speed:,.1f} tok/s processed"
            stats.append(Stat("Speed", value))
    return tuple(stats)


def secondary_stats(m: ModelView) -> tuple[Stat, ...]:
    stats = []
    if m.on_gpu and m.loaded:
        vram = "N/A" if m.vram_mb is None else f"{m.vram_mb:,.0f} MB"
        if m.peak_vram_mb is not None:
            vram += f" (peak {m.peak_vram_mb:,.0f})"
        stats.append(Stat("VRAM", vram))
    if m.loaded:
        stats.append(Stat("Load Time", _ms(m.load_time_ms)))
    return tuple(stats)


def hint_for(m: ModelView) -> Text | None:
    """A line under the figures: what the model waits for, its chunk progress, or why it failed."""
    if m.status == "loading":
        return Text("loading model…", style="yellow")
    if m.status == "failed":
        return Text(f"error: {printable(m.error or 'unknown')}", style="red")
    if m.status == "running" and m.calls == 0:
        return Text("waiting for first chunk…", style="dim italic")
    if m.status == "running" and m.chunks_total:
        return Text(f"chunk {m.chunks_done:,}/{m.chunks_total:,}", style="dim")
    return None


def subtitle_for(m: ModelView) -> Text | None:
    """The run time once completed (set once: a changing border repaints the whole panel)."""
    if m.status == "completed" and m.elapsed_ms is not None:
        return Text(f"ran {m.elapsed_ms / 1000:,.1f} s")
    return None


class ModelPanel(Vertical):
    """The live panel of one model."""

    DEFAULT_CSS = """
    ModelPanel {
        height: auto;
        border: round $primary 60%;
        border-title-style: bold;
        padding: 0 1;
        margin: 0 0 0 0;
    }
    ModelPanel.-completed { border: round $success; }
    ModelPanel.-failed { border: round $error; }
    ModelPanel.-loading { border: round $warning 70%; }
    ModelPanel.-pending { border: round $primary 30%; }
    ModelPanel > #hint { height: auto; max-height: 2; }
    ModelPanel { border-subtitle-color: $text-muted; }
    """

    class StatusChanged(Message):
        """A model's status moved on (loading → running → completed | failed)."""

        def __init__(self, model_id: str, status: str) -> None:
            super().__init__()
            self.model_id = model_id
            self.status = status

    model: reactive[ModelView | None] = reactive(None)
    """The latest view of the model; every change redraws the panel once."""

    def __init__(self, model_id: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.model_id = model_id
        self._status: str | None = None
        self._shown: dict[str, object] = {}
        self._reserving = False

    def compose(self) -> ComposeResult:
        yield BadgeRow(id="badges")
        yield StatGrid(id="stats")
        yield TokenBreakdown(id="tokens")
        yield Static(id="hint")

    def watch_model(self, m: ModelView | None) -> None:
        if m is None or not self.is_mounted:
            return
        self._show(m)

    def on_mount(self) -> None:
        if self.model is not None:
            self._show(self.model)
        else:  # built ahead of the scan (the dashboard's first panel): no figures yet
            self.border_title = Text("waiting for the first model to load", style="dim")
            # room for a typical model's figures, so the first ones repaint this panel
            # instead of moving everything below it
            self.query_one("#stats", StatGrid).reserve = TYPICAL_STATS
            self._reserving = True

    def _set_once(self, key: str, value: object, apply) -> None:
        """Apply ``value`` only when it changed: every assignment repaints (some re-lay out)."""
        if self._shown.get(key, _UNSET) != value:
            self._shown[key] = value
            apply(value)

    def _show(self, m: ModelView) -> None:
        try:
            badges = self.query_one("#badges", BadgeRow)
        except NoMatches:  # children not mounted yet: draw once they are (a removed panel draws nothing)
            if self.is_attached:
                self.call_after_refresh(lambda: self.model is not None and self.is_attached and self._show(self.model))
            return
        label, style = STATUS_STYLE.get(m.status, (m.status, ""))
        self._set_once("title", (m.name, m.status), lambda _: setattr(
            self, "border_title", Text.assemble((printable(m.name), "bold"), "  ", (label, style))))
        subtitle = subtitle_for(m)
        self._set_once("subtitle", subtitle.plain if subtitle else None,
                       lambda _: setattr(self, "border_subtitle", subtitle))
        if m.status != self._status:
            if self._status is not None:
                self.remove_class(f"-{self._status}")
            self.add_class(f"-{m.status}")
            self._status = m.status
            self.post_message(self.StatusChanged(m.model_id, m.status))
        # the device is only known (read from the model) once it has loaded
        badges.badges = badges_for(m.device, m.provider, m.precision, m.quantization) if m.loaded else ()
        stats = self.query_one("#stats", StatGrid)
        # the room kept for the figures stays until they have all come (the first call)
        self._reserving = self._reserving and m.calls == 0 and m.status in ("loading", "running")
        stats.reserve = TYPICAL_STATS if self._reserving else ()
        stats.groups = tuple(
            group for group in (primary_stats(m), secondary_stats(m)) if group)
        tokens = self.query_one("#tokens", TokenBreakdown)
        if tokens.display != m.shows_tokens:  # assigning display lays out the screen, even unchanged
            tokens.display = m.shows_tokens
        tokens.input_tokens, tokens.output_tokens, tokens.estimated = (
            m.input_tokens, m.output_tokens, m.tokens_estimated)
        hint = self.query_one("#hint", Static)
        text = hint_for(m)

        def show_hint(_: object) -> None:
            shown = text is not None
            # a new line of the same height repaints just that line; showing or hiding it
            # (or a wrapped error) changes the panel's height, and only then a layout is needed
            relayout = shown != hint.display or m.status == "failed"
            if shown != hint.display:
                hint.display = shown
            hint.update(text or "", layout=relayout)

        self._set_once("hint", text.plain if text else None, show_hint)
