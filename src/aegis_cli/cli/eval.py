"""`aegis eval`: scan a labelled target and score each model next to its measured cost."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from aegis_cli.cli.common import handle_errors


class EvalFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


@handle_errors
def eval_command(
    target: Path = typer.Argument(..., help="A .zip archive or a directory of code.", show_default=False),
    labels: Path = typer.Option(..., "--labels", "-l", help='JSON list of {"path", "vulnerable", "findings": '
                                '[{"cwe", "line", "end_line"}]}; a finding matches within ±3 lines of the sink.'),
    model: list[str] = typer.Option(None, "--model", "-m", help="As for aegis scan; repeatable (default: aegis-mini)."),
    fmt: EvalFormat = typer.Option(EvalFormat.table, "--format", "-f", help="Output format."),
    output: Path = typer.Option(None, "--output", "-o", help="Write the scores here instead of stdout."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda:N | mps."),
    precision: str = typer.Option("auto", "--precision", help="auto | fp32 | fp16 | bf16."),
    quantize: str = typer.Option("none", "--quantize", help="none | int8 | int4 (CUDA)."),
    batch_size: int = typer.Option(None, "--batch-size", min=1, help="Sequences per forward pass."),
    consensus: str = typer.Option("union", "--consensus", help="How the merged row combines models: union | majority."),
    threshold: float = typer.Option(None, "--threshold", min=0.0, max=1.0,
                                    help="As for aegis scan: every classifier's minimum probability (default: the presets')."),
) -> None:
    """Score models against labels: file- and line-level precision/recall/F1, CWE accuracy,
    per language and per CWE — next to each model's time, tokens, tokens/s, VRAM and energy."""
    from aegis_cli.evaluate import render_eval, run_eval
    from aegis_cli.scan.pipeline import ScanOptions
    from aegis_cli.telemetry.bus import EventBus
    from aegis_cli.telemetry.console import ConsoleSink
    from aegis_cli.telemetry.sampler import HardwareSampler

    options = ScanOptions(target=str(target), models=list(model) if model else ["aegis-mini"], device=device,
                          precision=precision, quantize=quantize, batch_size=batch_size, consensus=consensus,
                          threshold=threshold)
    bus = EventBus([ConsoleSink()])
    sampler = HardwareSampler(bus=bus).start()
    try:
        ev = run_eval(options, labels, bus, sampler=sampler)
    finally:
        sampler.stop()
        bus.close()
    text = render_eval(ev, fmt.value)
    if output:
        from aegis_cli.fsutil import write_output

        write_output(output, text)
    else:
        typer.echo(text, nl=not text.endswith("\n"))


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
