"""The run's progress on one line: files, chunks, a bar, elapsed and ETA."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


def clock_text(seconds: float | None) -> str:
    """``0:42``, ``12:05``, ``1:02:03``; ``--:--`` when unknown."""
    if seconds is None:
        return "--:--"
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def bar_text(fraction: float | None, width: int) -> Text:
    width = max(4, width)
    if fraction is None:
        return Text("─" * width, style="dim")
    fraction = min(1.0, max(0.0, fraction))
    filled = int(fraction * width)
    text = Text("━" * filled, style="green" if fraction >= 1.0 else "cyan")
    if filled < width:
        text.append("╺", style="dim")
        text.append("─" * (width - filled - 1), style="dim")
    return text


def _count(done: int, total: int | None) -> str:
    return f"{done:,}/{total:,}" if total is not None else f"{done:,}"


class OverallProgress(Widget):
    """Files and chunks done, a progress bar, elapsed time and ETA."""

    DEFAULT_CSS = """
    OverallProgress {
        height: 1;
        width: 1fr;
        padding: 0 1;
    }
    """

    files_done: reactive[int] = reactive(0)
    """Files read so far."""
    files_total: reactive[int | None] = reactive(None)
    """Files to read, when known."""
    chunks_done: reactive[int] = reactive(0)
    """Chunks the current model has finished."""
    chunks_total: reactive[int | None] = reactive(None)
    """Chunks the current model will see, when known."""
    fraction: reactive[float | None] = reactive(None)
    """Overall progress 0..1 across models; None when unknown."""
    elapsed_s: reactive[float | None] = reactive(None)
    """Seconds since the run started (frozen when it ends)."""
    eta_s: reactive[float | None] = reactive(None)
    """Estimated seconds left; 0 when finished, None when unknown."""
    status: reactive[str] = reactive("waiting")
    """Run status: waiting, running, completed, failed, interrupted."""

    def render(self) -> Text:
        left = Text.assemble(
            ("Files ", "dim"), (_count(self.files_done, self.files_total), "bold"),
            (" │ ", "dim"),
            ("Chunks ", "dim"), (_count(self.chunks_done, self.chunks_total), "bold"),
            " ",
        )
        pct = "" if self.fraction is None else f" {self.fraction * 100:3.0f}%"
        if self.status in ("completed", "failed", "interrupted"):
            eta = "done" if self.status == "completed" else self.status
        else:
            eta = f"ETA {clock_text(self.eta_s)}"
        right = Text.assemble(
            (pct, "bold"), (" │ ", "dim"), ("Elapsed ", "dim"), (clock_text(self.elapsed_s), "bold"),
            (" │ ", "dim"),
            (eta, {"completed": "green", "failed": "red", "interrupted": "yellow"}.get(self.status, "bold")),
        )
        width = self.content_size.width - left.cell_len - right.cell_len
        line = left
        if width >= 4:
            line.append_text(bar_text(self.fraction, width))
        line.append_text(right)
        return line
