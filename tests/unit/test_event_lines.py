"""The event lines shared by the plain console and the dashboard log: exact formats."""

import subprocess
import sys

from aegis_cli.telemetry.events import (
    FileSkipped,
    LogMessage,
    ModelCall,
    ModelCompleted,
    ModelFailed,
    ModelLoading,
    ModelStarted,
    RunFinished,
    RunStarted,
)
from aegis_cli.telemetry.lines import EventLineFormatter, format_event_line, line_level, printable


def started(device="cuda:0", vram=2048.0, load=3421.0, provider="hf"):
    return ModelStarted(model_id="m", name="codebert-base", provider=provider, device=device, vram_mb=vram,
                        load_time_ms=load, quantization=None, precision="bf16")


def completed(**kw):
    values = dict(model_id="m", calls=10, avg_latency_ms=123.4, findings=12, input_tokens=45234, output_tokens=0,
                  total_tokens=45234, tokens_per_s=125.33, elapsed_ms=1234.4)
    values.update(kw)
    return ModelCompleted(**values)


def test_model_started_on_gpu_and_cpu():
    f = EventLineFormatter()
    assert f.format(started()) == "[INFO] Model started: codebert-base on cuda:0 (2048MB VRAM, loaded in 3421ms)"
    # a CPU model never shows VRAM, even if a figure slipped through
    assert f.format(started("cpu", 0.0)) == "[INFO] Model started: codebert-base on cpu (loaded in 3421ms)"
    assert f.format(started("cuda:1", None)) == "[INFO] Model started: codebert-base on cuda:1 (loaded in 3421ms)"
    assert f.format(started(None, None, 48.3, provider="http")) == \
        "[INFO] Model started: codebert-base on remote (loaded in 48ms)"
    assert f.format(started("cpu", None, None)) == "[INFO] Model started: codebert-base on cpu"


def test_model_completed_uses_the_remembered_name_and_exact_figures():
    f = EventLineFormatter()
    assert f.format(ModelLoading(model_id="m", name="codebert-base")) is None
    assert f.format(completed()) == \
        "[SUCCESS] Model completed: codebert-base (1234ms, 12 findings, 45234 tokens, 125.3 tok/s)"
    # elapsed falls back to calls × average latency; an unmeasured speed says so
    assert f.format(completed(elapsed_ms=None, tokens_per_s=None)) == \
        "[SUCCESS] Model completed: codebert-base (1234ms, 12 findings, 45234 tokens, n/a tok/s)"
    assert f.format(completed(elapsed_ms=None, avg_latency_ms=None)).startswith(
        "[SUCCESS] Model completed: codebert-base (n/a, ")
    assert "~45234 tokens" in f.format(completed(tokens_estimated=True))


def test_failures_warnings_skips_and_run_lines():
    f = EventLineFormatter({"m": "codebert-base"})
    assert f.format(ModelFailed(model_id="m", error="CUDA out of memory.\nTried to allocate 2 GiB")) == \
        "[ERROR] Model failed: codebert-base (CUDA out of memory. Tried to allocate 2 GiB)"
    assert f.format(LogMessage(level="warning", text="file.c decoded as latin-1")) == \
        "[WARNING] file.c decoded as latin-1"
    assert f.format(LogMessage(level="debug", text="traceback")) is None
    assert f.format(FileSkipped(path="web/node_modules/", reason="vendored folder")) == \
        "[SKIP] web/node_modules/: vendored folder"
    assert f.format(RunStarted(run_id="r", kind="scan", meta={"target": "app.zip"})) == "[INFO] Scan started: app.zip"
    assert f.format(RunFinished(run_id="r", status="completed", duration_s=12.34)) == "[SUCCESS] Scan completed in 12.3s"
    assert f.format(RunFinished(run_id="r", status="failed", error="every model failed")) == \
        "[ERROR] Scan failed: every model failed"
    assert f.format(ModelCall(model_id="m", latency_ms=1, input_tokens=1, output_tokens=0, items=1)) is None


def test_control_characters_are_escaped_but_markup_is_left_to_the_renderer():
    f = EventLineFormatter()
    line = f.format(ModelFailed(model_id="x", name="evil\x1b[31m", error="[bold red]pwned[/]\u202e"))
    assert line == "[ERROR] Model failed: evil\\x1b[31m ([bold red]pwned[/]\\u202e)"
    assert "\x1b" not in line and "\u202e" not in line
    assert printable("  a\tb\n") == "a b"


def test_stateless_form_updates_the_names_it_is_given():
    names: dict[str, str] = {}
    assert format_event_line(started(), names).startswith("[INFO] Model started: codebert-base")
    assert names == {"m": "codebert-base"}
    assert format_event_line(completed(), names).startswith("[SUCCESS] Model completed: codebert-base (")
    assert line_level("[SUCCESS] x") == "success" and line_level("[SKIP] y") == "skip"


def test_lines_and_dashboard_state_import_neither_torch_nor_textual():
    code = (
        "import sys, aegis_cli.telemetry.lines, aegis_cli.tui.scan_state; "
        "print(','.join(m for m in ('torch', 'textual', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
