"""`aegis models list`: the presets and whether each is available on this machine."""

from __future__ import annotations

import typer

from aegis_cli.cli.common import handle_errors

models_app = typer.Typer(help="Model presets.", no_args_is_help=True)


@models_app.command("list")
@handle_errors
def list_models(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Presets with kind, role, hardware hint and local availability."""
    import json

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from aegis_cli.providers.availability import availability
    from aegis_cli.providers.presets import load_presets, presets_path

    presets = load_presets()
    rows = [{"alias": alias, "id": p.id, "kind": p.kind, "role": p.role, "hardware": p.hardware,
             "available": availability(p.id)} for alias, p in presets.items()]
    if json_out:
        typer.echo(json.dumps(rows, indent=2))
        return
    t = Table(title=f"Model presets ({presets_path()})", title_justify="left")
    for col in ("alias", "model", "kind", "role", "hardware", "available here"):
        t.add_column(col, overflow="fold")
    for r in rows:
        avail = r["available"]
        t.add_row(Text(r["alias"], style="bold"), Text(r["id"]), r["kind"], Text(r["role"]), Text(r["hardware"]),
                  Text(avail, style="green" if avail.startswith(("yes", "builtin")) else "yellow"))
    Console().print(t)


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
