"""The training dashboard: a Textual app that is one more sink on the event bus.

``run_train_dashboard`` adds a :class:`~aegis_cli.tui.train_state.TrainDashboardSink` to
the bus and runs the training job in a thread worker, handing it a ``stop`` event that
the job passes to ``run_training(stop=...)``. Events are folded into a state object on
the sink's thread; the app reads it at most four times a second (``REFRESH_S``) and
redraws what changed: header, hardware strip and sparklines on every change, the six
plotext charts only when a new step was logged, at least ``CHART_MIN_S`` apart and
within a CPU budget (so drawing never competes with training), never older than
``CHART_MAX_STALE_S``.

Keys and endings:

* Ctrl-C (or q twice) while training: stop after the current step, through the stop
  event — a checkpoint is saved when ``training.save_on_interrupt``, the report says
  INTERRUPTED, the dashboard closes, and the command exits 130. A second Ctrl-C aborts
  at once (the report is still written), as it does without the dashboard. Before
  training has started (the model is loading) Ctrl-C aborts at once.
* When training completes or fails the dashboard stays open, showing the final charts and
  where the report was written, until q; the exit code is the same as with ``--no-tui``.
* A job that raises before training starts (a config, data or model problem) closes the
  dashboard at once; the error is re-raised for the CLI to print.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.widgets import Footer

from aegis_cli.report.plots import panels_from_columns
from aegis_cli.telemetry.bus import EventBus
from aegis_cli.telemetry.lines import printable
from aegis_cli.tui.screens import HelpScreen
from aegis_cli.tui.train_state import TrainDashboardSink, TrainSnapshot, TrainState, elapsed_s, eta_s
from aegis_cli.tui.widgets.chart_panel import ChartPanel
from aegis_cli.tui.widgets.event_log import EventLog
from aegis_cli.tui.widgets.hardware_strip import HardwareStrip
from aegis_cli.tui.widgets.rate_sparkline import RateSparkline
from aegis_cli.tui.widgets.train_header import TrainHeader

#: seconds between looks at the state (≤ 4 redraws a second)
REFRESH_S = 0.25
#: routine changes (a hardware sample, a logged step) are drawn at most this often; a new
#: status or event line at the next look
STATE_MIN_S = 1.0
#: charts are redrawn at most this often …
CHART_MIN_S = 1.0
#: … and only while the dashboard's thread has used at most this share of one core since the
#: previous chart was started (that chart's own cost included): training needs the CPU and,
#: for its Python loop, the GIL more than the charts need to be fresh …
REDRAW_CPU_BUDGET = 0.01
#: … but a chart is never older than this while new steps arrive
CHART_MAX_STALE_S = 5.0

KEYS = [
    ("Ctrl-C", "stop training after the current step (checkpoint, report INTERRUPTED, exit 130); "
               "again: abort now"),
    ("q", "quit once training has ended; while it runs, press twice to stop it"),
    ("?", "this help"),
]
CHART_IDS = ("chart-loss", "chart-lr", "chart-vram", "chart-util", "chart-power", "chart-temp")


def _async_raise(thread_id: int, exc: type[BaseException]) -> bool:
    """Raise ``exc`` in another thread at its next Python instruction (the second Ctrl-C)."""
    done = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exc))
    return done == 1


class TrainDashboard(App[None]):
    """Live view of one training run: header, hardware, six charts, throughput, events."""

    TITLE = "aegis train"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide")]
    CSS = """
    Screen { layout: vertical; }
    TrainHeader { background: $primary-background; }
    #charts { height: 1fr; min-height: 12; }
    #train-charts { height: 1fr; }
    #gpu-charts { layout: grid; grid-size: 2 2; grid-gutter: 0; height: 2fr; }
    Screen.-nogpu #charts { height: 1fr; }
    Screen.-nogpu #gpu-charts { grid-size: 4 1; height: 3; }
    Screen.-nogpu #gpu-charts ChartPanel { min-height: 3; }
    Screen.-narrow.-nogpu #gpu-charts { grid-size: 2 2; height: 6; }
    #rates { height: 1; }
    EventLog { height: 7; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("ctrl+c", "interrupt", "Stop", priority=True),
    ]

    class JobFinished(Message):
        """The job returned (``outcome``) or raised (``error``); posted from the worker thread."""

        def __init__(self, outcome: Any, error: BaseException | None) -> None:
            super().__init__()
            self.outcome = outcome
            self.error = error

    def __init__(
        self,
        bus: EventBus | None,
        job: Callable[[threading.Event], Any] | None,
        *,
        title: str,
        stop: threading.Event | None = None,
        state: TrainState | None = None,
        clock: Callable[[], float] = time.monotonic,
        redraw_cpu_budget: float = REDRAW_CPU_BUDGET,
        state_min_s: float = STATE_MIN_S,
        chart_min_s: float = CHART_MIN_S,
        chart_max_stale_s: float = CHART_MAX_STALE_S,
    ) -> None:
        super().__init__()
        self.state = state or TrainState()
        self.run_title = title
        self.title = printable(title)
        self.stop_event = stop or threading.Event()
        self.redraw_cpu_budget = redraw_cpu_budget
        self.state_min_s = state_min_s
        self.chart_min_s = chart_min_s
        self.chart_max_stale_s = chart_max_stale_s
        self._job = job
        self._clock = clock
        self.outcome: Any = None
        self.error: BaseException | None = None
        self.job_done = job is None
        self._job_thread: int | None = None
        self._job_result: tuple[Any, BaseException | None] | None = None
        self.job_ended = threading.Event()  # set in the worker thread, whatever happens to the app
        self._job_running = False
        self._quit_armed = False
        self._aborting = False
        self._version = -1
        self._log_seq = 0
        self._charts_key: tuple | None = None
        self._charts_ts = -1e9
        self._charts_steps = 0
        self._state_ts = -1e9
        self._drawn_status: str | None = None
        self._snap: TrainSnapshot | None = None
        self._cpu_mark = time.thread_time()
        self._wall_mark = time.perf_counter()
        self.redraws = 0  # state redraws (tests and the benchmark read them)
        self.chart_redraws = 0  # chart rebuilds
        if bus is not None:
            bus.add_sink(TrainDashboardSink(self.state))

    # --------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield TrainHeader()
        yield HardwareStrip()
        with Vertical(id="charts"):
            with Horizontal(id="train-charts"):
                yield ChartPanel("Training loss", id=CHART_IDS[0])
                yield ChartPanel("Learning rate", id=CHART_IDS[1])
            with Grid(id="gpu-charts"):
                for chart_id, title in zip(CHART_IDS[2:], ("Peak VRAM (MB)", "GPU utilization (%)",
                                                           "Power draw (W)", "Temperature (°C)"), strict=True):
                    yield ChartPanel(title, id=chart_id)
        with Horizontal(id="rates"):
            yield RateSparkline("samples/s", id="rate-samples")
            yield RateSparkline("tokens/s", id="rate-tokens")
        yield EventLog()
        yield Footer()

    def on_mount(self) -> None:
        self._header = self.query_one(TrainHeader)
        self._strip = self.query_one(HardwareStrip)
        self._log = self.query_one(EventLog)
        self._charts = [self.query_one(f"#{chart_id}", ChartPanel) for chart_id in CHART_IDS]
        self._samples = self.query_one("#rate-samples", RateSparkline)
        self._tokens = self.query_one("#rate-tokens", RateSparkline)
        self.sync()
        self._cpu_mark, self._wall_mark = time.thread_time(), time.perf_counter()
        self.set_interval(REFRESH_S, self.sync)
        self._install_sigint()
        if self._job is not None:
            self.run_job()
        # plotext takes most of a second to import: do it while the model loads, not in the
        # middle of training when the first step is logged
        self.call_after_refresh(self._preload_plotext)

    def _preload_plotext(self) -> None:
        import plotext  # noqa: F401

        self._cpu_mark, self._wall_mark = time.thread_time(), time.perf_counter()  # not the charts' cost

    def _install_sigint(self) -> None:
        """A SIGINT from outside (kill -INT) acts like Ctrl-C typed into the dashboard."""
        import asyncio
        import signal

        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self.action_interrupt)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
            pass

    def on_unmount(self) -> None:
        import asyncio
        import signal

        try:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
        except (NotImplementedError, RuntimeError, ValueError):
            pass

    # ------------------------------------------------------------------ job

    @work(thread=True, exit_on_error=False, name="train")
    def run_job(self) -> None:
        assert self._job is not None
        self._job_thread = threading.get_ident()
        self._job_running = True
        try:
            outcome = self._job(self.stop_event)
        except BaseException as exc:  # re-raised by run_train_dashboard once the app has closed
            self._job_running = False
            self._job_result = (None, exc)
            self.job_ended.set()
            self.post_message(self.JobFinished(None, exc))
            return
        self._job_running = False
        self._job_result = (outcome, None)
        self.job_ended.set()
        self.post_message(self.JobFinished(outcome, None))

    def on_train_dashboard_job_finished(self, message: JobFinished) -> None:
        self.job_done = True
        self.outcome, self.error = message.outcome, message.error
        if message.error is not None:
            self.state.finish("failed", self._clock(), printable(message.error))
            self.exit()  # nothing to look at: the CLI prints the error
            return
        self.show_outcome(message.outcome)
        if getattr(message.outcome, "status", None) == "interrupted":
            self.exit()

    def show_outcome(self, outcome: Any) -> None:
        """The job returned: final status, and where the report went."""
        self.job_done = True
        status = getattr(outcome, "status", "completed")
        self.state.finish(status, self._clock(), getattr(outcome, "error", None))
        if outcome is not None and getattr(outcome, "is_world_zero", True):
            for label, path in (("report", outcome.report_md), ("chart", outcome.telemetry_png),
                                ("history", outcome.history_json)):
                if path.exists():
                    self.state.add_line(f"[INFO] {label} written: {path}")
            for problem in getattr(outcome, "report_errors", ()) or ():
                self.state.add_line(f"[ERROR] report: {problem}")
            if getattr(outcome, "final_dir", None) is not None:
                self.state.add_line(f"[INFO] model saved: {outcome.final_dir}")
        if status != "interrupted":
            self.state.add_line("[INFO] press q to close the dashboard")
        self.sync()

    # --------------------------------------------------------------- redraw

    def _within_budget(self) -> bool:
        wall = time.perf_counter() - self._wall_mark
        return wall > 0 and (time.thread_time() - self._cpu_mark) / wall <= self.redraw_cpu_budget

    def sync(self) -> None:
        """Draw what changed (called every REFRESH_S).

        The state (header, hardware, sparklines, log) when it changed: a new status or event
        line at once, hardware samples and logged steps at most every ``state_min_s``. The
        charts when a step was logged since they were drawn, within the CPU budget, at
        least every ``chart_max_stale_s`` (see the module constants).
        """
        now = self._clock()
        state = self.state
        wall = time.perf_counter()
        due = wall - self._state_ts >= self.state_min_s
        if state.version != self._version:
            urgent = state.status != self._drawn_status or state.log_seq != self._log_seq or self.job_done
            if urgent or due:
                snap = state.snapshot(self._log_seq)
                self._snap = snap
                self._version, self._log_seq, self._drawn_status = snap.version, snap.log_seq, snap.status
                self.redraws += 1
                self._draw_state(snap, now)
                due = True
        snap = self._snap
        if snap is None:
            return
        if due:  # the clock moves with the state, in the same frame
            self._state_ts = wall
            self._draw_times(snap, now)
        settled = self.job_done or snap.status in ("completed", "failed", "interrupted")
        key = (snap.steps_version, snap.has_gpu, settled)
        if key != self._charts_key:
            since = wall - self._charts_ts
            first_data = self._charts_steps == 0 and snap.n_steps > 0  # the first step shows at once
            due = (settled or first_data or since >= self.chart_max_stale_s
                   or (since >= self.chart_min_s and self._within_budget()))
            if due and self._draw_charts(snap):
                self._charts_key = key

    def _draw_state(self, snap: TrainSnapshot, now: float) -> None:
        self._header.show_run(title=self.run_title, project=snap.project, model=snap.model, device=snap.device,
                              precision=snap.precision, quantization=snap.quantization, status=snap.status)
        progress = self._header.progress
        progress.step, progress.max_steps, progress.epoch = snap.step, snap.max_steps, snap.epoch
        progress.status = snap.status
        self._strip.sample = snap.hardware
        self.screen.set_class(snap.has_gpu is False, "-nogpu")
        if snap.new_lines:
            self._log.add_lines(snap.new_lines)

    def _draw_times(self, snap: TrainSnapshot, now: float) -> None:
        progress = self._header.progress
        elapsed, eta = elapsed_s(snap, now), eta_s(snap, now)
        # whole seconds: the line changes once a second, not on every tick
        progress.elapsed_s = None if elapsed is None else float(int(elapsed))
        progress.eta_s = None if eta is None else float(round(eta))

    def _draw_charts(self, snap: TrainSnapshot) -> bool:
        """Rebuild the six panels; False (nothing drawn) until the charts have a size."""
        # one point per column: plotext joins them with lines, and its cost grows with points
        width = max((c.content_size.width for c in self._charts), default=0)
        if width <= 0:
            return False
        # the budget window starts here, so the next chart waits for this one's cost too
        self._cpu_mark, self._wall_mark = time.thread_time(), time.perf_counter()
        self._charts_ts = self._wall_mark
        cols = {name: snap.column(name) for name in snap.columns}
        panels = panels_from_columns(cols, has_gpu=snap.has_gpu, max_points=width)
        self._charts_steps = snap.n_steps
        for chart, panel in zip(self._charts, panels, strict=True):
            chart.show(panel)
        # the throughput lines are per logged step too: they move with the charts
        self._samples.show(cols["samples_per_s"])
        self._tokens.show(cols["tokens_per_s"])
        self.chart_redraws += 1
        return True

    # -------------------------------------------------------------- actions

    def request_stop(self) -> None:
        """Stop after the current step (the stop event the job handed to run_training)."""
        self.stop_event.set()
        self.state.stopping()
        self.notify("Stopping after the current optimizer step; the report will say INTERRUPTED. "
                    "Press Ctrl-C again to abort at once.", title="Stopping", severity="warning", timeout=6)

    def abort(self) -> None:
        """Abort now: KeyboardInterrupt in the training thread (the report is still written)."""
        if self._aborting or not self._job_running or self._job_thread is None:
            return
        self._aborting = True
        self.stop_event.set()
        self.state.stopping()
        _async_raise(self._job_thread, KeyboardInterrupt)
        self.notify("Aborting now.", title="Abort", severity="error", timeout=4)

    def action_interrupt(self) -> None:
        """Ctrl-C: stop after this step; a second press (or before training started) aborts."""
        if self.job_done:
            self.exit()
        elif self.stop_event.is_set() or self.state.status == "waiting":
            self.abort()
        else:
            self.request_stop()

    async def action_quit(self) -> None:
        """q: close once training has ended; while it runs, a second q stops it."""
        if self.job_done:
            self.exit()
            return
        if self.stop_event.is_set():
            self.notify("Stopping after the current step… (Ctrl-C aborts at once)", severity="warning", timeout=4)
            return
        if self._quit_armed:
            self.request_stop()
            return
        self._quit_armed = True
        self.notify("Training is running. Press q again to stop it after the current step "
                    "(checkpoint and report), or keep watching.", title="Quit?", severity="warning", timeout=5)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(KEYS))


def run_train_dashboard(
    bus: EventBus,
    job: Callable[[threading.Event], Any],
    *,
    title: str,
    stop: threading.Event | None = None,
) -> Any:
    """Show the dashboard while ``job(stop)`` trains; return its TrainOutcome once the app has
    closed, or re-raise its exception. ``job`` must pass ``stop`` to ``run_training(stop=...)``
    (and ``handle_sigint=False``: the dashboard owns Ctrl-C)."""
    app = TrainDashboard(bus, job, title=title, stop=stop)
    app.run()
    return dashboard_outcome(app)


def dashboard_outcome(app: TrainDashboard) -> Any:
    """The job's outcome once the app has closed; its exception re-raised.

    If the app closed while the job still ran (the app itself failed), training is stopped
    through the stop event and waited for, so the report is still finished."""
    if not app.job_done and app._job is not None and app._job_thread is not None:
        app.stop_event.set()
        app.job_ended.wait()
    if app._job_result is not None:
        app.outcome, app.error = app._job_result
    if app.error is not None:
        raise app.error
    if app.outcome is None:
        raise RuntimeError("the training dashboard closed before training finished")
    return app.outcome


__all__ = ["TrainDashboard", "dashboard_outcome", "run_train_dashboard"]
