"""`aegis train` in a real terminal (a pseudo-terminal): the dashboard opens, Ctrl-C stops the
run through it (checkpoint, INTERRUPTED report, exit 130), and a finished run waits for q."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")


class Terminal:
    """``aegis train`` on a pty of 120×40, its screen output collected as it is drawn."""

    def __init__(self, config: Path, cwd: Path):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", COLUMNS="120", LINES="40", COMET_API_KEY="")
        self.proc = subprocess.Popen([sys.executable, "-m", "aegis_cli", "train", "--config", str(config)],
                                     stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env,
                                     start_new_session=True)
        os.close(slave)
        self.output = b""

    def read(self, timeout: float = 0.1) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                self.output += os.read(self.master, 65536)
            except OSError:  # the child closed the terminal
                time.sleep(timeout)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"{text!r} never appeared; last output: {self.output[-3000:]!r}")
            self.read()

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def finish(self, timeout: float = 120) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.read()
        for _ in range(20):  # what the CLI printed after the dashboard closed
            self.read(0.05)
        os.close(self.master)
        if self.proc.poll() is None:
            self.proc.kill()
            raise AssertionError("aegis train did not exit")
        return self.proc.returncode


def config(tmp_path: Path, steps: int) -> Path:
    from helpers.tiny_train import config_dict

    cfg = config_dict(tmp_path, max_steps=steps)
    cfg["training"]["save_on_interrupt"] = True
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_ctrl_c_in_the_dashboard_stops_with_a_checkpoint_and_exit_130(tmp_path):
    term = Terminal(config(tmp_path, 5000), tmp_path)
    term.wait_for("● training")  # the dashboard, drawn by Textual on the terminal
    term.wait_for("Training loss  ")  # a chart with its latest loss: steps are arriving
    term.type(b"\x03")  # Ctrl-C, as a key: the terminal is in raw mode
    term.wait_for("stopping after this step")
    assert term.finish() == 130, term.output[-3000:]
    report_dir = tmp_path / "reports" / "t-causal_lm"
    history = json.loads((report_dir / "history.json").read_text())
    stopped_at = history["segments"][0]["end_step"]
    assert history["status"] == "interrupted" and 0 < stopped_at < 5000
    assert (tmp_path / "ckpt" / f"checkpoint-{stopped_at}" / "trainer_state.json").is_file()
    assert "⏹ INTERRUPTED" in (report_dir / "report.md").read_text()
    assert b"report:" in term.output  # the CLI's closing lines, after the dashboard


def test_a_finished_run_stays_on_screen_until_q(tmp_path):
    term = Terminal(config(tmp_path, 6), tmp_path)
    term.wait_for("✓ completed")
    term.wait_for("press q to close")
    time.sleep(0.5)
    assert term.proc.poll() is None  # still showing the final charts
    term.type(b"q")
    assert term.finish() == 0, term.output[-3000:]
    history = json.loads((tmp_path / "reports" / "t-causal_lm" / "history.json").read_text())
    assert history["status"] == "completed" and history["global_step"] == 6
