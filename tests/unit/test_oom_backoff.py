"""run_with_backoff: halve on out-of-memory, keep going, fail cleanly at one item."""

from __future__ import annotations

import pytest

from aegis_cli.errors import AegisError, ExitCode
from aegis_cli.providers.oom import OutOfMemoryFailure, is_oom, run_with_backoff


def _oom(message: str = "CUDA out of memory. Tried to allocate 1.00 GiB"):
    import torch

    return torch.cuda.OutOfMemoryError(message)


def test_halves_until_it_fits_and_keeps_the_smaller_size():
    sizes: list[int] = []
    shrunk: list[int] = []

    def fn(part):
        sizes.append(len(part))
        if len(part) > 3:
            raise _oom()
        return [x * 10 for x in part]

    out = run_with_backoff(list(range(10)), fn, on_shrink=shrunk.append)
    assert [x for part in out for x in part] == [x * 10 for x in range(10)]  # every item, in order
    assert sizes == [10, 5, 2, 2, 2, 2, 2] and shrunk == [5, 2]


def test_start_caps_the_first_batch():
    sizes: list[int] = []
    run_with_backoff(list(range(7)), lambda part: sizes.append(len(part)), start=3)
    assert sizes == [3, 3, 1]


def test_fails_cleanly_when_one_item_does_not_fit():
    calls: list[int] = []

    def fn(part):
        calls.append(len(part))
        raise _oom()

    with pytest.raises(OutOfMemoryFailure) as info:
        run_with_backoff([1, 2, 3, 4], fn, what="big-model")
    assert calls == [4, 2, 1]
    assert isinstance(info.value, AegisError) and info.value.exit_code == ExitCode.FAILED
    assert "big-model ran out of device memory even with one item per batch" in info.value.message


def test_other_errors_are_not_swallowed():
    def fn(part):
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        run_with_backoff([1, 2], fn)


def test_what_counts_as_out_of_memory():
    assert is_oom(_oom())
    assert is_oom(RuntimeError("MPS backend out of memory (MPS allocated: 1 GB)"))
    assert is_oom(MemoryError())
    assert not is_oom(RuntimeError("size mismatch"))
    assert not is_oom(ValueError("out of memory"))
