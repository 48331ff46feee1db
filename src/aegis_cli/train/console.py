"""Headless training output: one line per log step, plus the run's notices, from the event bus.

    step    10/300  loss 6.2134  lr 2.00e-04  samples/s 123.4  tok/s 4,567  VRAM N/A  power N/A
    [WARNING] training loss is nan at step 40 (reported, not hidden)

The same lines are what a recorded ``--telemetry-log`` replays into. Plain text only:
notices are escaped by telemetry.lines and never interpreted as Rich markup.
"""

from __future__ import annotations

import math
from typing import IO, Any

from aegis_cli.telemetry.bus import Sink
from aegis_cli.telemetry.events import Event, LogMessage, RunFinished, RunStarted, TrainStep

_STYLES = {"[INFO]": "cyan", "[SUCCESS]": "green", "[ERROR]": "red", "[WARNING]": "yellow"}


def _na(value: float | None, fmt: str) -> str:
    if value is None:
        return "N/A"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return fmt.format(value)


def step_line(event: TrainStep) -> str:
    width = len(str(event.max_steps)) if event.max_steps else 1
    of = f"/{event.max_steps}" if event.max_steps else ""
    parts = [
        f"step {event.step:>{max(width, 4)}}{of}",
        f"loss {_na(event.loss, '{:.4f}')}",
        f"lr {_na(event.learning_rate, '{:.2e}')}",
        f"samples/s {_na(event.samples_per_s, '{:,.1f}')}",
    ]
    if event.tokens_per_s is not None:
        parts.append(f"tok/s {event.tokens_per_s:,.0f}")
    parts.append(f"VRAM {_na(event.peak_vram_mb, '{:,.0f} MB')}")
    parts.append(f"power {_na(event.power_w, '{:,.0f} W')}")
    return "  ".join(parts)


class TrainConsoleSink(Sink):
    """Prints step lines and notices (stdout by default). Lossless: every step line is printed."""

    name = "train-console"
    lossless = True

    def __init__(self, file: IO[str] | None = None, *, console: Any = None):
        from rich.console import Console

        from aegis_cli.telemetry.lines import EventLineFormatter

        self.console = console or Console(file=file, highlight=False, soft_wrap=True)
        self.formatter = EventLineFormatter()
        self.lines = 0
        self.finished = False  # a RunFinished line was printed (the run's outcome is on screen)

    def handle(self, event: Event) -> None:
        line: str | None
        if isinstance(event, TrainStep):
            line = step_line(event)
        elif isinstance(event, (LogMessage, RunStarted, RunFinished)):
            line = self.formatter.format(event)
            if isinstance(event, RunFinished) and line is not None:
                self.finished = True
        else:
            return
        if line is None:
            return
        self._print(line)

    def _print(self, line: str) -> None:
        from rich.text import Text

        text = Text(line)  # never markup: messages can carry model or file text
        for tag, style in _STYLES.items():
            if line.startswith(tag):
                text.stylize(style, 0, len(tag))
                break
        self.console.print(text)
        self.lines += 1

    def flush(self) -> None:
        try:
            self.console.file.flush()
        except Exception:
            pass
