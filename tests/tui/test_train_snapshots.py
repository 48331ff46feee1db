"""How the training dashboard looks: recorded event streams replayed at two terminal sizes.

``train_cpu`` is a real `aegis train` recording (the smoke run on this CPU machine);
``train_gpu`` is derived from it with GPU-shaped samples so the GPU panels are reviewed
(see data/make_train_streams.py). Review a change with ``pytest tests/tui --snapshot-report``;
accept it with ``pytest tests/tui/test_train_snapshots.py --snapshot-update``. The app gets
a frozen clock, so elapsed time and ETA are deterministic.
"""

from __future__ import annotations

import pytest

from aegis_cli.telemetry.sinks import replay
from aegis_cli.tui.train_app import TrainDashboard
from aegis_cli.tui.train_state import TrainDashboardSink, TrainState

from .helpers import load_stream, wait_for

SIZES = [(90, 40), (150, 48)]


def replayed_app(stream: str) -> TrainDashboard:
    events = load_stream(stream)
    state = TrainState()
    replay(events, TrainDashboardSink(state))  # straight into the sink: no threads, same fold
    frozen = events[-1].ts
    return TrainDashboard(None, None, title="aegis train aegis-smoke", state=state, clock=lambda: frozen)


async def settle(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.chart_redraws > 0)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("stream", ["train_cpu", "train_gpu"])
def test_train_dashboard_looks(snap_compare, stream, size):
    assert snap_compare(replayed_app(stream), terminal_size=size, run_before=settle)
