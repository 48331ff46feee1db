"""The scan pipeline against tiny real models: telemetry checked against independent counts."""

from __future__ import annotations

import math
import shutil

import pytest

from aegis_cli.scan.pipeline import ScanOptions, exit_code_for, run_scan
from aegis_cli.telemetry import (
    EventBus,
    FileSkipped,
    FindingFound,
    MemorySink,
    ModelCall,
    ModelCompleted,
    ModelFailed,
    ModelLoading,
    ModelStarted,
    RunFinished,
    RunStarted,
)
from functional.conftest import REPO, SCANNED


def scan(target, models, **kw):
    sink = MemorySink()
    bus = EventBus([sink])
    result = run_scan(ScanOptions(target=str(target), models=[str(m) for m in models], **kw), bus)
    bus.close()
    return result, sink


def test_tokens_and_calls_match_an_independent_count(repo_zip, quiet_classifier):
    from transformers import AutoTokenizer

    result, sink = scan(repo_zip, [quiet_classifier], batch_size=4)
    tok = AutoTokenizer.from_pretrained(quiet_classifier)
    # every file fits one chunk (context 128), so the model is fed exactly each file's tokens
    expected_tokens = sum(len(tok(REPO[p])["input_ids"]) for p in SCANNED)
    assert all(len(tok(REPO[p])["input_ids"]) <= 128 for p in SCANNED)
    calls = sink.of_type(ModelCall)
    assert sum(c.input_tokens for c in calls) == expected_tokens
    assert sum(c.items for c in calls) == len(SCANNED)
    assert len(calls) == math.ceil(len(SCANNED) / 4)  # nothing flagged: no localisation passes
    assert all(c.output_tokens == 0 for c in calls)
    m = result.models[0]
    assert m.status == "completed" and m.calls == len(calls)
    assert m.input_tokens == m.total_tokens == expected_tokens
    assert m.avg_latency_ms == pytest.approx(sum(c.latency_ms for c in calls) / len(calls))
    assert m.tokens_per_s == pytest.approx(expected_tokens / (sum(c.latency_ms for c in calls) / 1000))
    assert m.device == "cpu" and m.precision == "fp32" and m.quantization is None
    assert m.vram_mb is None and m.load_time_ms > 0
    assert result.files_scanned == len(SCANNED) and result.findings == []
    done = sink.of_type(ModelCompleted)[0]
    assert (done.calls, done.input_tokens, done.findings, done.speed_basis) == (len(calls), expected_tokens, 0, "processed")


def test_event_order_and_skip_reasons(repo_zip, quiet_classifier):
    result, sink = scan(repo_zip, [quiet_classifier])
    kinds = [type(e) for e in sink.events if type(e) in (RunStarted, ModelLoading, ModelStarted, ModelCompleted, RunFinished)]
    assert kinds == [RunStarted, ModelLoading, ModelStarted, ModelCompleted, RunFinished]
    skips = {s.path: s.reason for s in result.skipped}
    assert skips["node_modules/"].startswith("vendored")
    assert skips["README.md"] == "not a recognised source language"
    assert "assets/logo.png" in skips
    assert {e.path for e in sink.of_type(FileSkipped)} == set(skips)
    assert result.languages["python"] == 2 and result.languages["cpp"] == 1


def test_sequence_classifier_finding_is_localised_to_the_sink_line(repo_zip, keyword_models):
    seq, _ = keyword_models
    result, sink = scan(repo_zip, [seq])
    assert len(result.findings) == 1
    f = result.findings[0]
    sink_line = REPO["app/server.py"].splitlines().index("    os.system(cmd)") + 1
    assert f.path == "app/server.py" and f.start_line == f.end_line == sink_line
    assert f.confidence > 0.99 and f.models == ["kw-seq"] and "os.system(cmd)" in f.snippet
    assert f.severity == "high"  # no CWE from a binary classifier: severity follows confidence
    # localisation passes are real forward passes: counted as calls with their tokens
    calls = sink.of_type(ModelCall)
    assert result.models[0].calls == len(calls) > 1
    assert len(sink.of_type(FindingFound)) == 1


def test_token_classifier_reports_exact_lines_with_cwe(repo_zip, keyword_models):
    _, tok = keyword_models
    result, _ = scan(repo_zip, [tok])
    sink_line = REPO["app/server.py"].splitlines().index("    os.system(cmd)") + 1
    assert [(f.path, f.start_line, f.end_line, f.cwe, f.severity) for f in result.findings] == [
        ("app/server.py", sink_line, sink_line, "CWE-78", "critical")]


def test_long_file_is_chunked_with_line_spans_and_the_flaw_found_once(tmp_path, keyword_models):
    from helpers.keyword_models import FILLER

    _, tok = keyword_models
    lines = [FILLER[i % len(FILLER)] for i in range(400)]
    lines[287] = "os.system(cmd)"
    (tmp_path / "big.py").write_text("\n".join(lines) + "\n")
    result, _ = scan(tmp_path, [tok])
    assert result.chunks > 10  # 400 lines never fit a 128-token context
    assert [(f.start_line, f.end_line) for f in result.findings] == [(288, 288)]


def test_two_models_merge_and_majority_needs_agreement(repo_zip, keyword_models, quiet_classifier):
    seq, tok = keyword_models
    union, _ = scan(repo_zip, [seq, tok])
    assert len(union.findings) == 1
    assert sorted(union.findings[0].models) == ["kw-seq", "kw-tok"]
    assert union.findings[0].cwe == "CWE-78"  # the CWE-less finding merges with the CWE one
    majority, _ = scan(repo_zip, [seq, tok], consensus="majority")
    assert len(majority.findings) == 1
    alone, _ = scan(repo_zip, [seq, quiet_classifier], consensus="majority")
    assert alone.findings == []


def test_a_failing_model_does_not_stop_the_others(repo_zip, tmp_path, keyword_models):
    _, tok = keyword_models
    broken = tmp_path / "broken"
    shutil.copytree(tok, broken)
    (broken / "model.safetensors").write_bytes(b"not really safetensors")
    result, sink = scan(repo_zip, [broken, tok, tmp_path / "missing"])
    status = {m.name: m.status for m in result.models}
    assert status == {"broken": "failed", "kw-tok": "completed", "missing": "failed"}
    errors = {e.name: e.error for e in sink.of_type(ModelFailed)}
    assert "corrupt" in errors["broken"] and "not found" in errors["missing"]
    assert len(result.findings) == 1
    assert exit_code_for(result, "high") == 3


def test_pickle_weights_and_remote_code_are_refused_by_default(repo_zip, tmp_path, quiet_classifier):
    import json

    import torch
    from safetensors.torch import load_file

    pickled = tmp_path / "pickled"
    shutil.copytree(quiet_classifier, pickled)
    torch.save(load_file(pickled / "model.safetensors"), pickled / "pytorch_model.bin")
    (pickled / "model.safetensors").unlink()
    result, _ = scan(repo_zip, [pickled])
    assert "--allow-pickle" in result.models[0].error
    assert exit_code_for(result, "high") == 2
    allowed, _ = scan(repo_zip, [pickled], allow_pickle=True)
    assert allowed.models[0].status == "completed"

    remote = tmp_path / "remote"
    shutil.copytree(quiet_classifier, remote)
    cfg = json.loads((remote / "config.json").read_text())
    cfg["auto_map"] = {"AutoModelForSequenceClassification": "modeling_evil.Evil"}
    (remote / "config.json").write_text(json.dumps(cfg))
    refused, _ = scan(repo_zip, [remote])
    assert "--trust-remote-code" in refused.models[0].error


def test_exit_codes(repo_zip, loud_classifier, quiet_classifier, tmp_path):
    loud, _ = scan(repo_zip, [loud_classifier])
    assert loud.findings and all(f.severity == "high" for f in loud.findings)
    assert exit_code_for(loud, "high") == 1
    assert exit_code_for(loud, "critical") == 0
    assert exit_code_for(loud, "none") == 0
    quiet, _ = scan(repo_zip, [quiet_classifier])
    assert exit_code_for(quiet, "low") == 0
    missing, _ = scan(repo_zip, [tmp_path / "nope"])
    assert exit_code_for(missing, "high") == 2


def test_two_flaws_in_one_chunk_are_both_localised(tmp_path, keyword_models):
    from helpers.keyword_models import FILLER

    seq, _ = keyword_models
    lines = [FILLER[i % len(FILLER)] for i in range(10)]
    lines[2] = lines[7] = "os.system(cmd)"  # removing either alone changes nothing: sufficiency finds both
    (tmp_path / "two.py").write_text("\n".join(lines) + "\n")
    result, _ = scan(tmp_path, [seq])
    assert [(f.start_line, f.end_line) for f in result.findings] == [(3, 3), (8, 8)]


def test_two_cpu_processes_give_the_single_device_result(repo_zip, keyword_models, quiet_classifier):
    from aegis_cli.scan.distributed import run_sharded

    seq, tok = keyword_models
    single, _ = scan(repo_zip, [seq, tok, quiet_classifier])
    sink = MemorySink()
    bus = EventBus([sink])
    sharded = run_sharded(ScanOptions(target=str(repo_zip), models=[str(seq), str(tok), str(quiet_classifier)],
                                      devices=["cpu", "cpu"]), bus)
    bus.close()
    strip = lambda fs: [(f.path, f.start_line, f.end_line, f.cwe, f.severity, sorted(f.models)) for f in fs]  # noqa: E731
    assert strip(sharded.findings) == strip(single.findings) != []
    assert {(s.path, s.reason) for s in sharded.skipped} == {(s.path, s.reason) for s in single.skipped}
    assert sharded.files_scanned == single.files_scanned
    # telemetry per device: each worker loaded each model and fed it its own shard
    started = sink.of_type(ModelStarted)
    assert sorted(e.name for e in started) == sorted(f"{m}@cpu#{r}" for m in ("kw-seq", "kw-tok", "quiet") for r in (0, 1))
    quiet_calls = [c for c in sink.of_type(ModelCall) if c.model_id.startswith("quiet")]
    single_quiet = next(m for m in single.models if m.name == "quiet")
    assert sum(c.input_tokens for c in quiet_calls) == single_quiet.input_tokens
    assert {c.model_id for c in quiet_calls} == {"quiet@0", "quiet@1"}
    assert len(sink.of_type(RunStarted)) == 1 and len(sink.of_type(RunFinished)) == 1


def test_a_cancelled_scan_stops_and_says_so(repo_zip, quiet_classifier, tmp_path):
    import threading

    cancel = threading.Event()
    cancel.set()
    sink = MemorySink()
    bus = EventBus([sink])
    result = run_scan(ScanOptions(target=str(repo_zip), models=[str(quiet_classifier)]), bus, cancel=cancel)
    bus.close()
    assert sink.of_type(ModelLoading) == []
    assert sink.of_type(RunFinished)[0].status == "interrupted"
    assert any("interrupted" in w for w in result.warnings)
