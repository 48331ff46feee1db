"""What the scan dashboard shows, folded from events; and the sink that feeds it.

The sink is lossless and cheap: ``handle`` only updates a :class:`ScanState` under a
lock, so no event is dropped (a ModelCompleted always lands) and the job never waits.
The app reads a :class:`ScanSnapshot` at most ~10 times a second and redraws once —
coalescing of state, not dropping of events: the latest state always wins.

This module imports neither textual nor torch (the state is tested on its own).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aegis_cli.telemetry.bus import Sink
from aegis_cli.telemetry.events import (
    Event,
    FileSkipped,
    FindingFound,
    HardwareSample,
    ModelCall,
    ModelCompleted,
    ModelFailed,
    ModelLoading,
    ModelStarted,
    RunFinished,
    RunStarted,
    ScanProgress,
)
from aegis_cli.telemetry.lines import EventLineFormatter

#: the most log lines kept for the event log (older ones scroll away)
MAX_LOG_LINES = 1000
_NO_LINE_EVENTS = (ModelCall, ScanProgress, FindingFound, HardwareSample)


@dataclass
class ModelView:
    """One model as the panel shows it. Unknown figures are None; counters start at 0."""

    model_id: str
    name: str
    provider: str | None = None  # "hf" | "http" | "builtin" | None while loading
    status: str = "loading"  # loading | running | completed | failed
    device: str | None = None
    vram_mb: float | None = None
    peak_vram_mb: float | None = None
    load_time_ms: float | None = None
    quantization: str | None = None
    precision: str | None = None
    calls: int = 0
    latency_ms_total: float = 0.0
    avg_latency_ms_final: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    tokens_estimated: bool = False
    findings: int = 0
    tokens_per_s_final: float | None = None
    speed_basis: str | None = None  # "processed" | "output"; None until known
    chunks_done: int = 0
    chunks_total: int | None = None
    elapsed_ms: float | None = None
    error: str | None = None

    @property
    def loaded(self) -> bool:
        return self.status != "loading" and (self.status != "failed" or self.load_time_ms is not None)

    @property
    def avg_latency_ms(self) -> float:
        """Average latency per call; 0 before the first call (the panel reads 0, not N/A)."""
        if self.avg_latency_ms_final is not None:
            return self.avg_latency_ms_final
        return self.latency_ms_total / self.calls if self.calls else 0.0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def basis(self) -> str:
        """What speed measures: generated tokens ("output") or processed tokens ("processed")."""
        if self.speed_basis:
            return self.speed_basis
        return "output" if self.output_tokens else "processed"

    @property
    def tokens_per_s(self) -> float | None:
        """The final figure once completed; until then tokens / summed call latency. None = not measured."""
        if self.tokens_per_s_final is not None:
            return self.tokens_per_s_final
        if self.status == "completed":
            return None  # the pipeline said it could not measure it
        tokens = self.output_tokens if self.basis == "output" else self.total_tokens
        if not self.calls or self.latency_ms_total <= 0 or not tokens:
            return None
        return tokens / (self.latency_ms_total / 1000.0)

    @property
    def shows_tokens(self) -> bool:
        """Token figures apply to HF and HTTP models (unknown provider while loading: assume they do)."""
        return self.provider in (None, "hf", "http")

    @property
    def on_gpu(self) -> bool:
        return bool(self.device) and str(self.device).startswith("cuda")


@dataclass
class Progress:
    files_done: int = 0
    files_total: int | None = None
    chunks_done: int = 0
    chunks_total: int | None = None
    current_model: str | None = None


@dataclass
class ScanSnapshot:
    """A consistent copy of the state for one redraw."""

    version: int
    title: str | None
    status: str  # waiting | running | completed | failed | interrupted
    started_ts: float | None
    finished_ts: float | None
    progress: Progress
    models: list[ModelView]
    hardware: HardwareSample | None
    new_lines: list[str]
    log_seq: int
    new_findings: list[dict[str, Any]]
    findings_seen: int
    skipped: int
    fraction: float | None  # overall progress 0..1, None when unknown


class ScanState:
    """Thread-safe fold of scan events. Writers: the sink thread. Reader: the app's timer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.version = 0
        self.title: str | None = None
        self.status = "waiting"
        self.started_ts: float | None = None
        self.finished_ts: float | None = None
        self.progress = Progress()
        self.models: dict[str, ModelView] = {}
        self.hardware: HardwareSample | None = None
        self.lines: deque[str] = deque(maxlen=MAX_LOG_LINES)
        self.log_seq = 0  # lines ever added
        self.findings: list[dict[str, Any]] = []
        self.skipped = 0
        self.models_planned = 0  # from RunStarted meta["models"], for the overall fraction
        self.formatter = EventLineFormatter()
        self._names_by_label: dict[str, str] = {}  # name or id → model_id, to count findings
        self._dispatch: dict[type, Callable[[Any], None]] = {
            RunStarted: self._run_started,
            RunFinished: self._run_finished,
            ModelLoading: self._model_loading,
            ModelStarted: self._model_started,
            ModelCall: self._model_call,
            ModelCompleted: self._model_completed,
            ModelFailed: self._model_failed,
            FindingFound: self._finding,
            FileSkipped: self._skipped,
            ScanProgress: self._progress,
            HardwareSample: self._hardware,
        }

    # ------------------------------------------------------------------ writers

    def apply(self, event: Event) -> None:
        with self._lock:
            if self.started_ts is None:
                self.started_ts = event.ts
            handler = self._dispatch.get(type(event))
            if handler is not None:
                handler(event)
            if not isinstance(event, _NO_LINE_EVENTS):  # calls, progress, findings, samples: no line (fast path)
                line = self.formatter.format(event)
                if line is not None:
                    self.lines.append(line)
                    self.log_seq += 1
            self.version += 1

    def add_line(self, line: str) -> None:
        with self._lock:
            self.lines.append(line)
            self.log_seq += 1
            self.version += 1

    def finish(self, status: str, ts: float) -> None:
        """The job returned (or raised): stop the clock unless a RunFinished already did."""
        with self._lock:
            if self.finished_ts is None:
                self.finished_ts = ts
            if self.status in ("waiting", "running"):
                self.status = status
            for m in self.models.values():
                if m.status in ("loading", "running") and status != "completed":
                    m.status = "failed"
            self.version += 1

    def _model(self, model_id: str, name: str | None = None) -> ModelView:
        m = self.models.get(model_id)
        if m is None:
            m = self.models[model_id] = ModelView(model_id=model_id, name=name or model_id)
            self._names_by_label[model_id] = model_id
        if name:
            m.name = name
            self._names_by_label[name] = model_id
        return m

    def _run_started(self, e: RunStarted) -> None:
        self.started_ts = e.ts
        self.status = "running"
        meta = e.meta if isinstance(e.meta, dict) else {}
        if meta.get("target"):
            self.title = str(meta["target"])
        if isinstance(meta.get("models"), list):
            self.models_planned = len(meta["models"])
        total = meta.get("files_total")
        if isinstance(total, int):
            self.progress.files_total = total

    def _run_finished(self, e: RunFinished) -> None:
        self.finished_ts = e.ts
        self.status = e.status

    def _model_loading(self, e: ModelLoading) -> None:
        m = self._model(e.model_id, e.name)
        m.status = "loading"
        if e.provider:
            m.provider = e.provider
        self.progress.current_model = e.model_id
        if self.status == "waiting":
            self.status = "running"

    def _model_started(self, e: ModelStarted) -> None:
        m = self._model(e.model_id, e.name)
        if m.status == "loading":
            m.status = "running"
        m.provider, m.device, m.vram_mb = e.provider, e.device, e.vram_mb
        m.load_time_ms, m.quantization, m.precision = e.load_time_ms, e.quantization, e.precision
        self.progress.current_model = e.model_id

    def _model_call(self, e: ModelCall) -> None:
        m = self._model(e.model_id)
        if m.status == "loading":
            m.status = "running"
        m.calls += 1
        m.latency_ms_total += e.latency_ms
        m.input_tokens += e.input_tokens
        m.output_tokens += e.output_tokens
        m.tokens_estimated |= e.tokens_estimated
        if e.peak_vram_mb is not None:
            m.peak_vram_mb = max(m.peak_vram_mb or 0.0, e.peak_vram_mb)

    def _model_completed(self, e: ModelCompleted) -> None:
        m = self._model(e.model_id, e.name)
        m.status = "completed"
        # the pipeline's totals are the truth; they replace the running figures
        m.calls, m.findings = e.calls, e.findings
        m.avg_latency_ms_final = e.avg_latency_ms
        if e.avg_latency_ms is not None:
            m.latency_ms_total = e.avg_latency_ms * e.calls
        m.input_tokens, m.output_tokens = e.input_tokens, e.output_tokens
        m.tokens_per_s_final, m.speed_basis = e.tokens_per_s, e.speed_basis
        m.tokens_estimated = e.tokens_estimated
        m.elapsed_ms = e.elapsed_ms
        if e.peak_vram_mb is not None:
            m.peak_vram_mb = e.peak_vram_mb
        if m.chunks_total is not None:
            m.chunks_done = m.chunks_total

    def _model_failed(self, e: ModelFailed) -> None:
        m = self._model(e.model_id, e.name)
        m.status = "failed"
        m.error = e.error

    def _finding(self, e: FindingFound) -> None:
        self.findings.append(e.finding)
        for label in e.finding.get("models") or ():
            model_id = self._names_by_label.get(str(label))
            if model_id is not None and self.models[model_id].status != "completed":
                self.models[model_id].findings += 1

    def _skipped(self, e: FileSkipped) -> None:
        self.skipped += 1

    def _progress(self, e: ScanProgress) -> None:
        p = self.progress
        if e.unit == "files":
            p.files_done = e.done
            if e.total is not None:
                p.files_total = e.total
        else:
            p.chunks_done, p.chunks_total = e.done, e.total
            if e.model_id is not None:
                m = self._model(e.model_id)
                m.chunks_done, m.chunks_total = e.done, e.total
                p.current_model = e.model_id

    def _hardware(self, e: HardwareSample) -> None:
        self.hardware = e

    # ------------------------------------------------------------------- reader

    def _fraction(self) -> float | None:
        models = list(self.models.values())
        if self.status in ("completed", "failed", "interrupted"):
            return 1.0
        if not models:
            p = self.progress
            return p.files_done / p.files_total if p.files_total else None
        done = 0.0
        for m in models:
            if m.status in ("completed", "failed"):
                done += 1.0
            elif m.chunks_total:
                done += min(1.0, m.chunks_done / m.chunks_total)
            elif self.progress.files_total and m.model_id == self.progress.current_model:
                done += min(1.0, self.progress.files_done / self.progress.files_total)
        planned = max(len(models), self.models_planned)
        return done / planned if planned else None

    def _progress_copy(self) -> Progress:
        """Chunks summed over the models that reported chunk progress (each model chunks the
        files with its own tokenizer, so a run's chunk work is the sum)."""
        p = dataclasses.replace(self.progress)
        counted = [m for m in self.models.values() if m.chunks_total is not None or m.chunks_done]
        if counted:
            p.chunks_done = sum(m.chunks_done for m in counted)
            totals = [m.chunks_total for m in counted]
            p.chunks_total = None if None in totals else sum(t for t in totals if t is not None)
        return p

    def snapshot(self, log_seq: int, findings_seen: int) -> ScanSnapshot:
        """A copy for one redraw: lines after ``log_seq`` and findings after ``findings_seen``."""
        with self._lock:
            new_count = min(self.log_seq - log_seq, len(self.lines))
            new_lines = list(self.lines)[len(self.lines) - new_count:] if new_count > 0 else []
            return ScanSnapshot(
                version=self.version,
                title=self.title,
                status=self.status,
                started_ts=self.started_ts,
                finished_ts=self.finished_ts,
                progress=self._progress_copy(),
                models=[dataclasses.replace(m) for m in self.models.values()],
                hardware=self.hardware,
                new_lines=new_lines,
                log_seq=self.log_seq,
                new_findings=self.findings[findings_seen:],
                findings_seen=len(self.findings),
                skipped=self.skipped,
                fraction=self._fraction(),
            )


class DashboardSink(Sink):
    """Feeds a :class:`ScanState`. Lossless: ``handle`` is a few dict updates under a lock."""

    name = "dashboard"
    lossless = True

    def __init__(self, state: ScanState | None = None) -> None:
        self.state = state or ScanState()

    def handle(self, event: Event) -> None:
        self.state.apply(event)


def elapsed_s(snapshot: ScanSnapshot, now: float) -> float | None:
    """Seconds since the run started, frozen once it finished."""
    if snapshot.started_ts is None:
        return None
    end = snapshot.finished_ts if snapshot.finished_ts is not None else now
    return max(0.0, end - snapshot.started_ts)


def eta_s(snapshot: ScanSnapshot, now: float) -> float | None:
    """Remaining seconds from the overall fraction; 0 when finished, None when unknown."""
    if snapshot.finished_ts is not None:
        return 0.0
    elapsed = elapsed_s(snapshot, now)
    f = snapshot.fraction
    if elapsed is None or f is None or f <= 0.0 or elapsed < 0.5:
        return None
    return elapsed * (1.0 - f) / f


def monotonic() -> float:
    return time.monotonic()


__all__ = [
    "DashboardSink",
    "ModelView",
    "Progress",
    "ScanSnapshot",
    "ScanState",
    "elapsed_s",
    "eta_s",
]
