"""Scan result exports: ``table`` (terminal), ``json``, ``sarif`` (2.1.0) and ``markdown``.

All exporters take a finished :class:`~aegis_cli.scan.result.ScanResult`, scrub secret
values from the environment out of it, and make text that scanned files or models
control inert for the format (see :mod:`aegis_cli.textsafe`). Imports neither torch
nor textual; each format's module is imported when it is first used.
"""

from __future__ import annotations

import os
from pathlib import Path

from aegis_cli.errors import InputError
from aegis_cli.fsutil import write_output
from aegis_cli.scan.result import ScanResult

FORMATS: tuple[str, ...] = ("table", "json", "sarif", "markdown")
_SUFFIXES: tuple[tuple[str, str], ...] = (
    (".sarif.json", "sarif"),
    (".sarif", "sarif"),
    (".json", "json"),
    (".md", "markdown"),
    (".markdown", "markdown"),
    (".txt", "table"),
)

__all__ = ["FORMATS", "format_for_path", "render", "write"]


def format_for_path(path: str | os.PathLike[str] | None) -> str | None:
    """The format a file name asks for (``x.sarif`` → ``sarif``), or None when it says nothing."""
    if path is None:
        return None
    name = Path(path).name.lower()
    return next((fmt for suffix, fmt in _SUFFIXES if name.endswith(suffix) and name != suffix), None)


def render(result: ScanResult, fmt: str, *, color: bool = False, width: int | None = None) -> str:
    """``result`` as text in ``fmt`` (one of :data:`FORMATS`). ``color``/``width`` apply to ``table``."""
    if fmt == "table":
        from aegis_cli.scan.export.table import render_table

        return render_table(result, color=color, width=width)
    if fmt == "json":
        from aegis_cli.scan.export.json_export import render_json

        return render_json(result)
    if fmt == "sarif":
        from aegis_cli.scan.export.sarif import render_sarif

        return render_sarif(result)
    if fmt == "markdown":
        from aegis_cli.scan.export.markdown import render_markdown

        return render_markdown(result)
    raise InputError(f"unknown export format {fmt!r}", f"use one of: {', '.join(FORMATS)}")


def write(result: ScanResult, fmt: str, path: Path) -> None:
    """Write ``result`` to ``path`` atomically (see :func:`aegis_cli.fsutil.atomic_write_bytes`)."""
    write_output(Path(path), render(result, fmt))
