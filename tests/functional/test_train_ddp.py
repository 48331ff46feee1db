"""Two processes under torchrun (CPU, gloo): one report, written by world-process-zero, counting both."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from aegis_cli.report.history import rows
from helpers.tiny_train import config_dict


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_process_run_writes_one_report_counting_both(tmp_path):
    torchrun = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))
    aegis = shutil.which("aegis") or str(Path(sys.executable).with_name("aegis"))
    cfg = config_dict(tmp_path, max_steps=4)
    cfg["training"]["save_steps"] = 2
    path = tmp_path / "ddp.yaml"
    path.write_text(yaml.safe_dump(cfg))
    result = subprocess.run(
        [torchrun, "--nproc_per_node", "2", "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
         "--no-python", aegis, "train", "--config", str(path), "--no-tui"],
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # only world-process-zero prints and writes
    assert result.stdout.count("[SUCCESS] Train completed") == 1
    assert [line.split()[1] for line in result.stdout.splitlines() if line.startswith("step ")] == ["2/4", "4/4"]
    reports = tmp_path / "reports"
    assert [p.name for p in reports.iterdir()] == ["t-causal_lm"]
    assert sorted(p.name for p in (reports / "t-causal_lm").iterdir()) == ["history.json", "report.md", "telemetry.png"]
    history = json.loads((reports / "t-causal_lm" / "history.json").read_text())
    assert history["batch"]["world_size"] == 2 and history["segments"][0]["world_size"] == 2
    samples = 4 * 4 * 2 * 2  # steps × per-device batch × accumulation × world size
    assert rows(history)[-1]["samples"] == samples
    report = (reports / "t-causal_lm" / "report.md").read_text()
    assert f"| Total samples | {samples} |" in report
    assert "× 2 process(es)" in report
    # tokens are summed over both processes (one all-reduce per log step)
    assert all(isinstance(e["tokens"], int) and e["tokens"] > 0 for e in rows(history))
    # one set of checkpoints (the Trainer saves on process zero)
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir() if p.name.startswith("checkpoint-")) == [
        "checkpoint-2", "checkpoint-4"]
