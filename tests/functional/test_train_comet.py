"""Comet ML with the real comet_ml package in offline mode: one experiment, with parameters, metrics, assets."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from aegis_cli.report.history import rows
from helpers.tiny_train import train_config

pytest.importorskip("comet_ml")


@pytest.fixture
def offline_comet(tmp_path, monkeypatch):
    """No key anywhere: comet must fall back to an offline archive."""
    monkeypatch.delenv("COMET_API_KEY", raising=False)
    monkeypatch.setenv("COMET_CONFIG", str(tmp_path / "no-comet.config"))
    monkeypatch.setenv("HF_TOKEN", "hf_sentinelCOMETTEST0001")
    yield
    try:  # leave no running experiment behind for the next test
        import comet_ml

        exp = comet_ml.get_running_experiment()
        if exp is not None and getattr(exp, "alive", False):
            exp.end()
    except Exception:
        pass


def _messages(archive) -> tuple[list[dict], list[str], str]:
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        lines = zf.read("messages.json").decode().splitlines()
        blob = b"".join(zf.read(n) for n in names).decode("utf-8", "replace")
    return [json.loads(line) for line in lines if line.strip()], names, blob


def _run(cfg):
    from aegis_cli.telemetry import EventBus, LogMessage, MemorySink
    from aegis_cli.train.runner import run_training

    sink = MemorySink()
    bus = EventBus([sink])
    outcome = run_training(cfg, bus=bus, handle_sigint=False)
    bus.close()
    return outcome, [m.text for m in sink.of_type(LogMessage)]


def test_offline_archive_holds_parameters_metrics_and_assets(tmp_path, offline_comet):
    cfg = train_config(tmp_path, max_steps=4, reporting={"use_comet_ml": True})
    outcome, notices = _run(cfg)
    assert outcome.status == "completed"
    assert sum("no COMET_API_KEY, writing an offline experiment archive" in n for n in notices) == 1  # one-line notice
    archives = sorted((outcome.report_dir / "comet-offline").glob("*.zip"))
    assert len(archives) == 1
    assert outcome.comet["archive"] == str(archives[0]) and outcome.comet["online"] is False
    report = outcome.report_md.read_text()
    assert "Offline experiment archive (no COMET_API_KEY)" in report and archives[0].name in report

    messages, _names, blob = _messages(archives[0])
    params = {m["payload"]["param"]["paramName"]: m["payload"]["param"]["paramValue"]
              for m in messages if m["type"] == "parameter_msg"}
    assert params["config.training.learning_rate"] == 0.001
    assert params["config.lora.r"] == 4 and params["model.architecture"] == "LlamaForCausalLM"
    metrics = [m["payload"]["metric"] for m in messages if m["type"] == "metric_msg"]
    losses = {m["step"]: m["metricValue"] for m in metrics if m["metricName"] == "loss"}
    history = json.loads(outcome.history_json.read_text())
    assert losses == {e["step"]: pytest.approx(e["loss"]) for e in rows(history)}
    assert any(m["metricName"] == "aegis/samples_per_s" for m in metrics)
    uploads = {m["payload"]["additional_params"]["fileName"]: m["payload"]["file_path"]
               for m in messages if m["type"] == "file_upload"}
    assert set(uploads) == {"report.md", "telemetry.png", "history.json"}
    with zipfile.ZipFile(archives[0]) as zf:  # the asset files themselves are in the archive
        assert zf.read(uploads["telemetry.png"])[:8] == b"\x89PNG\r\n\x1a\n"
        assert zf.read(uploads["report.md"]).decode().startswith("# Training report: t-causal_lm")
    assert "hf_sentinelCOMETTEST0001" not in blob  # the environment's secrets are not captured


def test_comet_is_never_imported_when_disabled(tmp_path):
    """`aegis train` with use_comet_ml: false never loads comet_ml (transformers would, if let)."""
    import yaml

    from helpers.tiny_train import config_dict

    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(config_dict(tmp_path, max_steps=1)))
    code = (
        "import sys; from aegis_cli.cli.main import app\n"
        f"try:\n    app(['train', '--config', {str(cfg)!r}, '--no-tui'])\n"
        "except SystemExit as e:\n    print('exit', e.code)\n"
        "print('comet_ml loaded:', sys.modules.get('comet_ml') is not None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    tail = out.stdout.strip().splitlines()[-2:]
    assert tail == ["exit 0", "comet_ml loaded: False"], out.stdout[-2000:] + out.stderr[-2000:]


def test_transformers_comet_callback_experiment_is_reused_not_duplicated(tmp_path, offline_comet, monkeypatch):
    offline_dir = tmp_path / "comet-callback"
    monkeypatch.setenv("COMET_START_ONLINE", "false")
    monkeypatch.setenv("COMET_OFFLINE_DIRECTORY", str(offline_dir))
    cfg = train_config(tmp_path, max_steps=4, reporting={"use_comet_ml": True, "report_to": ["comet_ml"]})
    outcome, notices = _run(cfg)
    assert outcome.status == "completed"
    assert any("started by transformers' CometCallback" in n for n in notices)
    assert outcome.comet["shared"] is True
    archives = list(offline_dir.glob("*.zip")) + list((outcome.report_dir / "comet-offline").glob("*.zip"))
    assert len(archives) == 1, archives  # one experiment, not two
    messages, _, _ = _messages(archives[0])
    metric_names = {m["payload"]["metric"]["metricName"] for m in messages if m["type"] == "metric_msg"}
    assert "aegis/samples_per_s" in metric_names  # aegis's telemetry went to the shared experiment
    assert any("loss" in name for name in metric_names)  # and the CometCallback's own logs
