"""The training dashboard driven by a recorded `aegis train` event stream on a real bus.

The job functions here stand in for ``run_training``: they publish the recorded events and
honour the stop event the dashboard hands them, as run_training does, and return a real
TrainOutcome. The end-to-end run (real training, a real terminal, Ctrl-C) is in
tests/functional/test_train_dashboard_cli.py.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from aegis_cli.errors import AegisError
from aegis_cli.report.plots import NO_GPU
from aegis_cli.telemetry.bus import EventBus
from aegis_cli.telemetry.events import RunFinished, RunStarted, TrainStep
from aegis_cli.train.runner import TrainOutcome
from aegis_cli.tui.train_app import TrainDashboard, dashboard_outcome
from aegis_cli.tui.widgets.chart_panel import ChartPanel

from .helpers import load_stream, screen_text, wait_for

pytestmark = pytest.mark.anyio


def outcome(tmp_path: Path, status: str = "completed", steps: int = 200) -> TrainOutcome:
    report_dir = tmp_path / "docs" / "reports" / "aegis-smoke"
    report_dir.mkdir(parents=True, exist_ok=True)
    for name in ("report.md", "telemetry.png", "history.json"):
        (report_dir / name).write_text("x")
    code = {"completed": 0, "interrupted": 130, "failed": 5}[status]
    return TrainOutcome(status=status, exit_code=code, project_name="aegis-smoke", report_dir=report_dir, steps=steps)


def replaying_job(bus: EventBus, events, result: TrainOutcome, *, pace_s: float = 0.0):
    def job(stop: threading.Event) -> TrainOutcome:
        for event in events:
            bus.publish(event)
            if pace_s:
                time.sleep(pace_s)
        return result
    return job


def charts(app) -> dict[str, ChartPanel]:
    return {c.id: c for c in app.query(ChartPanel)}


async def test_recorded_cpu_run_fills_the_dashboard(tmp_path):
    events = load_stream("train_cpu")
    bus = EventBus()
    app = TrainDashboard(bus, replaying_job(bus, events, outcome(tmp_path)), title="aegis train aegis-smoke")
    async with app.run_test(size=(120, 42)) as pilot:
        await wait_for(pilot, lambda: app.job_done and app.chart_redraws > 0 and charts(app)["chart-loss"].draws > 0)
        await pilot.pause(0.3)
        text = screen_text(app)
        assert "aegis-smoke · builtin:tiny-causal-lm" in text
        assert " CPU " in text and " FP32 " in text  # the scan dashboard's badges, from the loaded model
        assert "✓ completed" in text
        assert "Step 200/200" in text and "Epoch 8.71" in text and "done" in text
        assert "Training loss  5.8440" in text and "Learning rate  2.05e-07" in text  # the last logged values
        assert text.count(NO_GPU.split(":")[0]) == 4  # four GPU panels say so, none draws zeros
        assert "samples/s" in text and "tokens/s" in text
        log = "\n".join(strip.text for strip in app.query_one("EventLog").lines)
        assert "[INFO] checkpoint saved: runs/aegis-smoke/checkpoint-200" in log
        assert "[SUCCESS] Train completed" in log
        assert "report written:" in log and "press q to close" in log
        loss = charts(app)["chart-loss"].panel
        assert [line.label for line in loss.lines] == ["raw", "smoothed"]
        assert loss.x[-1] == 200
        await pilot.press("q")  # the run is over: q closes at once
    assert dashboard_outcome(app).status == "completed"
    bus.close()


async def test_gpu_stream_draws_the_gpu_panels(tmp_path):
    events = load_stream("train_gpu")
    bus = EventBus()
    app = TrainDashboard(bus, replaying_job(bus, events, outcome(tmp_path)), title="aegis train aegis-smoke")
    async with app.run_test(size=(140, 46)) as pilot:
        await wait_for(pilot, lambda: app.job_done and charts(app)["chart-power"].draws > 0)
        await pilot.pause(0.3)
        text = screen_text(app)
        assert " CUDA:0 " in text and " BF16 " in text
        assert "GPU0" in text and "Power" in text  # the live hardware strip
        panels = charts(app)
        assert all(p.panel.drawable for p in panels.values())
        assert panels["chart-vram"].panel.latest.endswith(" MB")
        assert {line.label for line in panels["chart-power"].panel.lines} == {"mean", "min", "max"}
        assert "no GPU" not in text
    bus.close()


def stepping_job(bus: EventBus, tmp_path: Path, *, started: threading.Event, steps_per_s: float = 50.0,
                 catch_interrupt: bool = True):
    """Publishes steps until told to stop, like run_training with its stop event: the report says
    INTERRUPTED. A KeyboardInterrupt (the second Ctrl-C) also ends it as INTERRUPTED."""

    def job(stop: threading.Event) -> TrainOutcome:
        bus.publish(RunStarted(run_id="r", kind="train", meta={"project": "p", "device": "cpu", "max_steps": 10**6}))
        step = 0
        try:
            while not stop.is_set():
                step += 1
                bus.publish(TrainStep(step=step, max_steps=10**6, epoch=None, loss=1.0 / step, learning_rate=1e-3,
                                      grad_norm=None, samples_seen=step))
                started.set()
                deadline = time.monotonic() + 1.0 / steps_per_s
                while time.monotonic() < deadline:  # busy, in Python: an async exception lands here
                    pass
        except KeyboardInterrupt:
            if not catch_interrupt:
                raise
            bus.publish(RunFinished(run_id="r", status="interrupted", error="interrupted by the user (Ctrl-C)"))
            return outcome(tmp_path, "interrupted", step)
        bus.publish(RunFinished(run_id="r", status="interrupted", error="stopped on request"))
        return outcome(tmp_path, "interrupted", step)

    return job


async def test_ctrl_c_stops_training_through_the_stop_event_and_closes(tmp_path):
    bus = EventBus()
    started = threading.Event()
    app = TrainDashboard(bus, stepping_job(bus, tmp_path, started=started), title="t")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, started.is_set)
        assert not app.stop_event.is_set()
        await pilot.press("ctrl+c")
        assert app.stop_event.is_set()
        await wait_for(pilot, lambda: app.job_done)
    # the app closed by itself once the job returned
    result = dashboard_outcome(app)
    assert (result.status, result.exit_code) == ("interrupted", 130)
    bus.close()


async def test_q_asks_once_then_stops(tmp_path):
    bus = EventBus()
    started = threading.Event()
    app = TrainDashboard(bus, stepping_job(bus, tmp_path, started=started), title="t")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, started.is_set)
        await pilot.press("q")
        await pilot.pause(0.2)
        assert not app.stop_event.is_set() and not app.job_done  # a single q only warns
        await pilot.press("q")
        await wait_for(pilot, lambda: app.job_done)
    assert dashboard_outcome(app).status == "interrupted"
    bus.close()


async def test_second_ctrl_c_aborts_the_training_thread(tmp_path):
    bus = EventBus()
    started = threading.Event()

    def ignores_stop(bus, tmp_path, started):
        inner = stepping_job(bus, tmp_path, started=started)
        return lambda stop: inner(threading.Event())  # a step that never ends: only an abort stops it

    app = TrainDashboard(bus, ignores_stop(bus, tmp_path, started), title="t")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, started.is_set)
        await pilot.press("ctrl+c")
        await pilot.pause(0.3)
        assert not app.job_done
        assert "stopping" in screen_text(app)
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: app.job_done)
    assert dashboard_outcome(app).status == "interrupted"
    bus.close()


async def test_ctrl_c_while_the_model_loads_aborts_at_once(tmp_path):
    bus = EventBus()
    loading = threading.Event()

    def job(stop):
        loading.set()
        while True:  # loading a model: no step, no stop check
            time.sleep(0.001)

    app = TrainDashboard(bus, job, title="t")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, loading.is_set)
        assert "loading the model" in screen_text(app)
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: app.job_done)
    with pytest.raises(KeyboardInterrupt):
        dashboard_outcome(app)  # the CLI maps it to exit 130
    bus.close()


async def test_a_job_that_fails_before_training_closes_and_reraises(tmp_path):
    bus = EventBus()

    def job(stop):
        raise AegisError("dataset not found", "check dataset.source")

    app = TrainDashboard(bus, job, title="t")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.job_done)
    with pytest.raises(AegisError, match="dataset not found"):
        dashboard_outcome(app)
    bus.close()


async def test_charts_wait_for_the_cpu_budget_but_never_go_stale(tmp_path):
    """With a budget nothing can meet, charts are redrawn only every chart_max_stale_s."""
    bus = EventBus()
    started = threading.Event()
    app = TrainDashboard(bus, stepping_job(bus, tmp_path, started=started, steps_per_s=100), title="t",
                         redraw_cpu_budget=0.0, chart_min_s=0.0, chart_max_stale_s=0.6)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.chart_redraws >= 1)
        first = app.chart_redraws
        t0 = time.monotonic()
        await wait_for(pilot, lambda: app.chart_redraws >= first + 2, timeout=10)
        elapsed = time.monotonic() - t0
        assert elapsed >= 1.0  # two more redraws, each at least 0.6 s after the one before
        assert app.redraws <= 4 * (elapsed + 2)  # never more than ~4 state redraws a second
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: app.job_done)
    bus.close()
