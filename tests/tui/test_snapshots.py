"""How the dashboard looks: recorded event streams replayed at 60, 100 and 160 columns.

Review a change with ``pytest tests/tui --snapshot-report``; accept it with
``pytest tests/tui/test_snapshots.py --snapshot-update``. The streams carry fixed
timestamps and the app gets a frozen clock, so elapsed time and ETA are deterministic.
"""

from __future__ import annotations

import pytest

from aegis_cli.telemetry.sinks import replay
from aegis_cli.tui.scan_app import ScanDashboard
from aegis_cli.tui.scan_state import DashboardSink, ScanState

from .helpers import load_sources, load_stream, result_from_events, wait_for

SIZES = [(60, 56), (100, 48), (160, 46)]


def replayed_app(stream: str) -> ScanDashboard:
    events = load_stream(stream)
    result = result_from_events(events, load_sources())
    state = ScanState()
    replay(events, DashboardSink(state))  # straight into the sink: no threads, same fold
    frozen = events[-1].ts
    return ScanDashboard(None, lambda: result, title="aegis scan demo-app.zip", state=state,
                         clock=lambda: frozen)


async def settle(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.job_done and app.query_one("FindingDetail").finding is not None)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("stream", ["cpu", "gpu"])
def test_dashboard_looks(snap_compare, stream, size):
    assert snap_compare(replayed_app(stream), terminal_size=size, run_before=settle)
