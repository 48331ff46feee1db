"""`aegis train`: fine-tune a model from a YAML config and keep an honest report of the run."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, NoReturn

import typer
from typer.core import TyperCommand

from aegis_cli.cli.common import handle_errors, stdout_is_terminal

_RESUME_LATEST = "latest"


class _OptionalResumeCommand(TyperCommand):
    """Lets ``--resume`` stand alone (resume the latest checkpoint) or take a CHECKPOINT path."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        fixed: list[str] = []
        for i, arg in enumerate(args):
            fixed.append(arg)
            if arg == "--resume" and (i + 1 == len(args) or args[i + 1].startswith("-")):
                fixed.append(_RESUME_LATEST)
        return super().parse_args(ctx, fixed)


@handle_errors
def train(
    config: Path = typer.Option(..., "--config", "-c", help="Training config (YAML), e.g. configs/finetuning_config.yaml."),
    overrides: list[str] = typer.Option([], "--set", help="Override a config value: --set training.max_steps=50 (repeatable)."),
    resume: str = typer.Option(None, "--resume", metavar="[CHECKPOINT]",
                               help="Resume from a checkpoint directory; alone, the latest checkpoint of this run."),
    no_tui: bool = typer.Option(False, "--no-tui", help="Plain progress lines instead of the live dashboard (the default in a terminal)."),
    telemetry_log: Path = typer.Option(None, "--telemetry-log", help="Record every telemetry event as JSON lines."),
) -> None:
    """Fine-tune a model; writes report.md, telemetry.png and history.json to reporting.output_dir/<project_name>."""
    from aegis_cli.config.loader import load_config
    from aegis_cli.config.train import TrainConfig
    from aegis_cli.telemetry.bus import EventBus
    from aegis_cli.telemetry.sinks import JsonlRecorder
    from aegis_cli.train.console import TrainConsoleSink
    from aegis_cli.train.runner import run_training

    cfg = load_config(config, TrainConfig, overrides)
    if not cfg.reporting.use_comet_ml and "comet_ml" not in cfg.reporting.report_to:
        # transformers imports comet_ml whenever it is installed (and comet_ml hooks other imports);
        # with Comet off, this process never loads it: a None entry makes `import comet_ml` fail
        import sys

        sys.modules.setdefault("comet_ml", None)  # type: ignore[arg-type]
    zero = os.environ.get("RANK", "0") in ("", "0")
    distributed = os.environ.get("WORLD_SIZE", "1") not in ("", "1")
    # the dashboard: one process, stdout a terminal (ranks of a distributed run must stop together,
    # which a per-process stop button cannot promise; they print plain lines)
    tui = zero and not no_tui and os.environ.get("WORLD_SIZE", "1") in ("", "1") and stdout_is_terminal()
    sinks: list[Any] = []
    console_sink: TrainConsoleSink | None = None
    if zero:
        if not tui:
            console_sink = TrainConsoleSink()
            sinks.append(console_sink)
        if telemetry_log is not None:
            sinks.append(JsonlRecorder(telemetry_log))
    bus = EventBus(sinks)
    try:
        if tui:
            from aegis_cli.tui.train_app import run_train_dashboard

            def job(stop: Any) -> Any:  # the dashboard owns Ctrl-C and hands its stop event here
                return run_training(cfg, bus=bus, resume=resume, config_path=config, stop=stop, handle_sigint=False)

            outcome = run_train_dashboard(bus, job, title=f"aegis train {cfg.project_name}")
        else:
            outcome = run_training(cfg, bus=bus, resume=resume, config_path=config, hard_exit=distributed)
    finally:
        stats = bus.close()
    if not zero:
        _end(outcome.exit_code, hard=distributed)
    from rich.console import Console
    from rich.text import Text

    from aegis_cli.cli.common import err_console, state

    out = Console(highlight=False, soft_wrap=True)
    for s in stats:
        if s.dropped or s.error:
            err_console().print(Text(f"telemetry: {s.line()}", style="yellow"))
    rows = [("report", outcome.report_md), ("telemetry", outcome.telemetry_png), ("history", outcome.history_json)]
    if outcome.final_dir is not None:
        rows.append(("model", outcome.final_dir))
    if telemetry_log is not None:
        rows.append(("events", telemetry_log))
    for name, path in rows:
        out.print(Text(f"{name + ':':<11}{path}"))
    for problem in outcome.report_errors:
        err_console().print(Text(f"report: {problem}", style="red"))
    if outcome.status == "failed" and (console_sink is None or not console_sink.finished):
        # the run failed before its report callback could announce it (or the dashboard has closed):
        # the reason still reaches the terminal, on one line
        hint = "" if state["debug"] else " (--debug shows the traceback)"
        err_console().print(Text(f"[ERROR] Training failed: {outcome.error or 'unknown error'}{hint}", style="red"))
    if outcome.status == "failed" and state["debug"] and outcome.traceback:
        err_console().print(Text(outcome.traceback))
    _end(outcome.exit_code, hard=distributed)


def _end(code: int, *, hard: bool) -> NoReturn:
    """Exit with ``code``. A rank of a torchrun job (``hard``) has passed the ranks' final barrier
    with everything written: it flushes its output and leaves with ``os._exit``, so no destructor
    of the trainer, the process group or gloo's threads runs (see ``_close_process_group``)."""
    if hard:
        import logging
        import sys

        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("train", cls=_OptionalResumeCommand)(train)
