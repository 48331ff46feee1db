"""The dashboard's state: every event folds in (lossless), the latest figures win."""

from aegis_cli.telemetry.bus import EventBus
from aegis_cli.telemetry.events import (
    FindingFound,
    ModelCall,
    ModelCompleted,
    ModelFailed,
    ModelLoading,
    ModelStarted,
    RunFinished,
    RunStarted,
    ScanProgress,
)
from aegis_cli.tui.scan_state import DashboardSink, ScanState, elapsed_s, eta_s


def start(state, model_id="m", name="codebert-base", device="cuda:0", ts=10.0):
    state.apply(ModelLoading(model_id=model_id, name=name, ts=ts))
    state.apply(ModelStarted(model_id=model_id, name=name, provider="hf", device=device, vram_mb=500.0,
                             load_time_ms=1200.0, quantization=None, precision="bf16", ts=ts + 1))


def test_running_figures_then_the_pipelines_totals_win():
    s = ScanState()
    start(s)
    view = s.snapshot(0, 0).models[0]
    assert (view.status, view.calls, view.avg_latency_ms, view.tokens_per_s) == ("running", 0, 0.0, None)
    s.apply(ModelCall(model_id="m", latency_ms=100.0, input_tokens=900, output_tokens=100, items=1))
    s.apply(ModelCall(model_id="m", latency_ms=300.0, input_tokens=900, output_tokens=100, items=1))
    view = s.snapshot(0, 0).models[0]
    assert view.calls == 2 and view.avg_latency_ms == 200.0
    assert view.basis == "output" and view.tokens_per_s == 500.0  # 200 generated tokens / 0.4 s
    s.apply(ModelCompleted(model_id="m", calls=2, avg_latency_ms=201.0, findings=3, input_tokens=1800,
                           output_tokens=200, total_tokens=2000, tokens_per_s=480.0, speed_basis="output"))
    view = s.snapshot(0, 0).models[0]
    assert (view.status, view.avg_latency_ms, view.tokens_per_s, view.findings) == ("completed", 201.0, 480.0, 3)


def test_an_unmeasured_speed_stays_unknown_after_completion():
    s = ScanState()
    start(s)
    s.apply(ModelCompleted(model_id="m", calls=0, avg_latency_ms=None, findings=0, input_tokens=0,
                           output_tokens=0, total_tokens=0, tokens_per_s=None))
    assert s.snapshot(0, 0).models[0].tokens_per_s is None


def test_findings_are_counted_for_the_models_that_report_them_and_new_items_are_incremental():
    s = ScanState()
    start(s, "a", "model-a")
    start(s, "b", "model-b")
    for models in (["model-a"], ["model-a", "model-b"]):
        s.apply(FindingFound(finding={"path": "x.py", "severity": "high", "models": models}))
    snap = s.snapshot(0, 0)
    assert {m.model_id: m.findings for m in snap.models} == {"a": 2, "b": 1}
    assert len(snap.new_findings) == 2 and len(snap.new_lines) == 2  # two "Model started" lines
    s.apply(ModelFailed(model_id="b", error="boom"))
    later = s.snapshot(snap.log_seq, snap.findings_seen)
    assert later.new_findings == [] and later.new_lines == ["[ERROR] Model failed: model-b (boom)"]


def test_progress_fraction_eta_and_frozen_elapsed():
    s = ScanState()
    s.apply(RunStarted(run_id="r", kind="scan", meta={"models": ["a", "b"], "files_total": 10}, ts=100.0))
    start(s, "a", "a", ts=100.0)
    s.apply(ScanProgress(done=50, total=100, unit="chunks", model_id="a", ts=110.0))
    snap = s.snapshot(0, 0)
    assert snap.fraction == 0.25  # half of the first of two models
    assert elapsed_s(snap, now=120.0) == 20.0
    assert eta_s(snap, now=120.0) == 60.0
    assert (snap.progress.chunks_done, snap.progress.chunks_total) == (50, 100)
    s.apply(RunFinished(run_id="r", status="completed", ts=130.0))
    snap = s.snapshot(0, 0)
    assert elapsed_s(snap, now=999.0) == 30.0 and eta_s(snap, now=999.0) == 0.0 and snap.fraction == 1.0


def test_the_sink_loses_nothing_under_a_burst():
    state = ScanState()
    with EventBus([DashboardSink(state)]) as bus:
        bus.publish(ModelStarted(model_id="m", name="n", provider="hf", device="cpu", vram_mb=None,
                                 load_time_ms=1.0, quantization=None, precision="fp32"))
        for _ in range(20_000):
            bus.publish(ModelCall(model_id="m", latency_ms=1.0, input_tokens=3, output_tokens=0, items=1))
        bus.publish(ModelCompleted(model_id="m", calls=20_000, avg_latency_ms=1.0, findings=0, input_tokens=60_000,
                                   output_tokens=0, total_tokens=60_000, tokens_per_s=3000.0))
    view = state.snapshot(0, 0).models[0]
    assert view.status == "completed" and view.calls == 20_000 and view.input_tokens == 60_000
    assert state.version == 20_002
