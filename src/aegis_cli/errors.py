"""Errors a person can act on, and the exit codes they map to.

Every command catches :class:`AegisError` and prints ``message`` with ``hint``
as one line on stderr (a traceback only with ``--debug``).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1  # scan: findings at or above --fail-on
    USAGE = 2  # bad flags, config, input
    PARTIAL = 3  # scan: a model failed while others completed
    PUSH_FAILED = 4  # train: training succeeded, the Hub push did not
    FAILED = 5  # the job itself failed (every model failed, training raised)
    INTERRUPTED = 130  # Ctrl-C


class AegisError(Exception):
    """An error with a hint for the fix. ``exit_code`` defaults to 2 (usage/input)."""

    exit_code: int = ExitCode.USAGE

    def __init__(self, message: str, hint: str | None = None, *, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def one_line(self) -> str:
        from aegis_cli.textsafe import (
            one_line,  # one line even when the message quotes a multi-line exception
        )

        text = one_line(self.message).rstrip(".")
        hint = one_line(self.hint) if self.hint else ""
        return f"{text}. Hint: {hint}" if hint else text

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.one_line()


class ConfigError(AegisError):
    """A configuration file or option is invalid; ``problems`` lists every one found."""

    def __init__(self, message: str, hint: str | None = None, problems: list[str] | None = None):
        super().__init__(message, hint)
        self.problems = list(problems or [])


class InputError(AegisError):
    """The scan target or another input cannot be read."""


class ModelLoadError(AegisError):
    """A model could not be loaded (missing, corrupt, refused by a safety rule)."""

    exit_code = ExitCode.FAILED


class JobFailed(AegisError):
    exit_code = ExitCode.FAILED
