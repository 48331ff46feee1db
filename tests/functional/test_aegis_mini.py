"""The shipped aegis-mini: loads from the package through the normal provider path, finds planted flaws
in hand-written files (exact lines and CWEs), stays quiet on safe code, fits its size budget, and its
training config runs end to end (a few steps, tiny sizes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "data" / "aegis_mini_cases"


def _package_dir() -> Path:
    from aegis_cli.providers.hf_common import builtin_dir

    return builtin_dir("aegis-mini")


def test_shipped_folder_is_small_safe_and_complete():
    d = _package_dir()
    names = {f.name for f in d.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "README.md"} <= names
    assert not [n for n in names if n.endswith((".bin", ".pt", ".pth", ".pkl", ".ckpt"))]
    assert sum(f.stat().st_size for f in d.iterdir()) < 25 * 2**20
    config = json.loads((d / "config.json").read_text())
    labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
    from aegis_cli.mini.dataset import LABELS

    assert labels == LABELS  # O + one label per CWE, named as the scan provider reads them
    assert config["architectures"] == ["RobertaForTokenClassification"]


def test_the_preset_carries_the_calibrated_threshold():
    from aegis_cli.providers.presets import load_presets, presets_path

    raw = yaml.safe_load(presets_path().read_text())["presets"]["aegis-mini"]
    assert "threshold" in raw.get("labels", {}), "ship writes labels.threshold into the aegis-mini preset"
    preset = load_presets()["aegis-mini"]
    assert preset.id == "builtin:aegis-mini" and preset.kind == "token-classifier"
    assert 0.05 <= preset.labels.threshold <= 0.95


@pytest.fixture(scope="module")
def scanned():
    """One scan of the hand-written cases with the default model (no --model), as `aegis scan` runs it."""
    from aegis_cli.scan.pipeline import ScanOptions, run_scan
    from aegis_cli.telemetry.bus import EventBus
    from aegis_cli.telemetry.sinks import MemorySink

    sink = MemorySink()
    bus = EventBus([sink])
    result = run_scan(ScanOptions(target=str(CASES)), bus)
    bus.close()
    return result, sink


def test_default_scan_loads_aegis_mini_from_the_package(scanned):
    result, sink = scanned
    assert [m.name for m in result.models] == ["aegis-mini"]
    summary = result.models[0]
    assert summary.status == "completed" and summary.device == "cpu" and summary.precision == "fp32"
    started = [e for e in sink.events if type(e).__name__ == "ModelStarted"]
    assert started and started[0].load_time_ms is not None and started[0].load_time_ms > 0
    assert summary.calls >= 1 and summary.input_tokens > 0


# flaws written by hand, in six languages, for the shipped model (never seen in training), in the
# `aegis eval` labels format beside the folder (benchmarks/mini_threshold_sweep.py reads it too)
_LABELS = json.loads((CASES.parent / "aegis_mini_cases.labels.json").read_text(encoding="utf-8"))
EXPECTED = [(lab["path"], f["line"], f["cwe"]) for lab in _LABELS for f in lab["findings"]]  # (file, line, CWE)
SAFE = [lab["path"] for lab in _LABELS if not lab["vulnerable"]]
#: the shipped model's measured floor on these cases (docs/models.md lists what it misses)
MIN_FOUND = 6


def _hit(result, path: str, line: int, cwe: str) -> bool:
    return any(f.path == path and f.start_line - 1 <= line <= f.end_line + 1 and f.cwe == cwe for f in result.findings)


def test_finds_most_planted_flaws_on_their_lines_with_their_cwe(scanned):
    result, _ = scanned
    found = [case for case in EXPECTED if _hit(result, *case)]
    missed = sorted(set(EXPECTED) - set(found))
    assert len(found) >= MIN_FOUND, f"found {len(found)} of {len(EXPECTED)}; missed {missed}"


def test_finds_flaws_in_the_languages_the_issue_names_across_the_hand_written_code(scanned):
    """Over both hand-written sets (these cases and examples/vulnerable-shop, never seen in training), the
    labelled sinks it finds, with their CWE, span Python, JavaScript, Java and Go."""
    from aegis_cli.evaluate import load_labels
    from aegis_cli.scan.pipeline import ScanOptions, run_scan
    from aegis_cli.telemetry.bus import NullBus

    result, _ = scanned
    languages = {Path(path).suffix for path, line, cwe in EXPECTED if _hit(result, path, line, cwe)}
    shop = run_scan(ScanOptions(target=str(ROOT / "examples" / "vulnerable-shop.zip")), NullBus())
    for label in load_labels(ROOT / "examples" / "vulnerable-shop.labels.json"):
        if any(_hit(shop, label.path, f.line, f.cwe) for f in label.findings):
            languages.add(Path(label.path).suffix)
    assert {".py", ".js", ".java", ".go"} <= languages, languages


def test_findings_carry_a_cwe_a_severity_and_the_model(scanned):
    result, _ = scanned
    assert result.findings
    for f in result.findings:
        assert f.cwe and f.cwe.startswith("CWE-") and f.models == ["aegis-mini"]
        assert f.severity in ("critical", "high", "medium", "low")
        assert f.confidence is not None and f.confidence >= 0.05


def test_safe_files_are_quieter_than_vulnerable_ones(scanned):
    result, _ = scanned
    on_safe = [f for f in result.findings if f.path in SAFE]
    assert [f for f in on_safe if f.path == "safe_report.py"] == []  # parameterised SQL is not flagged
    vulnerable = {p for p, _, _ in EXPECTED}
    on_vulnerable = [f for f in result.findings if f.path in vulnerable]
    assert len(on_safe) / len(SAFE) < len(on_vulnerable) / len(vulnerable)


def test_the_training_config_runs_end_to_end(tmp_path, monkeypatch):
    """configs/aegis_mini.yaml as shipped, shrunk to seconds: generated data, fresh init, scanner windows."""
    from typer.testing import CliRunner

    from aegis_cli.cli.main import app

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("AEGIS_CACHE", str(tmp_path / "cache"))
    tiny = ["model.init.hidden_size=32", "model.init.layers=1", "model.init.heads=2", "model.init.intermediate_size=64",
            "model.init.vocab_size=500", "model.init.context=64", "dataset.max_length=64",
            "dataset.generator.train=12", "dataset.generator.validation=3", "dataset.generator.background=none",
            "training.max_steps=3", "training.logging_steps=1", "training.eval.steps=3", "training.save_steps=null",
            "training.per_device_batch_size=4", f"training.output_dir={tmp_path / 'runs'}",
            f"reporting.output_dir={tmp_path / 'reports'}"]
    args = ["train", "--config", str(ROOT / "configs" / "aegis_mini.yaml"), "--no-tui"]
    for item in tiny:
        args += ["--set", item]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    final = tmp_path / "runs" / "final"
    config = json.loads((final / "config.json").read_text())
    from aegis_cli.mini.dataset import LABELS

    assert config["id2label"]["0"] == "O" and len(config["id2label"]) == len(LABELS)
    assert config["max_position_embeddings"] == 66 and config["hidden_size"] == 32
    history = json.loads((tmp_path / "reports" / "aegis-mini" / "history.json").read_text())
    assert history["status"] == "completed"


def _scan_json(*extra: str) -> tuple[int, dict | None, str]:
    from typer.testing import CliRunner

    from aegis_cli.cli.main import app

    result = CliRunner().invoke(app, ["scan", str(CASES), "--no-tui", "--format", "json", "--fail-on", "none", *extra])
    data = json.loads(result.stdout) if result.exit_code == 0 else None
    return result.exit_code, data, result.output


def test_threshold_option_replaces_the_presets_threshold():
    """--threshold changes which lines become findings: a lower one than the preset's gives more findings,
    each at or above it; a higher one gives fewer, each at or above it."""
    from aegis_cli.providers.presets import load_presets

    preset = load_presets()["aegis-mini"]
    code, default, out = _scan_json()
    assert code == 0, out
    low = round(preset.labels.threshold - 0.3, 2)
    code, lowered, out = _scan_json("--threshold", str(low))
    assert code == 0, out
    assert len(lowered["findings"]) > len(default["findings"])
    assert all(f["confidence"] >= low for f in lowered["findings"])
    assert all(f["confidence"] >= preset.labels.threshold for f in default["findings"])
    code, strict, out = _scan_json("--threshold", "0.9")
    assert code == 0, out
    assert all(f["confidence"] >= 0.9 for f in strict["findings"])
    assert len(strict["findings"]) < len(default["findings"])


def test_threshold_outside_zero_to_one_is_a_usage_error():
    code, _, out = _scan_json("--threshold", "1.5")
    assert code == 2 and "--threshold" in out


def test_sink_check_drops_only_lines_that_cannot_be_a_sink_of_their_cwe():
    """At a threshold near zero every line becomes a finding under the model's best label; with the preset's
    sink check on, only findings whose lines hold a token of their CWE's sink pattern remain, and each of them
    is the same finding the unchecked scan reported."""
    from aegis_cli.mini.ship import scan_findings
    from aegis_cli.scan.sinks import fits_sink

    model = _package_dir()
    unchecked, _ = scan_findings(CASES, model, 0.02, sink_check=False)
    checked, _ = scan_findings(CASES, model, 0.02, sink_check=True)
    key = lambda f: (f.path, f.start_line, f.end_line, f.cwe)  # noqa: E731
    assert {key(f) for f in checked} < {key(f) for f in unchecked}
    assert all(fits_sink(f.cwe, f.snippet) for f in checked)
    dropped = [f for f in unchecked if key(f) not in {key(g) for g in checked}]
    assert dropped and not any(fits_sink(f.cwe, f.snippet) for f in dropped)
    # a finding that covers a hand-written sink's own line with the sink's CWE is never dropped (sink lines fit
    # their CWE's pattern); at 0.02 a neighbouring non-sink line can carry the CWE too, so match the exact line here
    def on_line(found, path: str, line: int, cwe: str) -> bool:
        return any(f.path == path and f.cwe == cwe and f.start_line <= line <= f.end_line for f in found)

    for sink in EXPECTED:
        assert on_line(checked, *sink) == on_line(unchecked, *sink), sink
    # and at the shipped threshold the check loses none of the sinks the unchecked scan finds by the ±3 scorer
    from aegis_cli.providers.presets import load_presets

    threshold = load_presets()["aegis-mini"].labels.threshold
    shipped_unchecked, _ = scan_findings(CASES, model, threshold, sink_check=False)
    shipped_checked, _ = scan_findings(CASES, model, threshold, sink_check=True)

    def near(found, path: str, line: int, cwe: str) -> bool:
        return any(f.path == path and f.cwe == cwe and f.start_line - 3 <= line <= f.end_line + 3 for f in found)

    for sink in EXPECTED:
        assert near(shipped_checked, *sink) == near(shipped_unchecked, *sink), sink


def test_the_default_preset_checks_sinks():
    from aegis_cli.providers.presets import load_presets

    assert load_presets()["aegis-mini"].labels.sink_check is True
