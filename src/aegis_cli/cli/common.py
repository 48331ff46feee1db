"""What every command shares: error mapping, consoles, the --debug switch."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer

from aegis_cli.errors import AegisError, ConfigError, ExitCode

F = TypeVar("F", bound=Callable[..., Any])

state = {"debug": False}


def err_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(err: AegisError) -> None:
    from rich.text import Text

    from aegis_cli.redact import scrub
    from aegis_cli.textsafe import one_line

    console = err_console()
    line = Text("error: ", style="bold red")
    # one line, even when the message quotes a library's multi-line exception
    line.append(scrub(one_line(err.message).rstrip(".")), style="red")
    if err.hint:
        line.append(". Hint: ", style="dim")
        line.append(scrub(one_line(err.hint)))
    console.print(line)
    if isinstance(err, ConfigError):
        for problem in err.problems:
            console.print(Text("  - " + scrub(problem)))


def fail(err: AegisError) -> NoReturn:
    print_error(err)
    raise typer.Exit(int(err.exit_code))


def handle_errors(fn: F) -> F:
    """Map AegisError to its exit code with one line on stderr; tracebacks only with --debug."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AegisError as err:
            if state["debug"]:
                import traceback

                traceback.print_exc()
            fail(err)
        except KeyboardInterrupt:
            err_console().print("[yellow]interrupted[/]")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None

    return wrapper  # type: ignore[return-value]


def stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False
