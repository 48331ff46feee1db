"""`aegis scan` end to end: sinks, sampler, dashboard or console, outputs, exit code.

The CLI calls :func:`execute_scan` once; this is the only place that decides between
the Textual dashboard and the plain console, so both behave the same otherwise.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from aegis_cli.errors import AegisError, InputError
from aegis_cli.scan.pipeline import ScanOptions, exit_code_for, run_scan
from aegis_cli.scan.result import ScanResult


@dataclass
class OutputOptions:
    format: str | None = None  # None: from the --output suffix, else "table"
    output: Path | None = None
    fail_on: str = "high"
    tui: bool = False
    telemetry_log: Path | None = None
    show_skips: bool = False
    verbose: bool = False


def _resolve_format(out: OutputOptions) -> str:
    from aegis_cli.scan.export import FORMATS, format_for_path

    fmt = out.format or (format_for_path(out.output) if out.output else None) or "table"
    if fmt not in FORMATS:
        raise AegisError(f"--format {fmt} is not a format", f"use one of: {', '.join(FORMATS)}")
    return fmt


def _check_output_path(path: Path) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError(f"--output {path} is a directory", "give a file path, e.g. results.sarif")
    if not parent.exists():
        raise InputError(f"--output {path}: folder {parent} does not exist", "create it first or choose another path")


def write_outputs(result: ScanResult, fmt: str, output: Path | None, *, stdout_color: bool = False) -> None:
    from aegis_cli.scan.export import render, write

    if output is not None:
        write(result, fmt, output)
    else:
        text = render(result, fmt, color=stdout_color)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()


def execute_scan(options: ScanOptions, out: OutputOptions) -> int:
    """Run the scan with the right sinks and return the exit code."""
    from aegis_cli.telemetry.bus import EventBus
    from aegis_cli.telemetry.sampler import HardwareSampler

    fmt = _resolve_format(out)
    if out.output is not None:
        _check_output_path(out.output)
    sinks = []
    if out.telemetry_log is not None:
        from aegis_cli.telemetry.sinks import JsonlRecorder

        sinks.append(JsonlRecorder(out.telemetry_log))
    if not out.tui:
        from aegis_cli.telemetry.console import ConsoleSink

        sinks.append(ConsoleSink(show_skips=out.show_skips, verbose=out.verbose))
    bus = EventBus(sinks)
    sampler = HardwareSampler(bus=bus, hz=options.sample_hz)
    result: ScanResult | None = None
    try:
        sampler.start()

        cancel = threading.Event()

        def job() -> ScanResult:
            if len(options.devices) > 1:
                from aegis_cli.scan.distributed import run_sharded

                r = run_sharded(options, bus, sampler=sampler)
            else:
                r = run_scan(options, bus, sampler=sampler, cancel=cancel)
            if out.output is not None:  # written before the dashboard lets go, so nothing waits on a person
                write_outputs(r, fmt, out.output)
            return r

        if out.tui:
            from aegis_cli.tui.scan_app import run_scan_dashboard

            def export(r: ScanResult, f: str) -> str:
                from aegis_cli.scan.export import write

                suffix = {"sarif": ".sarif", "json": ".json", "markdown": ".md", "table": ".txt"}[f]
                path = Path(f"aegis-scan{suffix}")
                write(r, f, path)
                return str(path.resolve())

            result = run_scan_dashboard(bus, job, title=f"aegis scan {options.target}", export=export, cancel=cancel)
        else:
            result = job()
    finally:
        sampler.stop()
        stats = bus.close()
        problems = [s for s in stats if (s.dropped and s.lossless) or s.error]
        if problems:
            from rich.markup import escape

            from aegis_cli.cli.common import err_console

            for s in problems:
                err_console().print(f"[yellow]telemetry:[/] {escape(s.line())}")
    if out.output is None:
        write_outputs(result, fmt, None, stdout_color=fmt == "table" and sys.stdout.isatty())
    return exit_code_for(result, out.fail_on)
