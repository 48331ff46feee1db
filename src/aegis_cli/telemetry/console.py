"""The plain console sink: the event lines and a progress bar, on stderr.

stdout stays clean for results (``--format json | jq`` works); the lines are the same
ones the dashboard's event log shows (both use telemetry.lines).
"""

from __future__ import annotations

from typing import Any

from aegis_cli.telemetry.bus import Sink
from aegis_cli.telemetry.events import (
    Event,
    FileSkipped,
    LogMessage,
    ModelCompleted,
    ModelFailed,
    ModelLoading,
    ModelStarted,
    RunFinished,
    ScanProgress,
)

_STYLES = {"[INFO]": "cyan", "[SUCCESS]": "green", "[ERROR]": "red", "[WARNING]": "yellow", "[SKIP]": "dim"}


class ConsoleSink(Sink):
    """Prints event lines; shows a transient progress bar when stderr is a terminal."""

    name = "console"
    lossless = True

    def __init__(self, console: Any = None, *, show_skips: bool = False, progress: bool = True,
                 verbose: bool = False):
        from rich.console import Console

        from aegis_cli.telemetry.lines import EventLineFormatter

        self.console = console or Console(stderr=True, highlight=False, soft_wrap=True)
        self.formatter = EventLineFormatter()
        self.show_skips = show_skips
        self.verbose = verbose
        self.skipped = 0
        self._progress = None
        self._tasks: dict[str, Any] = {}
        if progress and self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), console=self.console, transient=True)
            self._progress.start()

    def _print(self, line: str) -> None:
        from rich.text import Text

        style = next((s for tag, s in _STYLES.items() if line.startswith(tag)), None)
        text = Text(line)  # never markup: names and messages come from models and files
        if style:
            tag_end = line.find("]") + 1
            text.stylize(style, 0, tag_end)
        self.console.print(text)

    def handle(self, event: Event) -> None:
        line = self.formatter.format(event)
        if isinstance(event, FileSkipped):
            self.skipped += 1
            if not self.show_skips:
                line = None
        elif isinstance(event, LogMessage) and event.level == "debug" and not self.verbose:
            line = None
        if line:
            self._print(line)
        if self._progress is not None:
            self._update_progress(event)

    def _update_progress(self, event: Event) -> None:
        p = self._progress
        assert p is not None
        if isinstance(event, ScanProgress):
            key = f"{event.unit}:{event.model_id or ''}"
            task = self._tasks.get(key)
            label = "files" if event.unit == "files" else f"chunks {self.formatter.name_of(event.model_id)}"
            if task is None:
                task = self._tasks[key] = p.add_task(label, total=event.total)
            p.update(task, completed=event.done, total=event.total)
        elif isinstance(event, (ModelCompleted, ModelFailed)):
            for key in [k for k in self._tasks if k.startswith("chunks:") and k.endswith(event.model_id)]:
                p.remove_task(self._tasks.pop(key))
        elif isinstance(event, (ModelLoading, ModelStarted)):
            pass
        elif isinstance(event, RunFinished):
            self._stop_progress()

    def _stop_progress(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def close(self) -> None:
        self._stop_progress()
        if self.skipped and not self.show_skips:
            self._print(f"[INFO] {self.skipped} files skipped (reasons in the report; --show-skips lists them)")
