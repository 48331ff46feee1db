"""Training faults a long run meets: a kill -9 and a resume, and a report folder that
cannot be written. The record must stay consistent and nothing already written is lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import yaml

from helpers.tiny_train import config_dict


def _history(path):
    from aegis_cli.report.history import read_document, rows

    return rows(read_document(path))


def _complete_checkpoints(directory):
    """Steps of the checkpoints the Trainer finished writing (trainer_state.json comes last)."""
    return [int(p.name.split("-")[1]) for p in directory.glob("checkpoint-*") if (p / "trainer_state.json").is_file()]


def test_kill_9_then_resume_gives_one_consistent_history(tmp_path):
    cfg = config_dict(tmp_path, max_steps=400, training={"save_steps": 20, "logging_steps": 2},
                      reporting={"report_every": 1})
    cfg_path = tmp_path / "cfg.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    history_path = tmp_path / "reports" / cfg["project_name"] / "history.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "aegis_cli", "train", "--config", str(cfg_path), "--no-tui"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 240
    try:
        # wait for a complete checkpoint and a few logged steps after it, then kill without warning
        while time.monotonic() < deadline:
            done = _complete_checkpoints(tmp_path / "ckpt")
            if done and history_path.exists():
                try:
                    steps = [r["step"] for r in _history(history_path)]
                except Exception:
                    steps = []
                if steps and steps[-1] >= max(done) + 6:
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("training never reached a checkpoint")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    before = [r["step"] for r in _history(history_path)]
    last_ckpt = max(_complete_checkpoints(tmp_path / "ckpt"))
    assert before[-1] > last_ckpt  # steps were logged after the checkpoint: the resume must drop them
    # a kill during a save leaves a newer folder without trainer_state.json: resume must skip it
    partial = tmp_path / "ckpt" / f"checkpoint-{last_ckpt + 1000}"
    partial.mkdir(exist_ok=True)
    (partial / "config.json").write_text("{}")

    cfg["training"]["max_steps"] = last_ckpt + 10
    cfg_path.write_text(yaml.safe_dump(cfg))
    r = subprocess.run([sys.executable, "-m", "aegis_cli", "train", "--config", str(cfg_path), "--no-tui", "--resume"],
                       capture_output=True, text=True, env=env, timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"skipping {partial}: incomplete" in r.stdout + r.stderr
    assert f"resuming from {tmp_path / 'ckpt' / f'checkpoint-{last_ckpt}'}" in r.stdout + r.stderr
    doc = json.loads(history_path.read_text())
    steps = [row["step"] for row in _history(history_path)]
    assert steps == sorted(set(steps)), "duplicate or out-of-order steps"
    assert steps == list(range(2, last_ckpt + 11, 2)), "a step is missing"
    segments = doc["segments"]
    assert len(segments) == 2
    assert segments[0]["status"].lower() == "interrupted"  # the killed run never closed its segment
    assert segments[1]["status"].lower() == "completed"
    report = (history_path.parent / "report.md").read_text()
    assert "COMPLETED" in report and "2 run segments" in report


def test_an_unwritable_report_folder_keeps_the_previous_report(tmp_path):
    """The report folder fills up (writes fail with EFBIG under a file-size limit): training
    finishes, says it could not write, and the previous report files stay intact."""
    cfg = config_dict(tmp_path, max_steps=6)
    cfg_path = tmp_path / "cfg.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    report_dir = tmp_path / "reports" / cfg["project_name"]
    first = subprocess.run([sys.executable, "-m", "aegis_cli", "train", "--config", str(cfg_path), "--no-tui"],
                           capture_output=True, text=True, timeout=240)
    assert first.returncode == 0, first.stdout + first.stderr
    before = {p.name: p.read_bytes() for p in report_dir.iterdir() if p.is_file()}
    assert {"report.md", "history.json", "telemetry.png"} <= set(before)

    # second run: every file write above 1 KB fails, as on a full disk
    script = (
        "import resource, signal, sys;"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN);"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1024, resource.RLIM_INFINITY));"
        "from aegis_cli.cli.main import main; sys.argv = ['aegis', 'train', '--config', sys.argv[1], '--no-tui'];"
        "main()"
    )
    cfg["training"]["output_dir"] = str(tmp_path / "ckpt2")
    cfg["training"]["save_steps"] = 1000
    cfg_path.write_text(yaml.safe_dump(cfg))
    second = subprocess.run([sys.executable, "-c", script, str(cfg_path)], capture_output=True, text=True, timeout=240)
    output = second.stdout + second.stderr
    assert "Traceback" not in output
    assert "cannot write" in output or "could not write" in output
    after = {p.name: p.read_bytes() for p in report_dir.iterdir() if p.is_file() and not p.name.startswith(".")}
    for name in ("report.md", "history.json", "telemetry.png"):
        assert after[name] == before[name], f"{name} was damaged by the failed write"
    assert not [p for p in report_dir.iterdir() if p.name.endswith(".tmp")]
