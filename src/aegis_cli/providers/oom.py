"""Out-of-memory during inference: halve the batch and go on, down to one item; then fail
the model cleanly (an AegisError the pipeline turns into ModelFailed while the other
models finish).

``run_with_backoff(items, fn)`` calls ``fn`` on consecutive sub-batches of ``items``.
When ``fn`` runs out of device memory the sub-batch is halved and retried; the smaller
size is kept for the rest of ``items`` (memory pressure rarely improves mid-window) and
reported through ``on_shrink`` so a provider can remember it for the next window.
Before each retry the failed attempt's memory is released: the exception (whose
traceback pins the tensors of the failed call) is dropped, then ``gc`` and the CUDA
cache allocator's ``empty_cache`` run.

Used by the generative provider; the classifier can wrap its forward passes the same way.
torch is imported only to recognise its exception classes.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from typing import TypeVar

from aegis_cli.errors import AegisError, ExitCode

T = TypeVar("T")
R = TypeVar("R")


class OutOfMemoryFailure(AegisError):
    """Even one item at a time does not fit the device's memory."""

    exit_code = ExitCode.FAILED


def is_oom(exc: BaseException) -> bool:
    """True for CUDA's OutOfMemoryError and the RuntimeErrors MPS/CPU allocators raise."""
    try:
        import torch

        if isinstance(exc, torch.cuda.OutOfMemoryError):
            return True
    except Exception:
        pass
    if isinstance(exc, MemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def release_memory() -> None:
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:
        pass


def run_with_backoff(items: Sequence[T], fn: Callable[[Sequence[T]], R], *, start: int | None = None,
                     on_shrink: Callable[[int], None] | None = None, what: str = "the model") -> list[R]:
    """``[fn(part) for part in sub-batches of items]``, halving the sub-batch size on OOM.

    ``start`` caps the first sub-batch size (default: all of ``items``). Raises
    :class:`OutOfMemoryFailure` when a single item still runs out of memory."""
    results: list[R] = []
    size = max(1, min(start or len(items), len(items)))
    i = 0
    while i < len(items):
        part = items[i:i + size]
        failed = False
        try:
            results.append(fn(part))
        except Exception as exc:
            if not is_oom(exc):
                raise
            failed = True
            detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        if not failed:
            i += len(part)
            continue
        # the except block is over, so the traceback (and the failed call's tensors) can go
        release_memory()
        if size == 1:
            raise OutOfMemoryFailure(
                f"{what} ran out of device memory even with one item per batch ({detail})",
                "use --quantize int4, a smaller model, a shorter max_new_tokens, or a device with more memory")
        size = max(1, size // 2)
        if on_shrink is not None:
            on_shrink(size)
    return results
