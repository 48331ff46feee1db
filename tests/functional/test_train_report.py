"""Real Trainer runs on tiny models: the report, history and events tell the truth about the run."""

from __future__ import annotations

import json
import math
import re
import threading

import pytest

from aegis_cli.errors import ExitCode
from aegis_cli.report.history import rows
from aegis_cli.telemetry import EventBus, LogMessage, MemorySink, RunFinished, RunStarted, TrainStep
from helpers.tiny_train import tiny_model, train_config


def _run(cfg, **kwargs):
    from aegis_cli.train.runner import run_training

    sink = MemorySink()
    bus = EventBus([sink])
    try:
        outcome = run_training(cfg, bus=bus, handle_sigint=False, **kwargs)
    finally:
        bus.close()
    return outcome, sink


def _history(outcome) -> dict:
    return json.loads(outcome.history_json.read_text())


def _row(report: str, name: str) -> str:
    match = re.search(rf"^\| {re.escape(name)} \| (.*?) \|", report, re.M)
    assert match, f"no row {name!r} in report"
    return match.group(1)


class RaiseAt:
    """A TrainerCallback that raises ``exc`` at the end of optimizer step ``step``."""

    def __init__(self, step: int, exc: BaseException):
        from transformers import TrainerCallback

        outer = self

        class _Cb(TrainerCallback):
            def on_step_end(self, args, state, control, **kw):
                if state.global_step == outer.step:
                    raise outer.exc

        self.step, self.exc, self.callback = step, exc, _Cb()


def test_lora_causal_lm_report_matches_history(tmp_path):
    cfg = train_config(tmp_path, max_steps=8)
    outcome, sink = _run(cfg)
    assert outcome.status == "completed" and outcome.exit_code == ExitCode.OK
    report = outcome.report_md.read_text()
    history = _history(outcome)

    for section in ("## 1. Executive summary", "## 2. Key metrics", "## 3. Configuration snapshot",
                    "## 4. Hub deployment", "## 5. Comet ML", "## Run segments"):
        assert section in report
    assert "✅ COMPLETED" in _row(report, "Status")
    # numbers in the report are the history's
    entries = rows(history)
    assert [e["step"] for e in entries] == [2, 4, 6, 8]
    first, last = entries[0]["loss"], entries[-1]["loss"]
    assert _row(report, "Loss (initial → final)").startswith(f"{first:.4f} → {last:.4f}")
    assert _row(report, "Optimizer steps") == "8 of 8"
    samples = 8 * 4 * 2 * 1
    assert _row(report, "Total samples") == f"{samples:,}"
    assert entries[-1]["samples"] == samples
    model = history["model"]
    assert 0 < model["trainable_parameters"] < model["parameters"]
    pct = 100 * model["trainable_parameters"] / model["parameters"]
    assert _row(report, "Trainable parameters") == (
        f"{model['trainable_parameters']:,} of {model['parameters']:,} ({pct:.2f} %)")
    duration = history["segments"][0]["duration_s"]
    assert f"{duration / 3600:.4f} h" in _row(report, "Duration")
    # tokens were counted from the batches fed (non-padding), so tokens/s is known
    assert all(isinstance(e["tokens"], int) and e["tokens"] > 0 for e in entries)
    tokens_per_s = sum(e["tokens"] for e in entries) / sum(e["interval_s"] for e in entries)
    assert _row(report, "Tokens/s") == f"{tokens_per_s:,.1f}"
    # no GPU here: the GPU rows are N/A, never 0
    for name in ("Peak VRAM", "Average VRAM", "Peak power", "Average power", "Total energy",
                 "Average GPU utilization", "Peak temperature"):
        assert _row(report, name).startswith("N/A")
    assert all(e["vram_peak_mb"] is None and e["power_mean_w"] is None for e in entries)
    # the configuration is read from the loaded model and the TrainingArguments
    assert "LlamaForCausalLM" in _row(report, "Architecture")
    assert _row(report, "LoRA").startswith("r=4, alpha=8")
    assert "q_proj" in _row(report, "LoRA")
    assert _row(report, "Effective batch").startswith("8 (4 × 2 accumulation")
    seg = history["segments"]
    assert len(seg) == 1 and seg[0]["status"] == "completed" and seg[0]["world_size"] == 1
    assert outcome.telemetry_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (outcome.final_dir / "adapter_config.json").is_file()
    # events for sinks (console, dashboard): one TrainStep per log step, started and finished once
    steps = sink.of_type(TrainStep)
    assert [e.step for e in steps] == [2, 4, 6, 8]
    assert steps[-1].samples_seen == samples and steps[-1].loss == pytest.approx(last)
    assert len(sink.of_type(RunStarted)) == 1
    finished = sink.of_type(RunFinished)
    assert len(finished) == 1 and finished[0].status == "completed"


def test_six_panels_with_titles_and_no_gpu_notice(tmp_path):
    from aegis_cli.report.charts import PANEL_TITLES, build_figure

    outcome, _ = _run(train_config(tmp_path, max_steps=4))
    fig = build_figure(_history(outcome))
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == list(PANEL_TITLES)
    assert titles == ["Training loss", "Learning rate", "Peak VRAM (MB)", "GPU utilization (%)",
                      "Power draw (W)", "Temperature (°C)"]
    loss_ax = fig.axes[0]
    assert {line.get_label() for line in loss_ax.get_lines()} == {"raw", "smoothed"}
    for ax in fig.axes[2:]:  # panels 3-6 say why they are empty instead of drawing zeros
        assert not ax.get_lines()
        assert "no GPU" in " ".join(t.get_text() for t in ax.texts)


@pytest.mark.parametrize("task", ["sequence_classification", "token_classification"])
def test_classifiers_train_and_report(tmp_path, task):
    cfg = train_config(tmp_path, task=task, max_steps=4, lora=task == "token_classification")
    outcome, _ = _run(cfg)
    assert outcome.status == "completed", outcome.error
    history = _history(outcome)
    assert history["model"]["task"] == task
    arch = "ForSequenceClassification" if task == "sequence_classification" else "ForTokenClassification"
    assert arch in history["model"]["architecture"]
    if task == "sequence_classification":  # full fine-tune: every parameter trains
        assert history["model"]["trainable_parameters"] == history["model"]["parameters"]
        assert "off (all weights trained)" in outcome.report_md.read_text()


def test_resume_from_checkpoint_appends_without_duplicates(tmp_path):
    cfg = train_config(tmp_path, max_steps=8, training={"save_steps": 4, "save_total_limit": 3})
    first, _ = _run(cfg)
    assert first.status == "completed"
    checkpoint = tmp_path / "ckpt" / "checkpoint-4"
    assert (checkpoint / "trainer_state.json").is_file()
    before = _history(first)
    seg0_duration = before["segments"][0]["duration_s"]

    second, sink = _run(cfg, resume=str(checkpoint))
    assert second.status == "completed"
    history = _history(second)
    steps = [e["step"] for e in rows(history)]
    assert steps == [2, 4, 6, 8]  # 6 and 8 were dropped and redone: no duplicates, nothing lost
    assert rows(history)[:2] == rows(before)[:2]  # kept as they were
    segs = history["segments"]
    assert [s["status"] for s in segs] == ["completed", "completed"]
    assert segs[1]["start_step"] == 4 and segs[1]["resumed_from"] == 4 and segs[1]["end_step"] == 8
    # samples count each optimizer step of the final trajectory once
    from aegis_cli.report.summary import summarize

    summary = summarize(history)
    assert summary.samples == 8 * 4 * 2
    assert summary.duration_s == pytest.approx(seg0_duration + segs[1]["duration_s"])
    report = second.report_md.read_text()
    assert "2 run segments" in _row(report, "Duration")
    assert any("resuming at step 4" in e.text for e in sink.of_type(LogMessage))


def test_exception_mid_training_gives_failed_report_and_stops_sampler(tmp_path):
    cfg = train_config(tmp_path, max_steps=8)
    boom = RaiseAt(5, RuntimeError("boom <b>**not markup**</b>"))
    before = {t.name for t in threading.enumerate()}
    outcome, sink = _run(cfg, callbacks=[boom.callback])
    assert outcome.status == "failed" and outcome.exit_code == ExitCode.FAILED
    assert "RuntimeError: boom" in outcome.error
    history = _history(outcome)
    assert history["status"] == "failed" and history["segments"][0]["status"] == "failed"
    assert history["segments"][0]["end_step"] == 5
    assert [e["step"] for e in rows(history)] == [2, 4]
    status = _row(outcome.report_md.read_text(), "Status")
    assert status.startswith("❌ FAILED: RuntimeError: boom")
    assert "<b>" not in status and "&lt;b&gt;" in status and r"\*\*" in status  # escaped, inert
    assert outcome.telemetry_png.is_file()
    assert sink.of_type(RunFinished)[0].status == "failed"
    leftover = {t.name for t in threading.enumerate()} - before
    assert "aegis-hw-sampler" not in leftover


def test_keyboard_interrupt_gives_interrupted_report_and_checkpoint(tmp_path):
    cfg = train_config(tmp_path, max_steps=8)
    outcome, _ = _run(cfg, callbacks=[RaiseAt(3, KeyboardInterrupt()).callback])
    assert outcome.status == "interrupted" and outcome.exit_code == ExitCode.INTERRUPTED == 130
    history = _history(outcome)
    assert history["status"] == "interrupted"
    assert "⏹ INTERRUPTED" in _row(outcome.report_md.read_text(), "Status")
    assert (tmp_path / "ckpt" / "checkpoint-3" / "trainer_state.json").is_file()  # save_on_interrupt


def test_stop_request_ends_after_the_step_with_checkpoint(tmp_path):
    from transformers import TrainerCallback

    stop = threading.Event()

    class PressStop(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            if state.global_step == 2:
                stop.set()  # what a dashboard's stop button or the first Ctrl-C does

    outcome, _ = _run(train_config(tmp_path, max_steps=8), stop=stop, callbacks=[PressStop()])
    assert outcome.status == "interrupted" and outcome.exit_code == 130
    assert outcome.steps == 3
    history = _history(outcome)
    assert history["segments"][0]["end_step"] == 3 and history["status"] == "interrupted"
    assert (tmp_path / "ckpt" / "checkpoint-3" / "trainer_state.json").is_file()
    # and the run resumes from there
    resumed, _ = _run(train_config(tmp_path, max_steps=8), resume="latest")
    assert resumed.status == "completed"
    h = _history(resumed)
    assert [e["step"] for e in rows(h)] == [2, 4, 6, 8]
    assert [s["status"] for s in h["segments"]] == ["interrupted", "completed"]


def test_nan_loss_is_reported_not_hidden(tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    src = tiny_model("tiny-causal-lm")
    broken = tmp_path / "nan-model"
    model = AutoModelForCausalLM.from_pretrained(src)
    with torch.no_grad():
        model.model.norm.weight.fill_(float("nan"))
    model.save_pretrained(broken)
    AutoTokenizer.from_pretrained(src).save_pretrained(broken)
    cfg = train_config(tmp_path, max_steps=4, model={"base": str(broken)}, lora=False)
    outcome, sink = _run(cfg)
    history = _history(outcome)
    assert rows(history) and all(e["loss"] is None and e["loss_nonfinite"] for e in rows(history))
    report = outcome.report_md.read_text()
    assert "NaN or infinite at logged step(s) 2, 4" in report
    assert any(m.level == "warning" and "nan" in m.text for m in sink.of_type(LogMessage))


def test_hub_push_failure_is_recorded_and_exit_code_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no stored token either
    cfg = train_config(tmp_path, max_steps=2, hub={"push": True, "repo_id": "aegis-test/never-pushed"})
    outcome, sink = _run(cfg)
    assert outcome.status == "completed"
    assert outcome.exit_code == ExitCode.PUSH_FAILED == 4
    assert outcome.hub["ok"] is False and "no Hugging Face token" in outcome.hub["error"]
    report = outcome.report_md.read_text()
    assert "❌ Push to `aegis-test/never-pushed` failed: no Hugging Face token" in report
    assert (outcome.final_dir / "adapter_model.safetensors").is_file()  # local artifacts stay
    assert any(m.level == "error" and "Hub push" in m.text for m in sink.of_type(LogMessage))


def test_secrets_never_reach_report_history_or_events(tmp_path, monkeypatch):
    from aegis_cli.telemetry.sinks import JsonlRecorder

    secrets = {"HF_TOKEN": "hf_sentinelTOKEN0001", "COMET_API_KEY": "sentinelCOMETkey0002",
               "MY_SERVICE_TOKEN": "sentinelSERVICE0003", "DB_PASSWORD": "sentinelPASSWORD0004"}
    for k, v in secrets.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # a secret pasted into the config itself, and an error message that echoes one
    cfg = train_config(tmp_path, max_steps=2, hub={"push": True, "repo_id": "aegis-test/offline",
                                                    "commit_message": "token sentinelSERVICE0003"})
    boom = RaiseAt(2, RuntimeError("request failed with Authorization: Bearer hf_sentinelTOKEN0001"))
    log = tmp_path / "events.jsonl"
    from aegis_cli.train.runner import run_training

    bus = EventBus([JsonlRecorder(log)])
    failed = run_training(cfg, bus=bus, handle_sigint=False, callbacks=[boom.callback])
    bus.close()
    assert failed.status == "failed"
    ok, _ = _run(train_config(tmp_path, max_steps=2, project_name="t-secrets-2",
                              hub={"push": True, "repo_id": "aegis-test/offline"}))
    assert ok.exit_code == ExitCode.PUSH_FAILED and "offline" in ok.hub["error"]
    written = [failed.report_md, failed.history_json, log, ok.report_md, ok.history_json]
    for path in written:
        text = path.read_text()
        for value in secrets.values():
            assert value not in text, f"{value} leaked into {path}"
    assert "Bearer ***" in json.loads(failed.history_json.read_text())["error"]
    assert r"Bearer \*\*\*" in failed.report_md.read_text()  # masked, then escaped for Markdown


def test_summary_energy_and_power_math_on_recorded_gpu_history():
    """GPU figures (as the sampler records them) aggregate over segments as documented."""
    from aegis_cli.report.markdown import render
    from aegis_cli.report.summary import summarize

    def seg(i, start, end, dur, tel):
        return {"index": i, "start_step": start, "end_step": end, "duration_s": dur, "status": "completed",
                "world_size": 2, "telemetry": tel}

    tel_a = {"duration_s": 100.0, "power_w": {"min": 100.0, "mean": 300.0, "max": 650.0}, "gpu_util_pct": 90.0,
             "temp_c_max": 70.0, "energy_j": 30_000.0, "energy_estimated": False}
    tel_b = {"duration_s": 300.0, "power_w": {"min": 90.0, "mean": 500.0, "max": 700.0}, "gpu_util_pct": 50.0,
             "temp_c_max": 75.0, "energy_j": 150_000.0, "energy_estimated": False}
    history = {
        "project_name": "gpu", "status": "completed", "global_step": 30,
        "batch": {"per_device": 4, "grad_accum": 2, "world_size": 2},
        "hardware": {"gpus": [{"name": "NVIDIA H100"}], "poll_hz": 2},
        "segments": [seg(0, 0, 20, 100.0, tel_a), seg(1, 10, 30, 300.0, tel_b)],
        "entries": {"step": [10, 20, 30], "loss": [2.0, 1.5, 1.0], "vram_peak_mb": [1000.0, 1200.0, 1100.0],
                    "vram_mean_mb": [900.0, 1000.0, 1100.0], "steps": [10, 10, 10]},
        "evals": [],
    }
    s = summarize(history)
    assert s.samples == (10 + 20) * 4 * 2 * 2  # steps 10-20 of segment 0 were redone: counted once
    assert s.duration_s == 400.0
    assert s.power_peak_w == 700.0
    assert s.power_mean_w == pytest.approx((300 * 100 + 500 * 300) / 400)
    assert s.util_mean_pct == pytest.approx((90 * 100 + 50 * 300) / 400)
    assert s.energy_kwh == pytest.approx(180_000 / 3.6e6)  # redone work still used energy
    assert s.temp_peak_c == 75.0 and s.vram_peak_mb == 1200.0
    assert s.vram_mean_mb == pytest.approx(1000.0)
    report = render(history)
    assert "| Total energy | 0.0500 kWh |" in report
    assert "| Peak power | 700 W |" in report
    assert math.isclose(s.energy_per_1k_samples_wh, 0.05 * 1000 / 480 * 1000)


def test_resume_that_fails_before_its_first_step_keeps_the_history(tmp_path):
    cfg = train_config(tmp_path, max_steps=4, training={"save_steps": 2})
    first, _ = _run(cfg)
    assert first.status == "completed"
    checkpoint = tmp_path / "ckpt" / "checkpoint-2"
    (checkpoint / "trainer_state.json").write_text("{ this is not json")  # a damaged checkpoint
    outcome, _ = _run(cfg, resume=str(checkpoint))
    assert outcome.status == "failed" and outcome.exit_code == ExitCode.FAILED
    history = _history(outcome)
    assert [e["step"] for e in rows(history)] == [2, 4]  # the run's history is kept, nothing dropped
    segs = history["segments"]
    assert [s["status"] for s in segs] == ["completed", "failed"] and segs[1]["start_step"] == 4
    assert segs[1]["error"].startswith("JSONDecodeError")
    assert "❌ FAILED: JSONDecodeError" in outcome.report_md.read_text()


def test_same_config_same_losses(tmp_path):
    """Seeded before the model is built: LoRA and head weights, data order and dropout repeat exactly."""
    import torch

    torch.manual_seed(1234)  # whatever ran before in this process must not matter
    a, _ = _run(train_config(tmp_path / "a", max_steps=4))
    torch.rand(100)
    b, _ = _run(train_config(tmp_path / "b", max_steps=4))
    assert _history(a)["entries"]["loss"] == _history(b)["entries"]["loss"]


def test_corrupt_history_on_resume_is_kept_aside_and_rebuilt_from_the_checkpoint(tmp_path):
    cfg = train_config(tmp_path, max_steps=6, training={"save_steps": 4})
    first, _ = _run(cfg)
    first.history_json.write_text('{"schema": "aegis.train-history", "entries": [')  # torn / damaged
    second, sink = _run(cfg, resume=str(tmp_path / "ckpt" / "checkpoint-4"))
    assert second.status == "completed"
    backups = list(second.report_dir.glob("history.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_text().startswith('{"schema"')  # kept byte for byte
    history = _history(second)
    entries = rows(history)
    assert [e["step"] for e in entries] == [2, 4, 6]
    assert entries[0]["from_checkpoint"] is True and entries[0]["power_mean_w"] is None  # from trainer_state.json
    assert not entries[-1].get("from_checkpoint")
    report = second.report_md.read_text()
    assert "rebuilt from the checkpoint" in report and "history.json.corrupt-" in report
    assert any("moved to history.json.corrupt-" in m.text for m in sink.of_type(LogMessage))
