"""`aegis report list / show / compare` on reports written by real tiny training runs."""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aegis_cli.cli.main import app
from aegis_cli.report import browse
from aegis_cli.report.history import read_document
from aegis_cli.report.summary import summarize


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    """Two real runs: A (8 steps, batch 4) and B (6 steps, batch 2), reports side by side."""
    from aegis_cli.train.runner import run_training
    from helpers.tiny_train import train_config

    tmp = tmp_path_factory.mktemp("runs")
    a = run_training(train_config(tmp, max_steps=8, project_name="run-a"))
    b = run_training(train_config(tmp, max_steps=6, project_name="run-b", training={"per_device_batch_size": 2}))
    assert (a.status, b.status) == ("completed", "completed")
    assert a.report_dir.parent == b.report_dir.parent
    return a.report_dir.parent


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, ["report", *args], catch_exceptions=False, env=env)


def test_list_has_one_row_per_project_with_the_report_figures(reports):
    result = invoke("list", "--reports-dir", str(reports))
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    row_a = next(line for line in lines if line.startswith("run-a"))
    row_b = next(line for line in lines if line.startswith("run-b"))
    sa = summarize(read_document(reports / "run-a" / "history.json"))
    assert "✓ COMPLETED" in row_a and "8/8" in row_a and f"{sa.loss_final:.4f}" in row_a
    assert row_a.count("N/A") == 2  # peak VRAM and energy: no GPU here, unknown rather than 0
    assert "6/6" in row_b and ("ago" in row_b or "just now" in row_b)

    data = json.loads(invoke("list", "--reports-dir", str(reports), "--json").output)
    assert [r["project"] for r in data["reports"]] == ["run-a", "run-b"]
    assert data["reports"][0]["final_loss"] == f"{sa.loss_final:.4f}"


def test_show_renders_report_md_and_the_six_charts(reports):
    result = invoke("show", "run-a", "--reports-dir", str(reports))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Training report: run-a" in out and "1. Executive summary" in out and "2. Key metrics" in out
    assert "Telemetry (from history.json)" in out
    for title in ("Training loss", "Learning rate", "Peak VRAM (MB)", "GPU utilization (%)", "Power draw (W)",
                  "Temperature (°C)"):
        assert title in out
    assert out.count("no GPU in this run") >= 4  # the GPU panels (report.md says it too)
    assert "┤" in out and "└" in out  # plotext axes
    assert "RUNNING" not in out


def test_show_json_is_the_summary_of_history_json(reports):
    result = invoke("show", "run-b", "--reports-dir", str(reports), "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    expected = summarize(read_document(reports / "run-b" / "history.json")).to_dict()
    assert data["schema"] == "aegis.report-summary" and data["project"] == "run-b"
    assert data["summary"] == json.loads(json.dumps(expected))
    assert data["summary"]["steps"] == 6 and data["summary"]["vram_peak_mb"] is None
    assert data["running"] is False
    assert data["files"]["history"].endswith("history.json") and data["files"]["chart"].endswith("telemetry.png")


def test_compare_puts_two_runs_side_by_side(reports):
    result = invoke("compare", "run-a", "run-b", "--reports-dir", str(reports))
    assert result.exit_code == 0, result.output
    for metric in ("Final loss", "Duration", "Samples/s", "Peak VRAM", "Energy", "Energy per 1k samples"):
        assert metric in result.output
    data = json.loads(invoke("compare", "run-a", "run-b", "--reports-dir", str(reports), "--json").output)
    rows = {r["metric"]: r for r in data["rows"]}
    sa, sb = data["a"]["summary"], data["b"]["summary"]
    faster = "A" if sa["samples_per_s"] > sb["samples_per_s"] else "B"
    assert rows["Samples/s"]["better"] in (faster, "=")
    # same task and data: losses compare; different amounts of work: durations do not
    assert rows["Final loss"]["better"] in ("A", "B", "=")
    assert rows["Duration"]["better"] is None and "samples/s" in rows["Duration"]["note"]
    assert rows["Peak VRAM"]["a"] == "N/A" and rows["Peak VRAM"]["better"] is None
    assert rows["Energy per 1k samples"]["better"] is None


def test_unknown_project_lists_the_known_ones(reports):
    result = invoke("show", "nope", "--reports-dir", str(reports))
    assert result.exit_code == 2
    assert "no report for project 'nope'" in result.output and "run-a, run-b" in result.output
    assert "Traceback" not in result.output
    result = invoke("compare", "run-a", "nope", "--reports-dir", str(reports))
    assert result.exit_code == 2 and "known projects" in result.output


@pytest.fixture
def damaged(reports, tmp_path) -> Path:
    root = tmp_path / "reports"
    shutil.copytree(reports / "run-a", root / "truncated")
    text = (root / "truncated" / "history.json").read_text()
    (root / "truncated" / "history.json").write_text(text[: len(text) // 2])
    shutil.copytree(reports / "run-a", root / "no-history")
    (root / "no-history" / "history.json").unlink()
    shutil.copytree(reports / "run-a", root / "wrong-shape")
    doc = json.loads((root / "wrong-shape" / "history.json").read_text())
    doc["entries"]["loss"] = doc["entries"]["loss"][:-1]
    (root / "wrong-shape" / "history.json").write_text(json.dumps(doc))
    return root


@pytest.mark.parametrize(("project", "message"), [
    ("truncated", "is not valid JSON"),
    ("no-history", "history.json does not exist (only report.md"),
    ("wrong-shape", "entries.loss does not have one value per step"),
])
def test_missing_or_damaged_history_is_a_clear_error(damaged, project, message):
    before = sorted(p.name for p in (damaged / project).iterdir())
    for args in (("show", project), ("show", project, "--json"), ("compare", project, "truncated")):
        result = invoke(*args, "--reports-dir", str(damaged))
        assert result.exit_code == 2, result.output
        assert "error:" in result.output and "Hint:" in result.output and "Traceback" not in result.output
    assert message in invoke("show", project, "--reports-dir", str(damaged)).output
    assert sorted(p.name for p in (damaged / project).iterdir()) == before  # the file was left as it is


def test_list_shows_damaged_reports_as_unreadable(damaged):
    result = invoke("list", "--reports-dir", str(damaged))
    assert result.exit_code == 0
    assert result.output.count("UNREADABLE") == 3
    assert "truncated: " in result.output and "is not valid JSON" in result.output


def test_missing_reports_dir_is_an_error(tmp_path):
    result = invoke("list", "--reports-dir", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "is not a directory" in result.output


def test_open_hands_the_png_to_the_system_viewer(reports, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    seen = tmp_path / "opened.txt"
    viewer = bin_dir / "xdg-open"
    viewer.write_text(f"#!/bin/sh\necho \"$1\" > {seen}\n")
    viewer.chmod(viewer.stat().st_mode | stat.S_IXUSR)
    result = invoke("show", "run-a", "--reports-dir", str(reports), "--open",
                    env={"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    assert result.exit_code == 0, result.output
    deadline = time.monotonic() + 10
    while not seen.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seen.read_text().strip() == str(reports / "run-a" / "telemetry.png")


def test_open_without_a_png_or_a_viewer_says_so(reports, tmp_path):
    root = tmp_path / "r"
    shutil.copytree(reports / "run-a", root / "run-a")
    (root / "run-a" / "telemetry.png").unlink()
    result = invoke("show", "run-a", "--reports-dir", str(root), "--open")
    assert result.exit_code == 2 and "telemetry.png does not exist" in result.output
    result = invoke("show", "run-a", "--reports-dir", str(reports), "--open", env={"PATH": str(tmp_path / "empty")})
    assert result.exit_code == 2 and "no xdg-open" in result.output


def test_a_running_report_says_so_and_follow_redraws_until_it_ends(reports, tmp_path):
    root = tmp_path / "r"
    shutil.copytree(reports / "run-a", root / "live")
    path = root / "live" / "history.json"
    final = json.loads(path.read_text())
    running = dict(final, status="running")
    path.write_text(json.dumps(running))
    result = invoke("show", "live", "--reports-dir", str(root))
    assert result.exit_code == 0 and "● RUNNING" in result.output and "--follow" in result.output

    ref = browse.resolve(root, "live")
    writes = iter([running, final])  # what the training run writes next: one more update, then the end

    def tick(_seconds: float) -> None:
        doc = next(writes, None)
        if doc is not None:
            path.write_text(json.dumps(doc))
            os.utime(path, (time.time() + 1, time.time() + 1 + len(doc["entries"]["step"])))

    seen = [r.summary.status for r in browse.follow(ref, poll_s=0, sleep=tick)]
    assert seen == ["running", "running", "completed"]


def test_follow_on_a_finished_report_prints_once_and_exits_0(reports):
    result = invoke("show", "run-a", "--reports-dir", str(reports), "--follow", "--json")
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert len(lines) == 1 and lines[0]["summary"]["status"] == "completed"
