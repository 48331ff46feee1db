"""`aegis report list / show / compare`: the training reports in the terminal."""

from __future__ import annotations

from pathlib import Path

import typer

from aegis_cli.cli.common import handle_errors

report_app = typer.Typer(
    name="report",
    help="Browse training reports: list them, show one (report.md and its charts), compare two.",
    no_args_is_help=True,
)

_DIR_HELP = "Where the reports are (the training config's reporting.output_dir)."


def _reports_dir() -> Path:
    from aegis_cli.report.browse import DEFAULT_REPORTS_DIR

    return DEFAULT_REPORTS_DIR


def _out():
    from rich.console import Console

    return Console(highlight=False, emoji=False)


@report_app.command("list")
@handle_errors
def list_reports(
    reports_dir: Path = typer.Option(None, "--reports-dir", "-d", help=_DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
) -> None:
    """One row per project: status, steps, final loss, peak VRAM, energy, last update."""
    from dataclasses import asdict

    from aegis_cli.cli.common import err_console
    from aegis_cli.errors import InputError
    from aegis_cli.report import browse

    root = reports_dir or _reports_dir()
    if not root.is_dir():
        raise InputError(f"{root} is not a directory", "pass --reports-dir (the config's reporting.output_dir)")
    rows = browse.list_reports(root)
    if as_json:
        typer.echo(browse.dumps({"reports_dir": str(root), "reports": [asdict(r) for r in rows]}))
        return
    if not rows:
        err_console().print(f"no training reports in {root}", markup=False)
        return
    _out().print(browse.render_list(rows, root))


@report_app.command("show")
@handle_errors
def show(
    project: str = typer.Argument(..., help="Project name (its directory under --reports-dir), or a report directory."),
    reports_dir: Path = typer.Option(None, "--reports-dir", "-d", help=_DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary instead."),
    open_chart: bool = typer.Option(False, "--open", help="Open telemetry.png with the system's image viewer."),
    follow: bool = typer.Option(False, "--follow", "-f",
                                help="While the run is RUNNING, redraw whenever history.json changes "
                                     "(Ctrl-C stops watching: exit 130)."),
) -> None:
    """The report in the terminal: report.md and the six telemetry charts drawn from history.json."""
    from aegis_cli.report import browse

    ref = browse.resolve(reports_dir or _reports_dir(), project)
    if open_chart:
        program = browse.open_with_viewer(ref.chart)
        from aegis_cli.cli.common import err_console

        err_console().print(f"opened {ref.chart} with {program}", markup=False)
        return
    report = browse.load(ref)
    console = _out()
    if not follow:
        _print(console, report, as_json)
        return
    last = report
    for n, update in enumerate(browse.follow(ref, first=report)):
        if n and console.is_terminal and not as_json:
            console.clear()
        _print(console, update, as_json, compact_json=True)
        last = update
    if not as_json:
        from aegis_cli.cli.common import err_console

        err_console().print(f"the run is {last.summary.status}: nothing more to follow", markup=False)


def _print(console, report, as_json: bool, *, compact_json: bool = False) -> None:
    from aegis_cli.report import browse

    if as_json:
        typer.echo(browse.dumps(browse.summary_json(report), indent=None if compact_json else 2))
        return
    for part in browse.render_show(report, console.width):
        console.print(part)


@report_app.command("compare")
@handle_errors
def compare(
    a: str = typer.Argument(..., help="First project (A)."),
    b: str = typer.Argument(..., help="Second project (B)."),
    reports_dir: Path = typer.Option(None, "--reports-dir", "-d", help=_DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
) -> None:
    """Two runs side by side: loss, duration, samples/s, peak VRAM, energy, energy per 1k samples."""
    from aegis_cli.report import browse

    root = reports_dir or _reports_dir()
    ra, rb = browse.load(browse.resolve(root, a)), browse.load(browse.resolve(root, b))
    if as_json:
        typer.echo(browse.dumps(browse.compare_json(ra, rb)))
        return
    _out().print(browse.render_compare(ra, rb))


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
