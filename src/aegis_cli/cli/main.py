"""The ``aegis`` command. Commands are thin: parse, call one core function, map errors.

Each command module only imports typer at import time, so ``aegis --help`` stays fast.
"""

from __future__ import annotations

import typer

from aegis_cli import __version__
from aegis_cli.cli import common

app = typer.Typer(
    name="aegis",
    help="Scan code with HuggingFace models and fine-tune them, with true per-model and hardware telemetry.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aegis {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", "-V", help="Print the version and exit.", callback=_version, is_eager=True),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    common.state["debug"] = debug


def _register() -> None:
    import importlib

    for name in ("scan", "models", "train", "report", "eval", "doctor"):
        try:
            module = importlib.import_module(f"aegis_cli.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"aegis_cli.cli.{name}":
                continue  # command not built yet
            raise
        module.register(app)


_register()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
