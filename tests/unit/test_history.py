"""history.json: atomic, versioned, resumable, never silently replaced; and what is drawn from it."""

from __future__ import annotations

import json
import math
import time

import pytest

from aegis_cli.report.history import (
    SCHEMA_VERSION,
    History,
    HistoryCorrupt,
    atomic_write_text,
    empty_entry,
    from_log_history,
    rows,
)


def _history(steps=(10, 20, 30, 40), seg_end=40) -> History:
    h = History.new("proj", "run1")
    h.data["batch"] = {"per_device": 4, "grad_accum": 2, "world_size": 1}
    h.start_segment(0, 1)
    for s in steps:
        e = empty_entry(s)
        e.update(loss=5.0 - s / 100, lr=1e-3, steps=10, interval_s=1.0, tokens=1000)
        h.add_entry(e)
    h.end_segment("completed", end_step=seg_end, duration_s=12.5, telemetry=None)
    return h


def test_roundtrip_is_valid_json_with_schema(tmp_path):
    h = _history()
    path = tmp_path / "history.json"
    h.save(path)
    data = json.loads(path.read_text())
    assert data["schema"] == "aegis.train-history" and data["schema_version"] == SCHEMA_VERSION
    assert data["entries"]["step"] == [10, 20, 30, 40]  # stored by column: one array per field
    assert len(data["entries"]["loss"]) == 4 and data["entries"]["power_mean_w"] == [None] * 4
    assert History.load(path).entries == h.entries
    assert rows(data) == h.entries


def test_non_finite_values_become_null_not_invalid_json(tmp_path):
    h = _history()
    e = empty_entry(50)
    e.update(loss=math.nan, grad_norm=math.inf, loss_nonfinite=True)
    h.add_entry(e)
    h.data["final_metrics"] = {"train_loss": math.nan}
    path = tmp_path / "h.json"
    h.save(path)
    data = json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    last = rows(data)[-1]
    assert last["loss"] is None and last["loss_nonfinite"] is True and last["grad_norm"] is None
    assert rows(data)[0]["loss_nonfinite"] is None  # a field added later is unknown for earlier steps
    assert data["final_metrics"]["train_loss"] is None


def test_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "report.md"
    atomic_write_text(target, "old")
    blocker = tmp_path / "dir-in-the-way"
    blocker.mkdir()
    with pytest.raises(OSError):
        atomic_write_text(blocker, "new")  # replace onto a directory fails after the temp file was written
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir-in-the-way", "report.md"]  # temp file removed


def test_resume_drops_later_entries_and_opens_a_new_segment():
    h = _history()
    h.add_eval(20, 0.5, {"eval_loss": 4.0})
    h.add_eval(40, 1.0, {"eval_loss": 3.0})
    dropped = h.resume_at(20)
    assert dropped == 2 and [e["step"] for e in h.entries] == [10, 20]
    assert [e["step"] for e in h.evals] == [20]
    seg = h.start_segment(20, 2, resumed_from=20)
    assert seg["index"] == 1 and seg["start_step"] == 20 and seg["world_size"] == 2 and h.data["status"] == "running"
    e = empty_entry(30)
    h.add_entry(e)
    assert [x["step"] for x in h.entries] == [10, 20, 30]


def test_a_segment_left_running_is_closed_as_interrupted():
    """kill -9: the process never closed its segment; the next start says so."""
    h = History.new("p", "r")
    h.start_segment(0, 1)
    h.update_segment(end_step=30, duration_s=40.0, telemetry=None)
    h.start_segment(20, 1, resumed_from=20)
    first = h.segments[0]
    assert first["status"] == "interrupted" and "killed" in first["error"] and first["end_step"] == 30


def test_relogging_a_step_replaces_instead_of_duplicating():
    h = _history()
    e = empty_entry(30)
    e["loss"] = 1.0
    h.add_entry(e)
    assert [x["step"] for x in h.entries] == [10, 20, 30]
    assert h.entries[-1]["loss"] == 1.0


def test_merge_log_history_recovers_steps_missing_from_the_file():
    h = _history(steps=(10,), seg_end=10)
    logs = [{"step": 10, "loss": 9.0}, {"step": 20, "loss": 4.0, "learning_rate": 1e-3, "epoch": 0.5},
            {"step": 20, "eval_loss": 3.9, "epoch": 0.5}, {"step": 30, "loss": 3.0}, {"step": 40, "loss": 2.0}]
    added = h.merge_log_history(logs, upto_step=30)
    assert added == 2
    assert [(e["step"], e["loss"]) for e in h.entries] == [(10, 4.9), (20, 4.0), (30, 3.0)]  # step 10 kept as it was
    assert h.entries[1]["from_checkpoint"] is True and h.entries[1]["power_mean_w"] is None
    assert h.evals == [{"step": 20, "epoch": 0.5, "metrics": {"eval_loss": 3.9}}]


def test_rebuild_from_log_history_warns_about_missing_telemetry():
    h = from_log_history("p", "r", [{"step": 5, "loss": 2.0}, {"step": 10, "loss": 1.0}], 10)
    assert [e["step"] for e in h.entries] == [5, 10]
    assert any("telemetry is unknown" in w for w in h.data["warnings"])


@pytest.mark.parametrize("content,reason", [
    ("{not json", "not valid JSON"),
    ('{"schema": "something.else"}', "schema is 'something.else'"),
    (json.dumps({"schema": "aegis.train-history", "schema_version": 99, "entries": {}, "segments": [],
                 "evals": [], "project_name": "p"}), "newer than this aegis"),
    (json.dumps({"schema": "aegis.train-history", "schema_version": 1, "entries": {"step": [2, 1]},
                 "segments": [], "evals": [], "project_name": "p"}), "out of order"),
    (json.dumps({"schema": "aegis.train-history", "schema_version": 1, "entries": {"step": [1, 2], "loss": [1.0]},
                 "segments": [], "evals": [], "project_name": "p"}), "one value per step"),
])
def test_corrupt_history_raises_a_clear_error(tmp_path, content, reason):
    path = tmp_path / "history.json"
    path.write_text(content)
    with pytest.raises(HistoryCorrupt) as info:
        History.load(path)
    assert reason in info.value.message
    backup = History.backup_corrupt(path)
    assert not path.exists() and backup.name.startswith("history.json.corrupt-")
    assert backup.read_text() == content  # kept byte for byte, never silently replaced


def test_summary_numbers():
    from aegis_cli.report.summary import summarize

    s = summarize(_history().document())
    assert s.steps == 40 and s.samples == 40 * 4 * 2
    assert s.loss_initial == pytest.approx(4.9) and s.loss_final == pytest.approx(4.6)
    assert s.tokens == 4000 and s.tokens_per_s == pytest.approx(1000.0)
    assert s.samples_per_s == pytest.approx(320 / 12.5)
    # no GPU: unknown, not zero
    assert s.vram_peak_mb is None and s.power_peak_w is None and s.energy_kwh is None and not s.has_gpu


def test_markdown_escapes_untrusted_text_and_masks_secrets(monkeypatch):
    from aegis_cli.report.markdown import render

    monkeypatch.setenv("ACME_API_KEY", "s3cr3t-value-xyz")
    h = _history()
    h.data["status"] = "failed"
    h.data["error"] = "ValueError: <img src=x onerror=alert(1)> [click](http://evil) | s3cr3t-value-xyz\n# heading"
    h.data["config"] = {"hub": {"token": "literal-token-in-config"}, "dataset": {"source": "d|`x`.jsonl"}}
    md = render(h.document())
    status = next(line for line in md.splitlines() if line.startswith("| Status |"))
    assert "<img" not in md and "&lt;img" in status
    assert r"\[click\](http://evil)" in status and r"\|" in status
    assert "s3cr3t-value-xyz" not in md and "literal-token-in-config" not in md
    assert status.count("|") - status.count(r"\|") == 3  # the table row is not broken
    assert "\n# heading" not in md


def test_report_sections_and_na_rows():
    from aegis_cli.report.markdown import render

    md = render(_history().document())
    for heading in ("## 1. Executive summary", "## 2. Key metrics", "## 3. Configuration snapshot",
                    "## 4. Hub deployment", "## 5. Comet ML"):
        assert heading in md
    assert "| Peak VRAM | N/A (no GPU) |" in md and "| Total energy | N/A (no GPU) |" in md
    assert "Not pushed" in md and "Comet ML logging is off" in md


def test_hub_sections():
    from aegis_cli.report.markdown import render

    h = _history()
    h.data["hub"] = {"ok": True, "repo_id": "org/m", "commit_sha": "a" * 40,
                     "adapter_config_url": f"https://huggingface.co/org/m/blob/{'a' * 40}/adapter_config.json"}
    md = render(h.document())
    assert f"at commit `{'a' * 40}`" in md and "/blob/" + "a" * 40 + "/adapter_config.json" in md
    h.data["hub"] = {"ok": False, "repo_id": "org/m", "error": "401 Unauthorized", "folder": "runs/x/final"}
    assert "❌ Push to `org/m` failed: 401 Unauthorized." in render(h.document())


def test_chart_downsamples_long_histories_fast():
    from aegis_cli.report.charts import MAX_POINTS, build_figure

    h = History.new("long", "r")
    h.data["hardware"] = {"gpus": [{"name": "GPU"}]}
    n = 100_000
    steps = list(range(1, n + 1))
    doc = h.document()
    doc["entries"] = {"step": steps, "loss": [2 + math.sin(i / 500) for i in steps], "lr": [1e-4] * n,
                      "vram_peak_mb": [1000.0] * n, "vram_mean_mb": [900.0] * n, "util_pct": [90.0] * n,
                      "power_mean_w": [300.0] * n, "power_min_w": [250.0] * n, "power_max_w": [350.0] * n,
                      "temp_max_c": [60.0] * n}
    t0 = time.perf_counter()
    fig = build_figure(doc)
    took = time.perf_counter() - t0
    assert all(len(line.get_xdata()) <= MAX_POINTS for ax in fig.axes for line in ax.get_lines())
    assert fig.axes[4].collections, "power panel shades the min/max band"
    assert took < 10, f"building the chart for {n} steps took {took:.1f}s"
