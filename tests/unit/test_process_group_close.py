"""The end of a torchrun job: every rank meets at a barrier; the group is destroyed only when the
caller does not end the process itself (a real one-process gloo group, in this process)."""

from __future__ import annotations

import pytest

dist = pytest.importorskip("torch.distributed")

from aegis_cli.train.runner import _close_process_group  # noqa: E402


@pytest.fixture
def gloo_group():
    if not dist.is_available():
        pytest.skip("torch.distributed is not built in")
    store = dist.HashStore()
    dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


def test_without_a_group_nothing_happens():
    notes = []
    assert _close_process_group(lambda *a: notes.append(a), destroy=True) is False
    assert notes == []


def test_destroy_tears_the_group_down(gloo_group):
    notes = []
    assert _close_process_group(lambda *a: notes.append(a), destroy=True) is True
    assert not dist.is_initialized() and notes == []


def test_hard_exit_keeps_the_group_for_the_process_end(gloo_group):
    notes = []
    assert _close_process_group(lambda *a: notes.append(a), destroy=False) is True
    assert dist.is_initialized() and notes == []
