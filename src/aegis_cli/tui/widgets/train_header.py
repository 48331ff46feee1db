"""The training dashboard's header: what is training where, how far along, and its status.

    aegis-smoke · builtin:tiny-causal-lm  [CPU] [FP32]                         ● training
    Step 120/200 ━━━━━━━━━━━━━━━━━━━━━━╺────────────  60% │ Epoch 4.33 │ Elapsed 0:21 │ ETA 0:14

Badges are the scan dashboard's (device, precision, quantization, read from the loaded
model); they appear once the run has started. Names are shown as plain text.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from aegis_cli.telemetry.lines import printable
from aegis_cli.tui.widgets.badges import DeviceBadge, PrecisionBadge, QuantBadge
from aegis_cli.tui.widgets.overall_progress import bar_text, clock_text

STATUS = {
    "waiting": ("◌ loading the model", "yellow"),
    "running": ("● training", "cyan"),
    "stopping": ("■ stopping after this step…", "bold yellow"),
    "completed": ("✓ completed", "bold green"),
    "failed": ("✗ failed", "bold red"),
    "interrupted": ("■ interrupted", "bold yellow"),
}


def status_text(status: str) -> Text:
    label, style = STATUS.get(status, (status, ""))
    return Text(label, style=style)


class StepProgress(Widget):
    """Step / max steps with a bar, epoch, elapsed time and ETA on one line."""

    DEFAULT_CSS = """
    StepProgress { height: 1; width: 1fr; }
    """

    step: reactive[int] = reactive(0)
    """The last logged optimizer step."""
    max_steps: reactive[int | None] = reactive(None)
    """Steps the run will take; None when unknown."""
    epoch: reactive[float | None] = reactive(None)
    """Epoch at the last logged step (fractional)."""
    elapsed_s: reactive[float | None] = reactive(None)
    """Seconds since this run segment started (frozen when it ends)."""
    eta_s: reactive[float | None] = reactive(None)
    """Seconds left; 0 when finished, None when unknown."""
    status: reactive[str] = reactive("waiting")
    """waiting, running, stopping, completed, failed or interrupted."""

    def render(self) -> Text:
        of = f"/{self.max_steps:,}" if self.max_steps else ""
        left = Text.assemble(("Step ", "dim"), (f"{self.step:,}{of}", "bold"), " ")
        fraction = min(1.0, self.step / self.max_steps) if self.max_steps else None
        pct = "" if fraction is None else f" {fraction * 100:3.0f}%"
        epoch = "N/A" if self.epoch is None else f"{self.epoch:.2f}"
        if self.status in ("completed", "failed", "interrupted"):
            eta, eta_style = ("done", "green") if self.status == "completed" else (self.status, "yellow")
        else:
            eta, eta_style = f"ETA {clock_text(self.eta_s)}", "bold"
        right = Text.assemble(
            (pct, "bold"), (" │ ", "dim"), ("Epoch ", "dim"), (epoch, "bold"),
            (" │ ", "dim"), ("Elapsed ", "dim"), (clock_text(self.elapsed_s), "bold"),
            (" │ ", "dim"), (eta, eta_style),
        )
        room = self.content_size.width - left.cell_len - right.cell_len
        line = left
        if room >= 4:
            line.append_text(bar_text(fraction, room))
        line.append_text(right)
        line.no_wrap = True
        line.overflow = "ellipsis"
        return line


class TrainHeader(Vertical):
    """Project, model, badges and status; then the step progress line."""

    DEFAULT_CSS = """
    TrainHeader { height: 2; padding: 0 1; }
    TrainHeader > Horizontal { height: 1; }
    TrainHeader #train-title { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    TrainHeader #train-status { width: auto; margin-left: 1; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(id="train-title", markup=False)
            yield DeviceBadge()
            yield PrecisionBadge()
            yield QuantBadge()
            yield Static(status_text("waiting"), id="train-status")
        yield StepProgress()

    def on_mount(self) -> None:
        self._title = self.query_one("#train-title", Static)
        self._status = self.query_one("#train-status", Static)
        self.progress = self.query_one(StepProgress)
        self._shown: tuple | None = None

    def show_run(self, *, title: str, project: str | None, model: str | None, device: str | None,
                 precision: str | None, quantization: str | None, status: str) -> None:
        """Update the first line (only when something on it changed: Static.update re-lays out)."""
        key = (title, project, model, device, precision, quantization, status)
        if key == self._shown:
            return
        self._shown = key
        text = Text(printable(project or title), style="bold")
        if model:
            text.append(" · ", style="dim")
            text.append(printable(model))
        self._title.update(text)
        self.query_one(DeviceBadge).device = device
        self.query_one(PrecisionBadge).precision = precision
        self.query_one(QuantBadge).quantization = quantization
        self._status.update(status_text(status))
