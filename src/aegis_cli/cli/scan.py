"""`aegis scan`: scan a ZIP or folder of code with one or more models."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from aegis_cli.cli.common import handle_errors, stdout_is_terminal


class Format(str, Enum):
    table = "table"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"


class FailOn(str, Enum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    none = "none"


class Precision(str, Enum):
    auto = "auto"
    fp32 = "fp32"
    fp16 = "fp16"
    bf16 = "bf16"


class Quantize(str, Enum):
    none = "none"
    int8 = "int8"
    int4 = "int4"


class Consensus(str, Enum):
    union = "union"
    majority = "majority"


@handle_errors
def scan(
    target: Path = typer.Argument(..., help="A .zip archive or a directory of code.", show_default=False),
    model: list[str] = typer.Option(
        None, "--model", "-m",
        help="Preset alias (aegis models list), HF model id, local path, or http(s) endpoint. Repeatable. "
             "Default: aegis-mini (shipped)."),
    fmt: Format = typer.Option(None, "--format", "-f", help="Output format (default: from the --output suffix, else table)."),
    output: Path = typer.Option(None, "--output", "-o", help="Write results here instead of stdout."),
    no_tui: bool = typer.Option(False, "--no-tui", help="Plain progress and event lines on stderr, even in a terminal."),
    fail_on: FailOn = typer.Option(FailOn.high, "--fail-on", help="Exit 1 when a finding is at or above this severity."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda:N | mps."),
    devices: str = typer.Option(None, "--devices",
                                help="Several devices, comma-separated (cuda:0,cuda:1): one worker process each, "
                                     "files sharded between them, results identical to one device."),
    precision: Precision = typer.Option(Precision.auto, "--precision", help="Model dtype (auto: bf16/fp16 on GPU, fp32 on CPU)."),
    quantize: Quantize = typer.Option(Quantize.none, "--quantize", help="bitsandbytes int8/int4 (CUDA only)."),
    batch_size: int = typer.Option(None, "--batch-size", min=1, help="Sequences per forward pass (default: 64 on GPU, 16 on CPU)."),
    include: list[str] = typer.Option(None, "--include", help="Only paths matching this glob (repeatable)."),
    exclude: list[str] = typer.Option(None, "--exclude", help="Skip paths matching this glob (repeatable)."),
    max_file_bytes: int = typer.Option(2 * 2**20, "--max-file-bytes", min=1, help="Skip files larger than this."),
    consensus: Consensus = typer.Option(Consensus.union, "--consensus", help="With several models: union, or majority (≥ 2 agree)."),
    threshold: float = typer.Option(None, "--threshold", min=0.0, max=1.0,
                                    help="Minimum probability for a classifier's finding, for every model (default: "
                                         "each preset's; aegis-mini's is calibrated on generated code, lower it for "
                                         "more recall on unfamiliar code: docs/models.md)."),
    telemetry_log: Path = typer.Option(None, "--telemetry-log", help="Record every telemetry event to this JSONL file."),
    allow_pickle: bool = typer.Option(False, "--allow-pickle", help="Allow pickle (.bin) weights, which can run code."),
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code", help="Allow models that ship their own Python code."),
    show_skips: bool = typer.Option(False, "--show-skips", help="Print each skipped file (always in the reports)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Print debug events (tracebacks of failed models)."),
) -> None:
    """Scan TARGET with one or more models and report findings with true per-model telemetry.

    Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage, config or
    input error (every model failing to load included); 3 a model failed while others completed
    (results still written); 5 every model failed while running.
    """
    from aegis_cli.scan.pipeline import ScanOptions
    from aegis_cli.scan.runner import OutputOptions, execute_scan

    device_list = [d.strip() for d in devices.split(",") if d.strip()] if devices else []
    if len(device_list) == 1:
        device, device_list = device_list[0], []
    options = ScanOptions(
        target=str(target), models=list(model) if model else ["aegis-mini"], device=device, devices=device_list,
        precision=precision.value, quantize=quantize.value, batch_size=batch_size,
        include=list(include or []), exclude=list(exclude or []), max_file_bytes=max_file_bytes,
        consensus=consensus.value, allow_pickle=allow_pickle, trust_remote_code=trust_remote_code, threshold=threshold)
    out = OutputOptions(format=fmt.value if fmt else None, output=output, fail_on=fail_on.value,
                        tui=not no_tui and stdout_is_terminal(), telemetry_log=telemetry_log,
                        show_skips=show_skips, verbose=verbose)
    raise typer.Exit(execute_scan(options, out))


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
