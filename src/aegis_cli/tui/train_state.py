"""What the training dashboard shows, folded from events; and the sink that feeds it.

Same shape as the scan dashboard's state: the sink is lossless and cheap (``handle``
updates a :class:`TrainState` under a lock, so no step is ever lost and the training
thread never waits), and the app reads a :class:`TrainSnapshot` a few times a second.

Per logged step the state keeps the columns the report's charts use, under history.json's
names (``step``, ``loss``, ``lr``, ``vram_peak_mb``, ``samples_per_s``, ``tokens_per_s``,
``power_min_w`` / ``power_mean_w`` / ``power_max_w``, ``util_pct``, ``temp_max_c``), so
:func:`aegis_cli.report.plots.panels_from_columns` draws the live view and ``aegis report
show`` alike. The GPU columns are the hardware samples that arrived since the previous
logged step (power summed over the job's GPUs, utilisation averaged, temperature maxed);
when none arrived in that interval, the latest sample if it is recent.

This module imports neither textual nor torch.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from aegis_cli.telemetry.bus import Sink
from aegis_cli.telemetry.events import Event, HardwareSample, LogMessage, RunFinished, RunStarted, TrainStep
from aegis_cli.telemetry.lines import EventLineFormatter

MAX_LOG_LINES = 1000
#: a hardware sample older than this is not used for a step interval that had none
SAMPLE_FRESH_S = 5.0
COLUMNS = ("step", "epoch", "loss", "lr", "grad_norm", "samples_per_s", "tokens_per_s", "vram_peak_mb",
           "power_min_w", "power_mean_w", "power_max_w", "util_pct", "temp_max_c")
FINISHED = ("completed", "failed", "interrupted")


@dataclass
class TrainSnapshot:
    """A consistent view for one redraw. ``columns`` are shared, append-only lists: read ``[:n_steps]``."""

    version: int
    steps_version: int  # changes only when a logged step arrives (the charts' cue)
    status: str  # waiting | running | stopping | completed | failed | interrupted
    project: str | None
    model: str | None
    device: str | None
    precision: str | None
    quantization: str | None
    step: int
    max_steps: int | None
    epoch: float | None
    start_step: int
    started_ts: float | None
    finished_ts: float | None
    last_step_ts: float | None
    hardware: HardwareSample | None
    has_gpu: bool | None
    n_steps: int
    columns: dict[str, list[Any]]
    new_lines: list[str]
    log_seq: int
    error: str | None
    report_dir: str | None

    def column(self, name: str) -> list[Any]:
        return self.columns[name][: self.n_steps]

    def latest(self, name: str) -> Any:
        return self.columns[name][self.n_steps - 1] if self.n_steps else None


class _Interval:
    """Hardware samples between two logged steps."""

    __slots__ = ("n", "power_max", "power_min", "power_n", "power_sum", "temp_max", "util_n", "util_sum")

    def __init__(self) -> None:
        self.n = 0
        self.power_min = self.power_max = self.temp_max = None
        self.power_sum = self.util_sum = 0.0
        self.power_n = self.util_n = 0

    def add(self, sample: HardwareSample) -> None:
        self.n += 1
        powers = [g.power_w for g in sample.gpus if g.power_w is not None]
        if powers:
            p = sum(powers)  # the job's power: every GPU it uses
            self.power_min = p if self.power_min is None else min(self.power_min, p)
            self.power_max = p if self.power_max is None else max(self.power_max, p)
            self.power_sum += p
            self.power_n += 1
        utils = [g.util_pct for g in sample.gpus if g.util_pct is not None]
        if utils:
            self.util_sum += sum(utils) / len(utils)
            self.util_n += 1
        temps = [g.temp_c for g in sample.gpus if g.temp_c is not None]
        if temps:
            t = max(temps)
            self.temp_max = t if self.temp_max is None else max(self.temp_max, t)

    def figures(self) -> tuple[Any, Any, Any, Any, Any]:
        """power min, mean, max, util mean, temp max (None where unknown)."""
        mean = self.power_sum / self.power_n if self.power_n else None
        util = self.util_sum / self.util_n if self.util_n else None
        return self.power_min, mean, self.power_max, util, self.temp_max


class TrainState:
    """Thread-safe fold of training events. Writer: the sink thread. Readers: the app's timer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.version = 0
        self.steps_version = 0
        self.status = "waiting"
        self.project: str | None = None
        self.model: str | None = None
        self.device: str | None = None
        self.precision: str | None = None
        self.quantization: str | None = None
        self.step = 0
        self.start_step = 0
        self.max_steps: int | None = None
        self.epoch: float | None = None
        self.started_ts: float | None = None
        self.finished_ts: float | None = None
        self.last_step_ts: float | None = None
        self.hardware: HardwareSample | None = None
        self.has_gpu: bool | None = None
        self.error: str | None = None
        self.report_dir: str | None = None
        self.columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
        self.n_steps = 0
        self.lines: deque[str] = deque(maxlen=MAX_LOG_LINES)
        self.log_seq = 0
        self.formatter = EventLineFormatter()
        self._interval = _Interval()

    # ------------------------------------------------------------------ writers

    def apply(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, HardwareSample):
                self._hardware(event)
            elif isinstance(event, TrainStep):
                self._train_step(event)
            elif isinstance(event, RunStarted):
                self._run_started(event)
            elif isinstance(event, RunFinished):
                self.status = event.status
                self.error = event.error
                self.finished_ts = event.ts
            if isinstance(event, (LogMessage, RunStarted, RunFinished)):
                line = self.formatter.format(event)
                if line is not None:
                    self._add_line(line)
            self.version += 1

    def add_line(self, line: str) -> None:
        """A line of the dashboard's own (the report paths once the job returned)."""
        with self._lock:
            self._add_line(line)
            self.version += 1

    def _add_line(self, line: str) -> None:
        self.lines.append(line)
        self.log_seq += 1

    def stopping(self) -> None:
        """The user asked to stop: shown until the run ends."""
        with self._lock:
            if self.status in ("waiting", "running"):
                self.status = "stopping"
            self.version += 1

    def finish(self, status: str, ts: float, error: str | None = None) -> None:
        """The job returned: its status is final (a RunFinished may never come if it failed early)."""
        with self._lock:
            self.status = status
            if error and not self.error:
                self.error = error
            if self.finished_ts is None:
                self.finished_ts = ts
            self.version += 1

    def _run_started(self, e: RunStarted) -> None:
        meta = e.meta if isinstance(e.meta, dict) else {}
        self.started_ts = e.ts
        if self.status == "waiting":
            self.status = "running"
        self.project = _text(meta.get("project")) or self.project
        self.model = _text(meta.get("model")) or self.model
        self.device = _text(meta.get("device"))
        self.precision = _text(meta.get("precision"))
        self.quantization = _text(meta.get("quantization"))
        self.report_dir = _text(meta.get("report_dir"))
        if self.device is not None:  # read from the loaded model: a CPU or MPS run has no GPU panels
            self.has_gpu = self.device.startswith("cuda") or bool(self.hardware and self.hardware.gpus)
        if isinstance(meta.get("max_steps"), int) and meta["max_steps"] > 0:
            self.max_steps = meta["max_steps"]
        resumed = meta.get("resumed_from")
        self.start_step = self.step = resumed if isinstance(resumed, int) else 0
        self.finished_ts = None

    def _hardware(self, e: HardwareSample) -> None:
        self.hardware = e
        if e.gpus:
            self.has_gpu = True  # the sampler watches the job's GPUs only
        self._interval.add(e)

    def _train_step(self, e: TrainStep) -> None:
        if self.status == "waiting":
            self.status = "running"
        interval = self._interval
        if interval.n == 0 and self.hardware is not None and e.ts - self.hardware.ts <= SAMPLE_FRESH_S:
            interval.add(self.hardware)  # logged faster than the sampler reads: its latest reading
        power_min, power_mean, power_max, util, temp = interval.figures()
        self._interval = _Interval()
        cols = self.columns
        if self.n_steps and e.step <= cols["step"][-1]:
            return  # never two points for one step
        values = (e.step, e.epoch, e.loss, e.learning_rate, e.grad_norm, e.samples_per_s, e.tokens_per_s,
                  e.peak_vram_mb, power_min, power_mean, power_max, util, temp)
        for name, value in zip(COLUMNS, values, strict=True):
            cols[name].append(value)
        self.n_steps += 1
        self.steps_version += 1
        self.step = e.step
        self.epoch = e.epoch
        self.last_step_ts = e.ts
        if e.max_steps:
            self.max_steps = e.max_steps

    # ------------------------------------------------------------------- reader

    def snapshot(self, log_seq: int) -> TrainSnapshot:
        """A copy for one redraw, with the log lines added after ``log_seq``."""
        with self._lock:
            new_count = min(self.log_seq - log_seq, len(self.lines))
            new_lines = list(self.lines)[len(self.lines) - new_count:] if new_count > 0 else []
            return TrainSnapshot(
                version=self.version, steps_version=self.steps_version, status=self.status,
                project=self.project, model=self.model, device=self.device, precision=self.precision,
                quantization=self.quantization, step=self.step, max_steps=self.max_steps, epoch=self.epoch,
                start_step=self.start_step, started_ts=self.started_ts, finished_ts=self.finished_ts,
                last_step_ts=self.last_step_ts, hardware=self.hardware, has_gpu=self.has_gpu,
                n_steps=self.n_steps, columns=self.columns, new_lines=new_lines, log_seq=self.log_seq,
                error=self.error, report_dir=self.report_dir,
            )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class TrainDashboardSink(Sink):
    """Feeds a :class:`TrainState`. Lossless: ``handle`` is a few list appends under a lock."""

    name = "train-dashboard"
    lossless = True

    def __init__(self, state: TrainState | None = None) -> None:
        self.state = state or TrainState()

    def handle(self, event: Event) -> None:
        self.state.apply(event)


def elapsed_s(snap: TrainSnapshot, now: float) -> float | None:
    """Seconds since this run segment started, frozen once it finished."""
    if snap.started_ts is None:
        return None
    end = snap.finished_ts if snap.finished_ts is not None else now
    return max(0.0, end - snap.started_ts)


def eta_s(snap: TrainSnapshot, now: float) -> float | None:
    """Seconds left at the pace of this segment so far (steps done / time), counted down between
    logged steps; 0 once finished, None while unknown (no max_steps, no step yet)."""
    if snap.finished_ts is not None or snap.status in FINISHED:
        return 0.0
    if not snap.max_steps or snap.started_ts is None or snap.last_step_ts is None:
        return None
    done = snap.step - snap.start_step
    spent = snap.last_step_ts - snap.started_ts
    if done <= 0 or spent <= 0:
        return None
    left = (snap.max_steps - snap.step) * spent / done
    return max(0.0, left - max(0.0, now - snap.last_step_ts))


__all__ = ["COLUMNS", "TrainDashboardSink", "TrainSnapshot", "TrainState", "elapsed_s", "eta_s"]
