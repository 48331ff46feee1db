"""The training dashboard's state, folded from a recorded `aegis train` event stream."""

from __future__ import annotations

from pathlib import Path

import pytest

from aegis_cli.telemetry.events import GpuSample, HardwareSample, RunFinished, RunStarted, TrainStep
from aegis_cli.telemetry.sinks import read_jsonl, replay
from aegis_cli.tui.train_state import TrainDashboardSink, TrainState, elapsed_s, eta_s

DATA = Path(__file__).parents[1] / "tui" / "data"


def folded(name: str) -> tuple[TrainState, list]:
    events = list(read_jsonl(DATA / f"{name}_stream.jsonl", strict=True))
    state = TrainState()
    replay(events, TrainDashboardSink(state))
    return state, events


def test_recorded_cpu_run_folds_into_columns_and_status():
    state, events = folded("train_cpu")
    steps = [e for e in events if isinstance(e, TrainStep)]
    snap = state.snapshot(0)
    assert snap.status == "completed"
    assert (snap.project, snap.device, snap.precision, snap.quantization) == ("aegis-smoke", "cpu", "fp32", None)
    assert snap.has_gpu is False
    assert snap.n_steps == len(steps) == 20
    assert snap.column("step") == [e.step for e in steps]
    assert snap.column("loss") == [e.loss for e in steps]
    assert snap.column("tokens_per_s") == [e.tokens_per_s for e in steps]
    assert snap.column("power_mean_w") == [None] * 20  # no GPU: unknown, never 0
    assert (snap.step, snap.max_steps) == (200, 200)
    assert any("checkpoint saved: runs/aegis-smoke/checkpoint-100" in line for line in snap.new_lines)
    assert snap.new_lines[-1].startswith("[SUCCESS] Train completed")
    assert eta_s(snap, snap.finished_ts + 50) == 0.0
    assert elapsed_s(snap, snap.finished_ts + 50) == pytest.approx(snap.finished_ts - snap.started_ts)


def test_gpu_samples_between_steps_become_the_interval_figures():
    state = TrainState()
    state.apply(RunStarted(run_id="r", kind="train", ts=0.0, meta={"device": "cuda:0", "max_steps": 100}))

    def sample(ts, *powers, util=50.0, temp=60.0):
        gpus = tuple(GpuSample(index=i, uuid=None, power_w=p, util_pct=util, temp_c=temp + i) for i, p in enumerate(powers))
        state.apply(HardwareSample(ts=ts, gpus=gpus))

    def step(ts, n):
        state.apply(TrainStep(ts=ts, step=n, max_steps=100, epoch=None, loss=1.0, learning_rate=1e-4, grad_norm=None,
                              samples_seen=n * 8, peak_vram_mb=1000.0))

    sample(0.5, 100.0, 200.0, util=40.0)
    sample(1.0, 150.0, 250.0, util=60.0)
    step(1.2, 10)
    step(1.4, 20)  # logged faster than the sampler: its latest reading, not a gap
    sample(10.0, 50.0, 50.0)
    step(20.0, 30)
    snap = state.snapshot(0)
    assert snap.has_gpu is True
    assert snap.column("power_min_w")[0] == 300.0 and snap.column("power_max_w")[0] == 400.0  # summed over GPUs
    assert snap.column("power_mean_w")[0] == 350.0
    assert snap.column("util_pct")[0] == 50.0
    assert snap.column("temp_max_c")[0] == 61.0
    assert snap.column("power_mean_w")[1] == 400.0
    assert snap.column("power_mean_w")[2] == 100.0  # the sample in its interval
    step(40.0, 40)  # nothing recent: unknown
    assert state.snapshot(0).column("power_mean_w")[3] is None


def test_eta_from_the_pace_so_far_and_counting_down():
    state = TrainState()
    state.apply(RunStarted(run_id="r", kind="train", ts=100.0, meta={"device": "cpu", "max_steps": 100, "resumed_from": 40}))
    snap = state.snapshot(0)
    assert (snap.step, snap.start_step) == (40, 40)
    assert eta_s(snap, 105.0) is None  # no step yet
    state.apply(TrainStep(ts=110.0, step=50, max_steps=100, epoch=1.0, loss=1.0, learning_rate=None, grad_norm=None,
                          samples_seen=0))
    snap = state.snapshot(0)
    assert eta_s(snap, 110.0) == pytest.approx(50.0)  # 10 steps took 10 s; 50 to go
    assert eta_s(snap, 114.0) == pytest.approx(46.0)
    state.apply(RunFinished(run_id="r", status="interrupted", ts=120.0))
    snap = state.snapshot(0)
    assert snap.status == "interrupted" and eta_s(snap, 130.0) == 0.0
    assert elapsed_s(snap, 500.0) == pytest.approx(20.0)


def test_a_step_logged_twice_is_one_point():
    state = TrainState()
    for ts in (1.0, 2.0):
        state.apply(TrainStep(ts=ts, step=10, max_steps=None, epoch=None, loss=1.0, learning_rate=None,
                              grad_norm=None, samples_seen=0))
    assert state.snapshot(0).n_steps == 1
