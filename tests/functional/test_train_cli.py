"""`aegis train` through the CLI: the shipped config runs, progress lines, exit codes, readable errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from aegis_cli.cli.main import app
from aegis_cli.report.history import rows

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "configs" / "finetuning_config.yaml"
STEP_LINE = re.compile(r"^step +(\d+)/(\d+)  loss (\d+\.\d{4})  lr \S+  samples/s [\d,.]+  tok/s [\d,]+  VRAM N/A  power N/A$")


def _invoke(*args: str):
    return CliRunner().invoke(app, ["train", *args], catch_exceptions=False)


def test_shipped_config_trains_and_writes_the_three_artifacts(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the shipped config names its data relative to the repository
    monkeypatch.setenv("AEGIS_CACHE", str(tmp_path / "cache"))  # nothing cached helps: the base is the shipped aegis-mini
    log = tmp_path / "events.jsonl"
    result = _invoke(
        "--config", str(SHIPPED), "--no-tui", "--telemetry-log", str(log),
        "--set", "training.max_steps=6", "--set", "training.logging_steps=2", "--set", "training.eval.steps=3",
        "--set", "training.save_steps=null", "--set", "reporting.use_comet_ml=false",
        "--set", f"reporting.output_dir={tmp_path / 'reports'}", "--set", f"training.output_dir={tmp_path / 'runs'}",
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    steps = [STEP_LINE.match(line) for line in lines if line.startswith("step ")]
    assert [int(m.group(1)) for m in steps if m] == [2, 4, 6], lines
    report_dir = tmp_path / "reports" / "aegis-mini-lora"
    for name in ("report.md", "telemetry.png", "history.json"):
        assert (report_dir / name).is_file()
        assert f"{report_dir / name}" in result.stdout
    history = json.loads((report_dir / "history.json").read_text())
    # the printed losses are the recorded ones
    assert [float(m.group(3)) for m in steps] == [round(e["loss"], 4) for e in rows(history)]
    assert history["model"]["base"] == "builtin:aegis-mini" and history["status"] == "completed"
    assert any(line.startswith("[SUCCESS] Train completed") for line in lines)
    events = [json.loads(line) for line in log.read_text().splitlines()]
    kinds = {e["type"] for e in events}
    assert {"RunStarted", "TrainStep", "TrainLog", "LogMessage", "RunFinished", "HardwareSample"} <= kinds
    assert [e["step"] for e in events if e["type"] == "TrainStep"] == [2, 4, 6]
    # LoRA on the shipped model: its labels (O + one per CWE) are kept, so the adapter's head fits the scanner
    shipped = json.loads((ROOT / "src" / "aegis_cli" / "models" / "aegis-mini" / "config.json").read_text())
    n_labels = len(shipped["id2label"])
    assert n_labels > 30
    adapter = tmp_path / "runs" / "final"
    assert (adapter / "adapter_config.json").is_file()
    assert json.loads((adapter / "adapter_config.json").read_text())["task_type"] == "TOKEN_CLS"
    from safetensors import safe_open

    with safe_open(str(adapter / "adapter_model.safetensors"), "pt") as st:
        heads = [k for k in st.keys() if "classifier" in k and k.endswith("weight")]  # noqa: SIM118
        assert heads and all(st.get_slice(k).get_shape()[0] == n_labels for k in heads), heads
    # and the adapter scans like any model: aegis-mini (its base, from adapter_config.json) plus the adapter
    scan = CliRunner().invoke(app, ["scan", str(ROOT / "examples" / "vulnerable-shop.zip"), "--model", str(adapter),
                                    "--no-tui", "--format", "json", "--fail-on", "none"], catch_exceptions=False)
    assert scan.exit_code == 0, scan.output
    report = json.loads(scan.stdout)
    (model,) = report["models"]
    assert model["status"] == "completed" and model["provider"] == "hf", model
    assert model["calls"] > 0 and model["input_tokens"] > 0


def test_config_errors_are_readable_and_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("project_name: x\nmodel:\n  base: m\n  tsk: causal_lm\ndataset:\n  source: d.jsonl\ntraining: {}\n")
    result = _invoke("--config", str(bad))
    assert result.exit_code == 2
    err = result.stderr
    assert "error:" in err and "bad.yaml has 2 problems" in err
    assert "bad.yaml:4: model.tsk: unknown key 'tsk'" in err
    assert "set training.epochs or training.max_steps" in err
    assert "Traceback" not in err and result.stdout == ""


def test_missing_data_and_missing_checkpoint_are_clear(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"project_name: x\nmodel:\n  base: builtin:tiny-causal-lm\ndataset:\n  source: nowhere.jsonl\n"
                   f"training:\n  max_steps: 2\n  output_dir: {tmp_path / 'runs'}\nreporting:\n  use_comet_ml: false\n")
    result = _invoke("--config", str(cfg), "--resume")  # bare --resume: the latest checkpoint
    assert result.exit_code == 2
    assert "no complete checkpoint to resume in" in result.stderr and "save_steps" in result.stderr
    result = _invoke("--config", str(cfg), "--resume", str(tmp_path))
    assert result.exit_code == 2 and "is not a training checkpoint" in result.stderr
    result = _invoke("--config", str(cfg))
    assert result.exit_code == 2 and "dataset file nowhere.jsonl not found" in result.stderr


def test_ctrl_c_stops_after_the_step_with_checkpoint_and_exit_130(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    import yaml

    from aegis_cli.report.history import rows
    from helpers.tiny_train import config_dict

    cfg = config_dict(tmp_path, max_steps=5000)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    proc = subprocess.Popen([sys.executable, "-m", "aegis_cli", "train", "--config", str(path), "--no-tui"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ})
    lines = []
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("step    4/") or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    out, err = proc.communicate(timeout=120)
    lines += out.splitlines()
    assert proc.returncode == 130, "\n".join(lines[-20:]) + err[-2000:]
    assert any("Ctrl-C: stopping after this step and saving a checkpoint" in line for line in lines)
    report_dir = tmp_path / "reports" / "t-causal_lm"
    history = json.loads((report_dir / "history.json").read_text())
    stopped_at = history["segments"][0]["end_step"]
    assert history["status"] == "interrupted" and 4 <= stopped_at < 5000
    assert (tmp_path / "ckpt" / f"checkpoint-{stopped_at}" / "trainer_state.json").is_file()
    assert "⏹ INTERRUPTED" in (report_dir / "report.md").read_text()
    assert rows(history)[-1]["step"] <= stopped_at


def test_a_model_that_cannot_load_is_one_readable_line(tmp_path):
    """A library's multi-line exception (here transformers' tokenizer error) still reaches the
    terminal as one `error:` line with the hint, and no traceback."""
    model = tmp_path / "m"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "no-such-architecture"}')
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "hello world"}\n{"text": "another line"}\n')
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"project_name: broken\nmodel:\n  base: {model}\n  task: causal_lm\ndataset:\n  source: {data}\n"
                   f"training:\n  max_steps: 2\n  output_dir: {tmp_path / 'runs'}\n"
                   f"reporting:\n  output_dir: {tmp_path / 'reports'}\n  use_comet_ml: false\n")
    result = _invoke("--config", str(cfg))
    assert result.exit_code not in (0, 2), result.output
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("error: cannot load the tokenizer of") and "Hint: check model.base" in errors[0]
    assert "Traceback" not in result.output
