"""The event lines people read: one formatter for the plain console and the dashboard log.

Both outputs call :class:`EventLineFormatter`, so a line in ``--no-tui`` output and the
same line in the dashboard's event log are identical by construction::

    [INFO] Model started: codebert-base on cuda:0 (2048MB VRAM, loaded in 3421ms)
    [INFO] Model started: codebert-base on cpu (loaded in 3421ms)
    [SUCCESS] Model completed: codebert-base (1234ms, 12 findings, 45234 tokens, 125.3 tok/s)
    [ERROR] Model failed: codebert-base (out of memory)

Lines are plain text: control characters in names, paths and reasons are escaped here,
but Rich markup is *not* — whoever renders a line must do it as plain text
(``rich.text.Text(line)``, ``console.print(line, markup=False)``).

This module imports neither torch nor textual.
"""

from __future__ import annotations

from aegis_cli.telemetry.events import (
    Event,
    FileSkipped,
    LogMessage,
    ModelCompleted,
    ModelFailed,
    ModelLoading,
    ModelStarted,
    RunFinished,
    RunStarted,
)

#: the tag at the start of a line → its level (for colouring)
TAGS: dict[str, str] = {
    "[INFO]": "info",
    "[SUCCESS]": "success",
    "[WARNING]": "warning",
    "[ERROR]": "error",
    "[SKIP]": "skip",
    "[DEBUG]": "debug",
}


def escape_controls(text: str) -> str:
    """Every non-printable character (ANSI escapes, NUL, bidi overrides) as ``\\xNN``/``\\uNNNN``;
    spacing and indentation are kept. For code shown to people."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


def printable(text: object) -> str:
    """``text`` on one line: line breaks and tabs become spaces, other control characters are escaped."""
    s = str(text)
    if s.isprintable():
        return s
    for ch in "\r\n\t":
        s = s.replace(ch, " ")
    return escape_controls(s).strip()


def line_level(line: str) -> str:
    """The level of a formatted line ("info", "success", …), from its tag."""
    tag, _, _ = line.partition(" ")
    return TAGS.get(tag, "info")


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}ms"


def _device(device: str | None, provider: str | None) -> str:
    if device:
        return device
    return "remote" if provider == "http" else "unknown device"


def model_started_line(event: ModelStarted) -> str:
    details = []
    is_gpu = bool(event.device) and not str(event.device).startswith(("cpu", "mps"))
    if is_gpu and event.vram_mb is not None:
        details.append(f"{event.vram_mb:.0f}MB VRAM")
    if event.load_time_ms is not None:
        details.append(f"loaded in {_ms(event.load_time_ms)}")
    text = f"[INFO] Model started: {printable(event.name)} on {printable(_device(event.device, event.provider))}"
    return f"{text} ({', '.join(details)})" if details else text


def model_completed_line(event: ModelCompleted, name: str) -> str:
    elapsed = event.elapsed_ms
    if elapsed is None and event.avg_latency_ms is not None:
        elapsed = event.calls * event.avg_latency_ms
    tokens = f"{'~' if event.tokens_estimated else ''}{event.total_tokens} tokens"
    speed = "n/a tok/s" if event.tokens_per_s is None else f"{event.tokens_per_s:.1f} tok/s"
    return (
        f"[SUCCESS] Model completed: {printable(name)} "
        f"({_ms(elapsed)}, {event.findings} findings, {tokens}, {speed})"
    )


class EventLineFormatter:
    """Turns events into lines; remembers model names (events after ModelStarted carry only ids).

    ``format`` returns None for events that have no line (calls, progress, findings,
    hardware samples). Not thread-safe: use one per sink.
    """

    def __init__(self, names: dict[str, str] | None = None) -> None:
        self.names: dict[str, str] = dict(names or {})
        self.run_kind = "run"

    def name_of(self, model_id: str | None, fallback: str | None = None) -> str:
        """The display name of a model (the id until its name is known)."""
        if fallback:
            return fallback
        if model_id is None:
            return ""
        return self.names.get(model_id) or model_id

    def format(self, event: Event) -> str | None:
        if isinstance(event, ModelLoading):
            if event.name:
                self.names.setdefault(event.model_id, event.name)
            return None
        if isinstance(event, ModelStarted):
            self.names[event.model_id] = event.name
            return model_started_line(event)
        if isinstance(event, ModelCompleted):
            return model_completed_line(event, self.name_of(event.model_id, event.name))
        if isinstance(event, ModelFailed):
            name = printable(self.name_of(event.model_id, event.name))
            return f"[ERROR] Model failed: {name} ({printable(event.error)})"
        if isinstance(event, FileSkipped):
            return f"[SKIP] {printable(event.path)}: {printable(event.reason)}"
        if isinstance(event, LogMessage):
            if event.level == "debug":
                return None
            return f"[{event.level.upper()}] {printable(event.text)}"
        if isinstance(event, RunStarted):
            self.run_kind = event.kind
            target = event.meta.get("target") if isinstance(event.meta, dict) else None
            text = f"[INFO] {self.run_kind.capitalize()} started"
            return f"{text}: {printable(target)}" if target else text
        if isinstance(event, RunFinished):
            kind = self.run_kind.capitalize()
            took = f" in {event.duration_s:.1f}s" if event.duration_s is not None else ""
            if event.status == "completed":
                return f"[SUCCESS] {kind} completed{took}"
            if event.status == "interrupted":
                return f"[WARNING] {kind} interrupted{took}"
            reason = f": {printable(event.error)}" if event.error else ""
            return f"[ERROR] {kind} failed{reason}"
        return None


def format_event_line(event: Event, names: dict[str, str] | None = None) -> str | None:
    """Stateless form: ``names`` maps model ids to display names (updated from ModelStarted)."""
    formatter = EventLineFormatter(names)
    line = formatter.format(event)
    if names is not None:
        names.update(formatter.names)
    return line
