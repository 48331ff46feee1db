"""The scan dashboard: a Textual app that is one more sink on the event bus.

``run_scan_dashboard`` adds a :class:`~aegis_cli.tui.scan_state.DashboardSink` to the
bus, runs the scan job in a thread worker and shows everything live. Events are folded
into a state object on the sink's thread; the app redraws from that state at most ten
times a second (``REFRESH_S``), so a burst of thousands of events costs one redraw.
When the job ends the dashboard stays open for browsing until the user quits (q); the
job's result is returned, or its exception re-raised, after the app has closed.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer

from aegis_cli.scan.result import ScanResult
from aegis_cli.telemetry.bus import EventBus
from aegis_cli.telemetry.lines import printable
from aegis_cli.tui.scan_state import DashboardSink, ScanSnapshot, ScanState, elapsed_s, eta_s
from aegis_cli.tui.screens import ExportScreen, HelpScreen
from aegis_cli.tui.widgets.event_log import EventLog
from aegis_cli.tui.widgets.finding_detail import FindingDetail
from aegis_cli.tui.widgets.findings_table import FindingsTable
from aegis_cli.tui.widgets.hardware_strip import HardwareStrip
from aegis_cli.tui.widgets.model_panel import ModelPanel
from aegis_cli.tui.widgets.overall_progress import OverallProgress
from aegis_cli.tui.widgets.title_bar import TitleBar

#: seconds between redraws (≤ 10 a second)
REFRESH_S = 0.1
#: while the scan runs new findings are added to the table (and it is re-sorted) at most this
#: often, when the redraw budget allows, and at least every TABLE_MAX_STALE_S
TABLE_REBUILD_S = 2.0
TABLE_MAX_STALE_S = 10.0
#: the share of one core the dashboard's thread may spend drawing while the scan runs;
#: above it redraws are spaced out (the scan's own threads need the CPU and the GIL: under the
#: GIL, drawing time is taken from the scan about 1:1). A redraw costs ~5-15 ms, so a busy scan
#: is redrawn about every 1-2 s; a scan with little to show, up to 10 times a second.
REDRAW_CPU_BUDGET = 0.005
#: … but the screen is never older than this
MAX_STALE_S = 2.0
#: before the scan starts, wait (at most SETTLE_MAX_S) for a SETTLE_STEP_S in which the app's
#: thread used under SETTLE_IDLE_CPU_S: Textual is done building the screen
SETTLE_MAX_S = 0.5
SETTLE_STEP_S = 0.02
SETTLE_IDLE_CPU_S = 0.002

RUN_STATUS = {
    "waiting": ("◌ starting", "yellow"),
    "running": ("● scanning", "cyan"),
    "completed": ("✓ completed", "bold green"),
    "failed": ("✗ failed", "bold red"),
    "interrupted": ("■ interrupted", "bold yellow"),
}

KEYS = [
    ("q", "quit (twice while the scan runs)"),
    ("Ctrl-C", "stop the scan and quit (exit code 130)"),
    ("f", "filter findings by severity (all → critical → high+ → medium+ → low+)"),
    ("s", "sort findings (severity → file → confidence)"),
    ("e", "export results (json, sarif, markdown) once the scan has finished"),
    ("↑ ↓ / Enter", "move through findings; the code is shown on the right"),
    ("Tab", "move focus (findings, code, events)"),
    ("?", "this help"),
]


def _cuda_ordinals(devices: list[str | None]) -> frozenset[int]:
    out = set()
    for device in devices:
        for part in str(device or "").split(","):
            if part.startswith("cuda:") and part[5:].isdigit():
                out.add(int(part[5:]))
    return frozenset(out)


class ScanDashboard(App[None]):
    """Live view of one scan: model panels, progress, hardware, findings and events."""

    TITLE = "aegis scan"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (80, "-medium"), (140, "-wide")]
    AUTO_FOCUS = "FindingsTable"
    CSS = """
    Screen { layout: vertical; }
    #models { height: auto; max-height: 60%; scrollbar-size-vertical: 1; }
    #bottom { height: 1fr; min-height: 8; }
    #bottom FindingsTable { width: 3fr; }
    #bottom FindingDetail { width: 2fr; }
    Screen.-narrow #bottom { layout: vertical; min-height: 12; }
    Screen.-narrow #bottom FindingsTable { width: 1fr; height: 1fr; }
    Screen.-narrow #bottom FindingDetail { width: 1fr; height: 1fr; }
    Screen.-narrow EventLog { height: 6; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("f", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("e", "export", "Export"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("ctrl+c", "interrupt", "Interrupt", show=False, priority=True),
    ]

    class JobFinished(Message):
        """The scan job returned (``result``) or raised (``error``); posted from the worker thread."""

        def __init__(self, result: ScanResult | None, error: BaseException | None) -> None:
            super().__init__()
            self.result = result
            self.error = error

    def __init__(
        self,
        bus: EventBus | None,
        job: Callable[[], ScanResult] | None,
        *,
        title: str,
        export: Callable[[ScanResult, str], str] | None = None,
        cancel: threading.Event | None = None,
        state: ScanState | None = None,
        clock: Callable[[], float] = time.monotonic,
        redraw_cpu_budget: float = REDRAW_CPU_BUDGET,
        max_stale_s: float = MAX_STALE_S,
    ) -> None:
        super().__init__()
        self.redraw_cpu_budget = redraw_cpu_budget
        self.max_stale_s = max_stale_s
        self.state = state or ScanState()
        self.scan_title = title
        self.title = printable(title)
        self._job = job
        self._export = export
        self._cancel = cancel
        self._clock = clock
        self.result: ScanResult | None = None
        self.error: BaseException | None = None
        self.job_done = job is None
        self.job_started = False
        self.abandoned = False
        self._quit_armed = False
        self._version = -1
        self._log_seq = 0
        self._findings_seen = 0
        self._last_rebuild = 0.0
        self._panels: dict[str, ModelPanel] = {}
        self._last_snap: ScanSnapshot | None = None
        self._title_key: tuple | None = None
        self._cpu_mark = time.thread_time()
        self._wall_mark = time.perf_counter()
        self._sync_timer: Timer | None = None
        self.redraws_in_scan = 0  # of those, while the scan ran
        self.redraws = 0  # how many times the state was drawn (tests and the benchmark read it)
        if bus is not None:
            bus.add_sink(DashboardSink(self.state))

    # --------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        yield OverallProgress()
        yield HardwareStrip()
        with VerticalScroll(id="models"):
            # built (styles, layout) before the scan starts; the first model to report takes it over,
            # so its arrival repaints one panel instead of mounting one in the middle of the scan
            yield ModelPanel("", classes="-pending")
        with Horizontal(id="bottom"):
            yield FindingsTable()
            yield FindingDetail()
        yield EventLog()
        yield Footer()

    def on_mount(self) -> None:
        # kept, not queried per redraw: cheaper, and a late timer tick during shutdown finds them
        self._progress = self.query_one(OverallProgress)
        self._strip = self.query_one(HardwareStrip)
        self._models = self.query_one("#models", VerticalScroll)
        self._log = self.query_one(EventLog)
        self._table = self.query_one(FindingsTable)
        self._detail = self.query_one(FindingDetail)
        self._title = self.query_one("#title", TitleBar)
        self.sync()
        self._cpu_mark, self._wall_mark = time.thread_time(), time.perf_counter()
        self._sync_timer = self.set_interval(REFRESH_S, self.sync)
        if self._job is not None:
            # the scan starts once the screen is built: the first frame, and the frames Textual
            # still draws after it (focus, the footer's keys); that work then does not compete
            # with the scan for the CPU and the GIL
            self.call_after_refresh(self._start_when_settled)

    @work(group="start", exit_on_error=False)
    async def _start_when_settled(self) -> None:
        """Start the job once this thread has gone idle (at most SETTLE_MAX_S after the first frame)."""
        deadline = time.perf_counter() + SETTLE_MAX_S
        while time.perf_counter() < deadline:
            cpu = time.thread_time()
            await asyncio.sleep(SETTLE_STEP_S)
            if time.thread_time() - cpu < SETTLE_IDLE_CPU_S:
                break
        self._start_job()

    def _start_job(self) -> None:
        # What exists now (imported modules, the screen) lives for the whole scan. Frozen, the
        # cyclic GC stops rescanning it: the objects each redraw allocates otherwise trigger
        # full collections of the whole heap (~0.1 s each, holding the GIL the scan needs).
        gc.freeze()
        self.job_started = True
        self.run_job()
        # the redraw budget counts from here: what it took to get the scan going is not drawing
        self._cpu_mark, self._wall_mark = time.thread_time(), time.perf_counter()

    # ------------------------------------------------------------------ job

    @work(thread=True, exit_on_error=False, name="scan")
    def run_job(self) -> None:
        assert self._job is not None
        try:
            result = self._job()
        except BaseException as exc:  # re-raised by run_scan_dashboard once the app has closed
            self.post_message(self.JobFinished(None, exc))
            return
        self.post_message(self.JobFinished(result, None))

    def on_scan_dashboard_job_finished(self, message: JobFinished) -> None:
        self.job_done = True
        gc.unfreeze()  # the scan is over: the heap frozen at its start is collectable again
        self.result, self.error = message.result, message.error
        if message.error is not None:
            self.state.finish("failed", self._clock())
            self.exit()  # nothing to browse: the CLI prints the error
            return
        self.show_result(message.result)

    def show_result(self, result: ScanResult | None) -> None:
        """The job's result replaces the live findings (merged, with the files' text for the code view)."""
        self.job_done = True
        self.result = result
        self.state.finish("completed", self._clock())
        self.sync()
        if (pending := self._pending_panel()) is not None:  # no model ever reported (bad input, no models)
            pending.remove()
        if result is not None:
            self._table.set_findings(f.to_dict() for f in result.findings)
            self._table.update_rows()
            self._detail.set_sources(result.sources)
        self._draw_title(self.state.snapshot(self._log_seq, self._findings_seen))

    # --------------------------------------------------------------- redraw

    def _within_budget(self) -> bool:
        """True while this thread's CPU since the last redraw is within ``redraw_cpu_budget``
        of the wall time (drawing, layout and everything else the app's thread did)."""
        wall = time.perf_counter() - self._wall_mark
        return wall > 0 and (time.thread_time() - self._cpu_mark) / wall <= self.redraw_cpu_budget

    def sync(self) -> None:
        """Draw the latest state, if it changed (called every REFRESH_S).

        While the scan runs, a tick is skipped when drawing has cost more than the budget
        (the state keeps folding; nothing is lost), but the panels are never older than
        ``max_stale_s``. The findings table, the costliest part, is redrawn at most every
        TABLE_REBUILD_S, within the budget, or at least every TABLE_MAX_STALE_S.
        """
        state = self.state
        now = self._clock()
        wall_since = time.perf_counter() - self._wall_mark
        # the scan's first news is drawn at once (one cheap fill: the screen is built); after
        # that the budget decides
        ok = self.job_done or self.redraws_in_scan == 0 or self._within_budget()
        if state.version != self._version:
            if not ok and wall_since < self.max_stale_s:
                self._skip_ticks(wall_since)
                return
            self._cpu_mark, self._wall_mark = time.thread_time(), time.perf_counter()
            self._draw_state(now)
        else:
            self._tick_clock(now)
        table = self._table
        if table.dirty:
            since = now - self._last_rebuild
            if self.job_done or (since >= TABLE_REBUILD_S and ok) or since >= TABLE_MAX_STALE_S:
                table.update_rows()
                self._last_rebuild = now

    def _skip_ticks(self, wall_since: float) -> None:
        """Over the budget: nothing will be drawn until drawing's CPU share has fallen back under
        it (or the screen is about to go stale), so the ticks until then are not run at all
        (each costs the scan's thread a little GIL time too)."""
        cpu = time.thread_time() - self._cpu_mark
        drawable = cpu / self.redraw_cpu_budget if self.redraw_cpu_budget > 0 else self.max_stale_s
        wait = min(drawable, self.max_stale_s) - wall_since
        if wait > 2 * REFRESH_S and self._sync_timer is not None:
            self._sync_timer.pause()
            self.set_timer(wait, self._sync_timer.resume)

    def _draw_state(self, now: float) -> None:
        snap = self.state.snapshot(self._log_seq, self._findings_seen)
        self._version = snap.version
        self.redraws += 1
        if self.job_started and not self.job_done:
            self.redraws_in_scan += 1
        self._log_seq, self._findings_seen = snap.log_seq, snap.findings_seen
        self._draw_progress(snap, now)
        self._strip.sample = snap.hardware
        self._strip.gpu_filter = _cuda_ordinals([m.device for m in snap.models])
        self._draw_models(snap)
        if snap.new_lines:
            self._log.add_lines(snap.new_lines)
        if not self.job_done:  # once the result is in, it is the table's only source
            self._table.add_findings(snap.new_findings)
        self._draw_title(snap)

    def _tick_clock(self, now: float) -> None:
        snap = self._last_snap
        if snap is not None and snap.finished_ts is None:
            self._draw_times(snap, now)

    def _draw_times(self, snap: ScanSnapshot, now: float) -> None:
        progress = self._progress
        elapsed = elapsed_s(snap, now)
        eta = eta_s(snap, now)
        # whole seconds: the line changes once a second, not on every tick
        progress.elapsed_s = None if elapsed is None else float(int(elapsed))
        progress.eta_s = None if eta is None else float(round(eta))

    def _draw_progress(self, snap: ScanSnapshot, now: float) -> None:
        self._last_snap = snap
        progress = self._progress
        p = snap.progress
        progress.files_done, progress.files_total = p.files_done, p.files_total
        progress.chunks_done, progress.chunks_total = p.chunks_done, p.chunks_total
        progress.fraction = snap.fraction
        progress.status = snap.status
        self._draw_times(snap, now)

    def _draw_models(self, snap: ScanSnapshot) -> None:
        container = self._models
        for view in snap.models:
            panel = self._panels.get(view.model_id)
            if panel is None and (pending := self._pending_panel()) is not None:
                pending.model_id = view.model_id
                pending.remove_class("-pending")
                panel = self._panels[view.model_id] = pending
                panel.model = view
            elif panel is None:
                panel = self._panels[view.model_id] = ModelPanel(view.model_id)
                panel.model = view
                container.mount(panel)
            else:
                panel.model = view

    def _pending_panel(self) -> ModelPanel | None:
        for panel in self._models.query(ModelPanel):
            if panel.has_class("-pending"):
                return panel
        return None

    def _draw_title(self, snap: ScanSnapshot) -> None:
        key = (snap.status, snap.skipped)
        if key == self._title_key:
            return  # only when the text changes
        self._title_key = key
        label, style = RUN_STATUS.get(snap.status, (snap.status, ""))
        right = Text(label, style=style)
        if snap.skipped:
            right = Text.assemble((f"{snap.skipped} skipped  ", "dim"), right)
        self._title.left = Text(printable(self.scan_title), style="bold")
        self._title.right = right

    # -------------------------------------------------------------- actions

    def on_findings_table_finding_highlighted(self, message: FindingsTable.FindingHighlighted) -> None:
        self._detail.finding = message.finding

    def _leave(self) -> None:
        gc.unfreeze()  # the scan is abandoned (or over)
        self.abandoned = not self.job_done
        if self.abandoned and self._cancel is not None:
            self._cancel.set()
        self.exit()

    async def action_quit(self) -> None:
        """q: leave once the scan is done; while it runs, a second q confirms."""
        if self.job_done or self._quit_armed:
            self._leave()
            return
        self._quit_armed = True
        self.notify("The scan is still running. Press q again to stop watching and cancel it.",
                    title="Quit?", severity="warning", timeout=4)

    def action_interrupt(self) -> None:
        """Ctrl-C: stop now, as it does without the dashboard (no second press needed)."""
        self._leave()

    def action_filter(self) -> None:
        self._table.cycle_filter()

    def action_sort(self) -> None:
        self._table.cycle_sort()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(KEYS))

    def action_export(self) -> None:
        if self._export is None:
            self.notify("Exporting is not available here.", severity="warning")
            return
        if not self.job_done or self.result is None:
            self.notify("Export is available once the scan has finished.", severity="warning")
            return
        self.push_screen(ExportScreen(), self._export_chosen)

    def _export_chosen(self, fmt: str | None) -> None:
        if fmt:
            self.export_result(fmt)

    @work(thread=True, exit_on_error=False, name="export")
    def export_result(self, fmt: str) -> None:
        assert self._export is not None and self.result is not None
        try:
            path = self._export(self.result, fmt)
        except Exception as exc:
            self.call_from_thread(self.notify, f"Export failed: {printable(exc)}", severity="error", markup=False)
            return
        self.call_from_thread(self.notify, f"Wrote {printable(path)}", title=f"Exported {fmt}", markup=False)


def run_scan_dashboard(
    bus: EventBus,
    job: Callable[[], ScanResult],
    *,
    title: str,
    export: Callable[[ScanResult, str], str] | None = None,
    cancel: threading.Event | None = None,
) -> ScanResult:
    """Show the dashboard while ``job`` runs; return its result (or re-raise its error) once closed.

    ``cancel`` (optional) is set when the user quits while the job still runs; a job that
    checks it can stop early. Quitting mid-scan raises KeyboardInterrupt here (exit 130,
    as Ctrl-C does without the dashboard).
    """
    app = ScanDashboard(bus, job, title=title, export=export, cancel=cancel)
    app.run()
    return dashboard_outcome(app)


def dashboard_outcome(app: ScanDashboard) -> ScanResult:
    """The job's result once the app has closed; its exception re-raised; KeyboardInterrupt
    when the user quit before it finished."""
    if app.error is not None:
        raise app.error
    if app.abandoned:
        raise KeyboardInterrupt
    if app.result is None:  # the app closed before the job could report (should not happen)
        raise RuntimeError("the scan dashboard closed before the scan finished")
    return app.result


__all__ = ["ScanDashboard", "dashboard_outcome", "run_scan_dashboard"]
