"""``aegis report list / show / compare``: find, read and present training reports.

Reports live in ``<reports dir>/<project>/`` (history.json, report.md, telemetry.png;
``docs/reports`` by default). Every figure comes from
:func:`aegis_cli.report.summary.summarize` over history.json, the same numbers report.md
and the dashboard show; unknown figures read N/A. A missing or damaged history.json is an
:class:`~aegis_cli.errors.AegisError` with a hint, never a traceback, and the file is left
as it is (only a training run moves a damaged history aside).

The data functions return plain values; the ``render_*`` functions build Rich renderables
for the terminal. Text from the files (project names, errors, report.md) is shown as plain
text or sanitised Markdown, never as markup. Imports neither torch nor textual.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aegis_cli.errors import AegisError, InputError
from aegis_cli.report.history import FILENAME, HistoryCorrupt, read_document
from aegis_cli.report.summary import Summary, age, summarize
from aegis_cli.textsafe import one_line, safe_text

DEFAULT_REPORTS_DIR = Path("docs/reports")
REPORT_MD, CHART_PNG = "report.md", "telemetry.png"
SUMMARY_SCHEMA = "aegis.report-summary"
NA = "N/A"
#: a RUNNING report not updated for this long probably belongs to a run that died
STALE_RUNNING_S = 600.0
STATUS_LABELS = {
    "completed": ("✓ COMPLETED", "green"),
    "running": ("● RUNNING", "cyan"),
    "failed": ("✗ FAILED", "red"),
    "interrupted": ("■ INTERRUPTED", "yellow"),
}


@dataclass(frozen=True)
class ReportRef:
    """Where one project's report files are (they may not all exist)."""

    project: str
    directory: Path

    @property
    def history(self) -> Path:
        return self.directory / FILENAME

    @property
    def report_md(self) -> Path:
        return self.directory / REPORT_MD

    @property
    def chart(self) -> Path:
        return self.directory / CHART_PNG


@dataclass
class LoadedReport:
    ref: ReportRef
    document: dict[str, Any]
    summary: Summary
    mtime: float

    @property
    def running(self) -> bool:
        return self.summary.status == "running"


# --------------------------------------------------------------------- finding


def find_reports(reports_dir: str | Path) -> list[ReportRef]:
    """The report directories under ``reports_dir`` (those holding history.json or report.md), by name."""
    root = Path(reports_dir)
    if not root.is_dir():
        return []
    refs = []
    for child in sorted(root.iterdir(), key=lambda p: p.name):
        if child.is_dir() and ((child / FILENAME).is_file() or (child / REPORT_MD).is_file()):
            refs.append(ReportRef(child.name, child))
    return refs


def _known_hint(reports_dir: Path, refs: list[ReportRef]) -> str:
    if not refs:
        if not reports_dir.is_dir():
            return f"{reports_dir} does not exist: pass --reports-dir (the config's reporting.output_dir)"
        return f"there are no reports in {reports_dir}: pass --reports-dir (the config's reporting.output_dir)"
    names = [one_line(r.project) for r in refs]
    shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    return f"known projects in {reports_dir}: {shown}"


def resolve(reports_dir: str | Path, project: str) -> ReportRef:
    """The report of ``project`` (a project name under ``reports_dir``, or a report directory's path).
    Unknown → AegisError (exit 2) listing the known projects."""
    root = Path(reports_dir)
    candidate = Path(project).expanduser()
    if (os.sep in project or (os.altsep and os.altsep in project)) and candidate.is_dir():
        return ReportRef(candidate.resolve().name, candidate)
    for ref in find_reports(root):
        if ref.project == project:
            return ref
    refs = find_reports(root)
    raise InputError(f"no report for project {one_line(project)!r} in {root}", _known_hint(root, refs))


def load(ref: ReportRef) -> LoadedReport:
    """Read and summarise a report's history.json; a clear AegisError when it is missing or damaged."""
    path = ref.history
    try:
        mtime = path.stat().st_mtime
        document = read_document(path)
    except FileNotFoundError:
        what = "only report.md" if ref.report_md.is_file() else "no report files"
        raise InputError(
            f"{path} does not exist ({what} in {ref.directory})",
            "the run may not have logged its first step yet, or the report was copied without it; "
            "figures and charts are computed from history.json",
        ) from None
    except HistoryCorrupt as exc:
        raise InputError(
            exc.message,  # names the file and what is wrong with it
            f"the file was left as it is; `aegis train --resume` rebuilds the history from a checkpoint "
            f"(and keeps the damaged file as {FILENAME}.corrupt-*)",
        ) from None
    try:
        summary = summarize(document)
    except Exception as exc:  # values of the wrong type in a hand-edited file
        raise InputError(f"{path} has figures that cannot be summarised ({type(exc).__name__}: {exc})",
                         "the file was left as it is; regenerate it with aegis train") from None
    return LoadedReport(ref, document, summary, mtime)


# ------------------------------------------------------------------- figures


def _fmt(value: float | None, fmt: str, unit: str = "") -> str:
    return NA if value is None else format(value, fmt) + unit


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return NA
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}h {m:02d}m {sec:02d}s" if h else f"{m}m {sec:02d}s" if m else f"{seconds:.1f}s"


def energy_text(s: Summary) -> str:
    if s.energy_kwh is None:
        return NA
    return f"{s.energy_kwh:.4f} kWh" + (" (est.)" if s.energy_estimated else "")


def steps_text(s: Summary) -> str:
    return f"{s.steps:,}" + (f"/{s.max_steps:,}" if s.max_steps else "")


def updated_text(s: Summary, *, short: bool = False) -> str:
    """'2026-01-02T03:04:05Z (3 min ago)'; ``short``: '3 min ago'."""
    if not s.updated_at:
        return NA
    ago = age(s.updated_at)
    if short and ago:
        return ago
    return one_line(s.updated_at).replace("+00:00", "Z") + (f" ({ago})" if ago else "")


def seconds_since_update(s: Summary) -> float | None:
    from datetime import datetime, timezone

    try:
        then = datetime.fromisoformat(str(s.updated_at))
    except (TypeError, ValueError):
        return None
    return (datetime.now(timezone.utc) - then).total_seconds()


@dataclass
class ListRow:
    project: str
    status: str  # a history status, or "unreadable"
    steps: str
    final_loss: str
    peak_vram: str
    energy: str
    updated: str
    problem: str | None = None


def list_reports(reports_dir: str | Path) -> list[ListRow]:
    """One row per report under ``reports_dir``; an unreadable one is a row saying why."""
    rows = []
    for ref in find_reports(reports_dir):
        try:
            s = load(ref).summary
        except AegisError as exc:
            rows.append(ListRow(ref.project, "unreadable", NA, NA, NA, NA, NA, problem=exc.message))
            continue
        rows.append(ListRow(
            project=ref.project, status=s.status, steps=steps_text(s), final_loss=_fmt(s.loss_final, ".4f"),
            peak_vram=_fmt(s.vram_peak_mb, ",.0f", " MB"), energy=energy_text(s), updated=updated_text(s, short=True),
        ))
    return rows


def summary_json(report: LoadedReport) -> dict[str, Any]:
    """A machine-readable summary (``--json``): every figure of report.md, None where unknown."""
    s = report.summary
    ref = report.ref
    return {
        "schema": SUMMARY_SCHEMA,
        "schema_version": 1,
        "project": ref.project,
        "directory": str(ref.directory),
        "files": {name: str(path) if path.is_file() else None
                  for name, path in (("history", ref.history), ("report", ref.report_md), ("chart", ref.chart))},
        "running": report.running,
        "seconds_since_update": seconds_since_update(s),
        "model": {k: (report.document.get("model") or {}).get(k)
                  for k in ("base", "architecture", "task", "device", "precision", "quantization")},
        "summary": s.to_dict(),
    }


# ------------------------------------------------------------------- compare


@dataclass
class CompareRow:
    metric: str
    a: str
    b: str
    better: str | None = None  # "A", "B", "=" or None (no better side: context, unknown or not comparable)
    note: str | None = None


def _better(a: float | None, b: float | None, lower_is_better: bool, rel_tol: float = 0.005) -> str | None:
    if a is None or b is None:
        return None
    if abs(a - b) <= rel_tol * max(abs(a), abs(b)):
        return "="
    return ("A" if a < b else "B") if lower_is_better else ("A" if a > b else "B")


def compare(a: LoadedReport, b: LoadedReport) -> list[CompareRow]:
    """Two runs side by side. "Better" is said only where the comparison means something: losses
    only for the same task and data, energy totals only for the same amount of work."""
    sa, sb = a.summary, b.summary
    ma, mb = a.document.get("model") or {}, b.document.get("model") or {}

    def data_of(doc: dict[str, Any]) -> Any:
        return ((doc.get("config") or {}).get("dataset") or {}).get("source")

    same_task = ma.get("task") == mb.get("task") and data_of(a.document) == data_of(b.document)
    same_work = sa.samples is not None and sa.samples == sb.samples
    loss_note = None if same_task else "different task or data: losses are not comparable"
    rows = [
        CompareRow("Status", STATUS_LABELS.get(sa.status, (sa.status.upper(), ""))[0],
                   STATUS_LABELS.get(sb.status, (sb.status.upper(), ""))[0]),
        CompareRow("Model", one_line(ma.get("base") or NA), one_line(mb.get("base") or NA)),
        CompareRow("Device", one_line(ma.get("device") or NA), one_line(mb.get("device") or NA)),
        CompareRow("Optimizer steps", steps_text(sa), steps_text(sb)),
        CompareRow("Samples", _fmt(sa.samples, ",d"), _fmt(sb.samples, ",d")),
        CompareRow("Final loss", _fmt(sa.loss_final, ".4f"), _fmt(sb.loss_final, ".4f"),
                   _better(sa.loss_final, sb.loss_final, True) if same_task else None, loss_note),
        CompareRow("Final eval loss", _fmt(sa.eval_loss_final, ".4f"), _fmt(sb.eval_loss_final, ".4f"),
                   _better(sa.eval_loss_final, sb.eval_loss_final, True) if same_task else None,
                   loss_note if sa.eval_loss_final is not None and sb.eval_loss_final is not None else None),
        CompareRow("Duration", duration_text(sa.duration_s), duration_text(sb.duration_s),
                   _better(sa.duration_s, sb.duration_s, True) if same_work else None,
                   None if same_work else "different amounts of work: compare samples/s"),
        CompareRow("Samples/s", _fmt(sa.samples_per_s, ",.1f"), _fmt(sb.samples_per_s, ",.1f"),
                   _better(sa.samples_per_s, sb.samples_per_s, False)),
        CompareRow("Tokens/s", _fmt(sa.tokens_per_s, ",.0f"), _fmt(sb.tokens_per_s, ",.0f"),
                   _better(sa.tokens_per_s, sb.tokens_per_s, False)),
        CompareRow("Peak VRAM", _fmt(sa.vram_peak_mb, ",.0f", " MB"), _fmt(sb.vram_peak_mb, ",.0f", " MB"),
                   _better(sa.vram_peak_mb, sb.vram_peak_mb, True)),
        CompareRow("Energy", energy_text(sa), energy_text(sb),
                   _better(sa.energy_kwh, sb.energy_kwh, True) if same_work else None,
                   None if same_work or sa.energy_kwh is None or sb.energy_kwh is None
                   else "different amounts of work: compare energy per 1k samples"),
        CompareRow("Energy per 1k samples", _fmt(sa.energy_per_1k_samples_wh, ",.3f", " Wh"),
                   _fmt(sb.energy_per_1k_samples_wh, ",.3f", " Wh"),
                   _better(sa.energy_per_1k_samples_wh, sb.energy_per_1k_samples_wh, True)),
    ]
    if sa.energy_estimated or sb.energy_estimated:
        for row in rows[-2:]:
            row.note = (row.note + "; " if row.note else "") + "an estimate (no energy counter) on one side"
    return rows


def compare_json(a: LoadedReport, b: LoadedReport) -> dict[str, Any]:
    return {
        "schema": "aegis.report-compare", "schema_version": 1,
        "a": summary_json(a), "b": summary_json(b),
        "rows": [{"metric": r.metric, "a": r.a, "b": r.b, "better": r.better, "note": r.note} for r in compare(a, b)],
    }


# ----------------------------------------------------------------- rendering


def status_text(s: Summary) -> Any:
    from rich.text import Text

    label, style = STATUS_LABELS.get(s.status, (one_line(s.status).upper(), ""))
    return Text(label, style=style)


def render_list(rows: list[ListRow], reports_dir: str | Path) -> Any:
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(f"Training reports in {safe_text(reports_dir)}"), title_justify="left",
                  header_style="bold", expand=False, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for name, justify in (("Project", "left"), ("Status", "left"), ("Steps", "right"), ("Final loss", "right"),
                          ("Peak VRAM", "right"), ("Energy", "right"), ("Updated", "left")):
        # the project name folds when the terminal is narrow; the figures never do
        table.add_column(name, justify=justify, no_wrap=name != "Project", overflow="fold")  # type: ignore[arg-type]
    problems = []
    for r in rows:
        label, style = STATUS_LABELS.get(r.status, (one_line(r.status).upper(), "red" if r.problem else ""))
        cells = [Text(one_line(r.project), style="bold"), Text(label, style=style)]
        cells += [Text(v, style="dim" if v == NA else "") for v in (r.steps, r.final_loss, r.peak_vram, r.energy, r.updated)]
        table.add_row(*cells)
        if r.problem:
            problems.append(Text.assemble((f"{one_line(r.project)}: ", "bold red"), one_line(r.problem)))
    return Group(table, *problems)


def chart_grid(report: LoadedReport, width: int, *, height: int = 12) -> Any:
    """The six panels of telemetry.png as plotext charts, two per row (one per row when narrow)."""
    from rich.panel import Panel as RichPanel
    from rich.table import Table
    from rich.text import Text

    from aegis_cli.report.plots import panels_from_columns, render_panel

    columns = 2 if width >= 90 else 1
    cell = max(20, width // columns)
    inner = cell - 4  # panel borders and padding
    panels = panels_from_columns(report.document.get("entries") or {}, has_gpu=report.summary.has_gpu,
                                 max_points=max(16, inner))
    grid = Table.grid(expand=False)
    for _ in range(columns):
        grid.add_column(width=cell)
    boxes = []
    for panel in panels:
        # a panel with nothing to draw (no GPU) says so on one line instead of an empty box
        body = Text.from_ansi(render_panel(panel, inner, height if panel.drawable else 1), no_wrap=True, end="")
        title = Text(panel.title, style="bold")
        if panel.latest:
            title.append(f"  {panel.latest}", style="")
        legend = Text()
        for label, color in panel.legend:
            if legend:
                legend.append("  ")
            legend.append("━━", style=f"color({color})")
            legend.append(f" {label}")
        boxes.append(RichPanel(body, title=title, title_align="left", subtitle=legend or None,
                               subtitle_align="right", width=cell, border_style="dim",
                               style="dim" if not panel.drawable else ""))
    for i in range(0, len(boxes), columns):
        grid.add_row(*boxes[i:i + columns])
    return grid


def render_show(report: LoadedReport, width: int, *, markdown: bool = True, charts: bool = True) -> list[Any]:
    """report.md (rich Markdown, or rendered from history.json when report.md is missing) and the charts."""
    from rich.markdown import Markdown
    from rich.rule import Rule
    from rich.text import Text

    from aegis_cli.textsafe import strip_control

    out: list[Any] = []
    s = report.summary
    if report.running:
        since = seconds_since_update(s)
        note = Text.assemble(("● RUNNING", "bold cyan"), f": training is still going; last update {updated_text(s)}.")
        if since is not None and since > STALE_RUNNING_S:
            note.append(" No update for a while: the run may have stopped without closing its report "
                        "(`aegis train --resume` continues it).", style="yellow")
        else:
            note.append(" `--follow` redraws as it changes.", style="dim")
        out.append(note)
    if markdown:
        if report.ref.report_md.is_file():
            text = report.ref.report_md.read_text(encoding="utf-8", errors="replace")
        else:
            from aegis_cli.report.markdown import render

            text = render(report.document, chart_name=None)
            out.append(Text(f"(no {REPORT_MD} in {safe_text(report.ref.directory)}: rendered from {FILENAME})",
                            style="dim"))
        # report.md escapes what came from outside; a file edited by hand still must not drive the terminal
        out.append(Markdown(strip_control(text), hyperlinks=False))
    if charts:
        out.append(Rule(Text("Telemetry (from history.json)", style="bold"), align="left"))
        out.append(chart_grid(report, width))
        if report.ref.chart.is_file():
            out.append(Text(f"The same panels as an image: {safe_text(report.ref.chart)} (--open shows it)", style="dim"))
    return out


def render_compare(a: LoadedReport, b: LoadedReport) -> Any:
    from rich.table import Table
    from rich.text import Text

    rows = compare(a, b)
    table = Table(header_style="bold", title=Text("A vs B (✔ marks the better side where it means something)"),
                  title_justify="left")
    table.add_column("Metric", style="bold", no_wrap=True)
    table.add_column(Text(f"A: {one_line(a.ref.project)}"), justify="right")
    table.add_column(Text(f"B: {one_line(b.ref.project)}"), justify="right")
    table.add_column("Note", style="dim")
    for r in rows:
        ca = Text(r.a, style="dim" if r.a == NA else "")
        cb = Text(r.b, style="dim" if r.b == NA else "")
        if r.better == "A":
            ca.append(" ✔", style="bold green")
        elif r.better == "B":
            cb.append(" ✔", style="bold green")
        note = r.note or ("equal within 0.5 %" if r.better == "=" else "")
        table.add_row(r.metric, ca, cb, Text(note))
    return table


# --------------------------------------------------------------------- open


def open_with_viewer(path: Path, *, opener: Callable[[list[str]], Any] | None = None) -> str:
    """Open ``path`` with the system's viewer (xdg-open, open, or the Windows association) without
    waiting for it. Returns the program used. AegisError when the file or a viewer is missing."""
    if not path.is_file():
        raise InputError(f"{path} does not exist",
                         "telemetry.png is written at the end of a run and every reporting.chart_every_s seconds")
    if sys.platform.startswith("win"):
        os.startfile(str(path))  # type: ignore[attr-defined]
        return "startfile"
    program = "open" if sys.platform == "darwin" else "xdg-open"
    exe = shutil.which(program)
    if exe is None:
        raise AegisError(f"no {program} to open {path} with",
                         "install xdg-utils (or a desktop environment), or open the file in an image viewer yourself")
    run = opener or (lambda argv: subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL, start_new_session=True))
    run([exe, str(path)])
    return program


# ------------------------------------------------------------------- follow


def follow(ref: ReportRef, *, poll_s: float = 1.0, sleep: Callable[[float], None] | None = None,
           first: LoadedReport | None = None) -> Iterator[LoadedReport]:
    """Yield the report now and again each time history.json changes, until it is no longer RUNNING.

    Polls the file's modification time (a training run rewrites it atomically every
    ``reporting.report_every`` logs). A momentarily unreadable file (between two writes on
    an odd filesystem) is retried; one that stays damaged raises its AegisError."""
    import time

    sleep = sleep or time.sleep
    report = first or load(ref)
    yield report
    failures = 0
    while report.running:
        sleep(poll_s)
        try:
            mtime = ref.history.stat().st_mtime
        except FileNotFoundError:
            mtime = None
        if mtime is None or mtime == report.mtime:
            continue
        try:
            report = load(ref)
            failures = 0
        except AegisError:
            failures += 1
            if failures >= 5:
                raise
            continue
        yield report


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN; unknown is null
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def dumps(data: Any, *, indent: int | None = 2) -> str:
    return json.dumps(_json_safe(data), indent=indent, ensure_ascii=False, allow_nan=False, default=str)


__all__ = [
    "DEFAULT_REPORTS_DIR", "CompareRow", "ListRow", "LoadedReport", "ReportRef", "chart_grid", "compare",
    "compare_json", "find_reports", "follow", "list_reports", "load", "open_with_viewer", "render_compare",
    "render_list", "render_show", "resolve", "summary_json",
]
