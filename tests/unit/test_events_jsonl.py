import json
import math

import pytest

from aegis_cli.errors import InputError
from aegis_cli.telemetry import EventBus, JsonlRecorder, MemorySink, read_jsonl, replay
from aegis_cli.telemetry.events import (
    FileSkipped,
    FindingFound,
    GpuSample,
    HardwareSample,
    ModelCall,
    ModelCompleted,
    ModelStarted,
    RunFinished,
    RunStarted,
    TrainStep,
    event_from_dict,
    event_types,
)


def _stream():
    return [
        RunStarted(run_id="r1", kind="scan", meta={"target": "x.zip"}),
        ModelStarted(model_id="m", name="codebert", provider="hf", device="cuda:0", vram_mb=2048.5,
                     load_time_ms=3421.0, quantization=None, precision="bf16", parameters=124_000_000),
        ModelCall(model_id="m", latency_ms=12.5, input_tokens=4000, output_tokens=0, items=8),
        FindingFound(finding={"path": "a.py", "start_line": 3, "cwe": "CWE-89", "models": ["m"]}),
        FileSkipped(path="b.bin", reason="binary (NUL bytes)"),
        HardwareSample(gpus=(GpuSample(index=0, uuid="GPU-1", util_pct=97.0, power_w=650.5, energy_mj=1e9),),
                       cpu_pct=12.0, rss_mb=800.0),
        TrainStep(step=1, max_steps=10, epoch=0.1, loss=math.nan, learning_rate=1e-4, grad_norm=math.inf,
                  samples_seen=8),
        ModelCompleted(model_id="m", calls=1, avg_latency_ms=12.5, findings=1, input_tokens=4000,
                       output_tokens=0, total_tokens=4000, tokens_per_s=320000.0),
        RunFinished(run_id="r1", status="completed"),
    ]


def test_every_event_type_round_trips_through_dict():
    for event in _stream():
        if isinstance(event, TrainStep):  # NaN != NaN: checked field by field in the JSONL test
            continue
        assert event_from_dict(event.to_dict()) == event
    assert {"ModelStarted", "ModelCall", "HardwareSample", "TrainStep"} <= set(event_types())


def test_jsonl_recording_is_strict_json_and_replays_into_the_same_sinks(tmp_path):
    path = tmp_path / "log" / "t.jsonl"
    live = MemorySink()
    bus = EventBus([JsonlRecorder(path), live])
    for e in _stream():
        bus.publish(e)
    bus.close()
    lines = path.read_text().splitlines()
    assert len(lines) == len(_stream())
    for line in lines:  # strict JSON: no NaN/Infinity tokens
        json.loads(line, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    replayed = MemorySink()
    assert replay(read_jsonl(path), replayed) == len(lines)
    assert [type(e) for e in replayed.events] == [type(e) for e in live.events]
    step = replayed.of_type(TrainStep)[0]
    assert math.isnan(step.loss) and step.grad_norm == math.inf
    assert replayed.events[1] == live.events[1]


def test_a_torn_last_line_is_skipped_or_reported_when_strict(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(ModelCall(model_id="m", latency_ms=1, input_tokens=1, output_tokens=0, items=1).to_dict())
                    + '\n{"type": "ModelCall", "model_')
    assert len(list(read_jsonl(path))) == 1
    with pytest.raises(InputError):
        list(read_jsonl(path, strict=True))


def test_recorder_scrubs_secret_values(tmp_path, monkeypatch):
    monkeypatch.setenv("COMET_API_KEY", "sentinel-comet-123456")
    monkeypatch.setenv("MY_SERVICE_TOKEN", "sentinel-token-abcdef")
    path = tmp_path / "t.jsonl"
    bus = EventBus([JsonlRecorder(path)])
    bus.publish(RunStarted(run_id="r", kind="train", meta={"note": "key is sentinel-comet-123456"}))
    bus.publish(RunFinished(run_id="r", status="failed", error="401 for sentinel-token-abcdef"))
    bus.close()
    text = path.read_text()
    assert "sentinel" not in text and text.count("***") == 2


def test_recorder_on_unwritable_path_is_a_clear_input_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError) as err:
        JsonlRecorder(blocker / "sub" / "t.jsonl")
    assert "--telemetry-log" in err.value.hint
