"""Two processes under torchrun (CPU, gloo): one report, written by world-process-zero, counting both."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from aegis_cli.report.history import rows
from helpers.tiny_train import config_dict


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_or_dump_stacks(cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run ``cmd``; if it hangs, have every rank print its Python stacks (faulthandler on
    SIGABRT) and fail with them, so a hang says where each process was."""
    env = dict(os.environ, PYTHONFAULTHANDLER="1")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        for child in psutil.Process(proc.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child.send_signal(signal.SIGABRT)
        time.sleep(3)
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"hung for {timeout:.0f} s; the ranks' stacks:\n{err[-8000:]}\n--- stdout ---\n{out[-2000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


@pytest.mark.slow
def test_two_process_run_writes_one_report_counting_both(tmp_path):
    torchrun = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))
    aegis = shutil.which("aegis") or str(Path(sys.executable).with_name("aegis"))
    cfg = config_dict(tmp_path, max_steps=4)
    cfg["training"]["save_steps"] = 2
    path = tmp_path / "ddp.yaml"
    path.write_text(yaml.safe_dump(cfg))
    result = _run_or_dump_stacks(
        [torchrun, "--nproc_per_node", "2", "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
         "--no-python", aegis, "train", "--config", str(path), "--no-tui"],
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # only world-process-zero prints and writes
    assert result.stdout.count("[SUCCESS] Train completed") == 1
    # each rank leaves with os._exit after the final barrier: what rank 0 printed last (the
    # paths) still reaches the pipe, and no rank dies in a destructor on the way out
    assert result.stdout.rstrip().splitlines()[-1].startswith("model:"), result.stdout[-1500:]
    assert "terminate called" not in result.stderr and "Traceback" not in result.stderr, result.stderr[-3000:]
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
