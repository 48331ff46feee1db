"""Write the three report artifacts (history.json, report.md, telemetry.png) safely and off the hot path.

``write`` renders synchronously (the final report); ``submit`` hands a snapshot to one
background thread, where a newer snapshot replaces one not yet written, so a slow disk or
a chart render never holds up a training step. Every file is replaced atomically: a
failed write (read-only directory, full disk) leaves the previous version in place and is
reported through ``on_error`` once per distinct problem. Torch-free.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from aegis_cli.fsutil import atomic_write_text
from aegis_cli.report.history import FILENAME, History, HistorySnapshot

REPORT_MD = "report.md"
CHART_PNG = "telemetry.png"


class ReportWriter:
    def __init__(self, directory: str | Path, *, chart_every_s: float = 60.0,
                 on_error: Callable[[str], None] | None = None, charts: bool = True):
        self.directory = Path(directory)
        self.chart_every_s = chart_every_s
        self.charts = charts
        self.on_error = on_error
        self.errors: list[str] = []
        self.writes = 0
        # the first periodic chart comes chart_every_s after the start (matplotlib's first import and
        # draw are the most expensive thing this writer does; short runs get their chart at the end)
        self.last_chart_at: float | None = time.monotonic()
        self._pending: tuple[HistorySnapshot, bool] | None = None
        self._cond = threading.Condition()
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def history_path(self) -> Path:
        return self.directory / FILENAME

    @property
    def report_path(self) -> Path:
        return self.directory / REPORT_MD

    @property
    def chart_path(self) -> Path:
        return self.directory / CHART_PNG

    # ------------------------------------------------------------ writing
    def write(self, history: History | HistorySnapshot, *, chart: bool = True) -> bool:
        """Write every artifact now, in the calling thread. True when all of them were written."""
        snap = history.snapshot() if isinstance(history, History) else history
        ok = True
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._error(f"cannot create the report directory {self.directory}: {exc.strerror or exc}")
            return False
        try:
            snap.save(self.history_path)
        except (OSError, ValueError) as exc:
            ok = False
            self._error(f"cannot write {self.history_path}: {getattr(exc, 'strerror', None) or exc}")
        try:
            from aegis_cli.report.markdown import render

            document = snap.document()
            atomic_write_text(self.report_path, render(document, chart_name=CHART_PNG if self.charts else None))
        except OSError as exc:
            ok = False
            self._error(f"cannot write {self.report_path}: {exc.strerror or exc}")
        if chart and self.charts:
            try:
                from aegis_cli.report.charts import render_png

                render_png(snap.document(), self.chart_path)
                self.last_chart_at = time.monotonic()
            except OSError as exc:
                ok = False
                self._error(f"cannot write {self.chart_path}: {exc.strerror or exc}")
            except Exception as exc:  # a chart bug must not lose the run's record
                ok = False
                self._error(f"cannot draw {self.chart_path.name}: {type(exc).__name__}: {exc}")
        self.writes += 1
        return ok

    def chart_due(self) -> bool:
        if not self.charts:
            return False
        return self.last_chart_at is None or time.monotonic() - self.last_chart_at >= self.chart_every_s

    def submit(self, snapshot: HistorySnapshot, *, chart: bool | None = None) -> None:
        """Queue ``snapshot`` for the background thread (replacing any not yet written)."""
        if chart is None:
            chart = self.chart_due()
        with self._cond:
            if self._closed:
                return
            if self._pending is not None:
                chart = chart or self._pending[1]
            self._pending = (snapshot, chart)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="aegis-report-writer", daemon=True)
                self._thread.start()
            self._cond.notify()

    def drain(self, timeout: float = 60.0) -> None:
        """Wait until nothing is pending or being written."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while (self._pending is not None or self._busy) and time.monotonic() < deadline:
                self._cond.wait(0.05)

    def close(self, timeout: float = 60.0) -> None:
        self.drain(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._pending is None:
                    return
                snapshot, chart = self._pending
                self._pending = None
                self._busy = True
            try:
                self.write(snapshot, chart=chart)
            except Exception as exc:  # never let the thread die silently
                self._error(f"report writer: {type(exc).__name__}: {exc}")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _error(self, text: str) -> None:
        if text in self.errors:
            return
        self.errors.append(text)
        if self.on_error is not None:
            try:
                self.on_error(text)
            except Exception:
                pass
