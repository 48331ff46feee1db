"""Atomic file writes: a reader never sees half a file, and a failed write (full disk,
read-only folder, a crash) leaves the previous file exactly as it was."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from aegis_cli.errors import AegisError, ExitCode


def atomic_write_bytes(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Write a temporary file in the same folder, fsync it, then ``os.replace`` it over ``path``.

    A new file gets 0o666 through the umask, like any new file; a replaced file keeps its mode.
    Raises OSError when the write fails; the previous file is untouched and no temp file is left.
    """
    path = Path(path)
    tmp = path.parent / f".{path.name[:64]}.{secrets.token_hex(4)}.tmp"  # short: a 255-byte name must still work
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def atomic_write_text(path: Path, text: str, *, fsync: bool = True) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), fsync=fsync)


def write_output(path: Path, text: str) -> None:
    """A result file the user asked for: atomic, and a failure is one clear AegisError."""
    try:
        atomic_write_text(Path(path), text)
    except OSError as exc:
        raise AegisError(
            f"could not write {path}: {exc.strerror or exc}",
            "check that the folder exists and is writable, and that the disk has space",
            exit_code=ExitCode.FAILED,
        ) from exc
