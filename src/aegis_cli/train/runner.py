"""Run one training job end to end; the CLI and the training dashboard both call ``run_training``.

``run_training(config, bus=bus)`` builds the recipe, trains with the
AutomatedReportCallback attached, saves the final adapter/model, pushes it to the Hub
when asked, and returns a :class:`TrainOutcome` with the status and the exit code.
Everything people see comes through ``bus`` (TrainStep, TrainLog, LogMessage,
RunStarted, RunFinished, HardwareSample), so a console, a JSONL recorder or a TUI are
just sinks. A UI stops a run with ``stop.set()`` (the run ends after the current step,
INTERRUPTED, with a checkpoint when ``training.save_on_interrupt``).

Under torchrun / accelerate every process calls this; only the world-process-zero
writes the report, talks to Comet and pushes.
"""

from __future__ import annotations

import os
import signal
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aegis_cli.config.train import TrainConfig
from aegis_cli.errors import AegisError, ExitCode
from aegis_cli.redact import scrub
from aegis_cli.telemetry.bus import NullBus
from aegis_cli.telemetry.events import LogMessage


@dataclass
class TrainOutcome:
    status: str  # completed | failed | interrupted
    exit_code: int
    project_name: str
    report_dir: Path
    steps: int = 0
    final_dir: Path | None = None
    checkpoint_dir: Path | None = None
    hub: dict[str, Any] | None = None
    comet: dict[str, Any] | None = None
    error: str | None = None
    traceback: str | None = None
    is_world_zero: bool = True
    report_errors: list[str] = field(default_factory=list)
    # under torchrun with ``hard_exit=True``: the trainer, model and process group, kept alive so
    # that none of their destructors runs before the caller ends the process with os._exit
    held: Any = field(default=None, repr=False, compare=False)

    @property
    def report_md(self) -> Path:
        return self.report_dir / "report.md"

    @property
    def telemetry_png(self) -> Path:
        return self.report_dir / "telemetry.png"

    @property
    def history_json(self) -> Path:
        return self.report_dir / "history.json"


def quiet_libraries() -> None:
    """No progress bars or info chatter from transformers / huggingface_hub in our output."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("COMET_DISABLE_AUTO_LOGGING", "1")  # we log explicitly; no import-order warnings
    try:
        import transformers

        transformers.utils.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
    except Exception:
        pass
    try:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    except Exception:
        pass
    import warnings

    for pattern in (".*TRANSFORMERS_CACHE.*", ".*torch.utils.checkpoint.*use_reentrant.*",
                    ".*does not have many workers.*", ".*pin_memory.*", ".*gradient_checkpointing.*deprecated.*"):
        warnings.filterwarnings("ignore", message=pattern)


def _is_complete_checkpoint(path: Path) -> bool:
    """The Trainer writes ``trainer_state.json`` last: without it a checkpoint is half saved (or not one)."""
    return (path / "trainer_state.json").is_file()


def latest_checkpoint(directory: Path) -> tuple[str | None, list[str]]:
    """The newest *complete* ``checkpoint-N`` in ``directory``, and the newer ones skipped.

    The Trainer writes ``trainer_state.json`` last, so a run killed while saving leaves a
    newer folder without it; resuming from that folder would fail or load half a model.
    """
    import re

    found = []
    if directory.is_dir():
        for child in directory.iterdir():
            match = re.fullmatch(r"checkpoint-(\d+)", child.name)
            if match and child.is_dir():
                found.append((int(match.group(1)), child))
    skipped: list[str] = []
    for _, child in sorted(found, reverse=True):
        if _is_complete_checkpoint(child):
            return str(child), skipped
        skipped.append(str(child))
    return None, skipped


def resolve_resume(config: TrainConfig, resume: str | None,
                   warn: Callable[[str], None] | None = None) -> str | None:
    """``None`` → fresh run; ``"latest"`` → the newest complete checkpoint in the checkpoint dir; else a path."""
    if resume is None:
        return None
    if resume in ("latest", "last", "auto"):
        directory = config.checkpoint_dir()
        last, skipped = latest_checkpoint(directory)
        for path in skipped if warn is not None else ():
            warn(f"skipping {path}: incomplete (no trainer_state.json; the run stopped while saving it)")
        if last is None:
            raise AegisError(f"no complete checkpoint to resume in {directory}",
                             "set training.save_steps so checkpoints are saved, or pass --resume PATH")
        return last
    path = Path(resume).expanduser()
    if not _is_complete_checkpoint(path):
        raise AegisError(f"{path} is not a training checkpoint (no trainer_state.json)",
                         f"pass a checkpoint-N directory, or --resume with no value for the latest in {config.checkpoint_dir()}")
    return str(path)


def config_snapshot(config: TrainConfig) -> dict[str, Any]:
    from aegis_cli.redact import redact_mapping

    return redact_mapping(config.model_dump(mode="json"))


def _install_sigint(on_first: Callable[[], bool]) -> Callable[[], None]:
    """First Ctrl-C: ``on_first`` (True: it will stop after this step); then KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        return _nothing
    previous = signal.getsignal(signal.SIGINT)
    presses = 0

    def handler(signum, frame):
        nonlocal presses
        presses += 1
        if presses == 1 and on_first():
            return
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)

    def restore() -> None:
        signal.signal(signal.SIGINT, previous)

    return restore


def _nothing() -> None:
    return None


def run_training(
    config: TrainConfig,
    *,
    bus: Any = None,
    resume: str | None = None,
    config_path: str | Path | None = None,
    stop: threading.Event | None = None,
    handle_sigint: bool = True,
    callbacks: Sequence[Any] = (),
    hard_exit: bool = False,
) -> TrainOutcome:
    """Train as configured. Config, data and model-load problems raise AegisError (nothing trained);
    once training starts every ending is an outcome with a report.

    ``stop``: set it to end the run after the current step (a UI's stop button).
    ``handle_sigint``: first Ctrl-C stops gracefully, the second aborts (main thread only).
    ``callbacks``: extra TrainerCallbacks (run after the report callback).
    ``hard_exit``: the caller ends the process with ``os._exit`` right after this returns (the CLI
    under torchrun). The ranks still meet at a barrier once everything is written, but the
    process group is not torn down and the trainer is not freed: see ``_close_process_group``.
    """
    from aegis_cli.report.callback import AutomatedReportCallback
    from aegis_cli.train.recipe import build_recipe, world_info

    bus = bus if bus is not None else NullBus()
    quiet_libraries()
    rank, _, world = world_info()
    zero = rank == 0

    def note(level: str, text: str) -> None:
        if zero:
            bus.publish(LogMessage(level=level, text=scrub(text), source="train"))  # type: ignore[arg-type]

    checkpoint = resolve_resume(config, resume, warn=lambda text: note("warning", text))
    callback = AutomatedReportCallback(
        config.reporting.output_dir, config.project_name,
        poll_hz=config.reporting.poll_hz, report_every=config.reporting.report_every,
        chart_every_s=config.reporting.chart_every_s, bus=bus, config=config_snapshot(config),
        model_meta={"base": config.model.base, "task": config.model.task},
        use_comet_ml=config.reporting.use_comet_ml, comet_project=config.reporting.comet_project,
        comet_workspace=config.reporting.comet_workspace, auto_close=False, end_comet_experiment=True,
    )
    if stop is not None:
        callback._stop = stop  # a UI's stop button and Ctrl-C share one flag

    note("info", f"loading {config.model.base} ({config.model.task}) and {config.dataset.source}")
    recipe = build_recipe(config, config_path=config_path, callbacks=[callback, *callbacks])
    callback.token_counter = recipe.token_counter
    callback.model_meta.update(train_examples=len(recipe.examples.train),
                               eval_examples=len(recipe.examples.eval) if recipe.examples.eval else 0)
    from aegis_cli.telemetry.model_info import describe_model

    info = describe_model(recipe.model)
    pct = 100.0 * info.trainable_parameters / info.parameters if info.parameters else 0.0
    note("info", f"model on {info.device} ({info.precision}{', ' + info.quantization if info.quantization else ''}): "
         f"{info.parameters:,} parameters, {info.trainable_parameters:,} trainable ({pct:.2f} %); "
         f"{len(recipe.examples.train):,} training examples")
    if checkpoint:
        note("info", f"resuming from {checkpoint}")

    def first_ctrl_c() -> bool:
        if world > 1 or not callback._began:
            return False  # distributed ranks must stop together: abort instead
        callback.request_stop(save_checkpoint=config.training.save_on_interrupt)
        note("warning", "Ctrl-C: stopping after this step" +
             (" and saving a checkpoint" if config.training.save_on_interrupt else "") + " (press again to abort now)")
        return True

    restore = _install_sigint(first_ctrl_c) if handle_sigint else _nothing
    outcome = TrainOutcome(status="completed", exit_code=int(ExitCode.OK), project_name=config.project_name,
                           report_dir=callback.report_dir, checkpoint_dir=config.checkpoint_dir(), is_world_zero=zero)
    trainer = recipe.trainer
    try:
        try:
            callback.run(trainer, resume_from_checkpoint=checkpoint)
        finally:
            restore()
        outcome.status = callback.status or "completed"
    except KeyboardInterrupt:
        outcome.status, outcome.error = "interrupted", "interrupted by the user (Ctrl-C)"
        if config.training.save_on_interrupt and world == 1 and trainer.state.global_step > 0:
            try:
                trainer._save_checkpoint(trainer.model, trial=None)
                note("info", f"checkpoint saved at step {trainer.state.global_step} in {config.checkpoint_dir()}")
            except Exception as exc:
                note("warning", f"could not save a checkpoint after Ctrl-C: {exc}")
    except Exception as exc:
        outcome.status, outcome.error = "failed", scrub(f"{type(exc).__name__}: {exc}")
        outcome.traceback = scrub(traceback.format_exc())
    outcome.steps = int(trainer.state.global_step)
    if outcome.status == "interrupted" and outcome.error is None:
        outcome.error = callback.error

    if outcome.status == "completed":
        final = config.checkpoint_dir() / "final"
        try:
            trainer.save_model(str(final))
            outcome.final_dir = final
            note("info", f"saved the trained {'adapter' if config.lora.enabled else 'model'} to {final}")
        except Exception as exc:
            note("error", f"could not save the trained model to {final}: {exc}")
        if config.hub.push and zero and outcome.final_dir is not None:
            from aegis_cli.train.hub import push_folder

            assert config.hub.repo_id is not None
            note("info", f"pushing {final} to the Hub as {config.hub.repo_id}")
            result = push_folder(final, config.hub.repo_id, private=config.hub.private, endpoint=config.hub.endpoint,
                                 commit_message=config.hub.commit_message
                                 or f"aegis: {config.project_name} after {outcome.steps} steps",
                                 timeout_s=config.hub.timeout_s)
            outcome.hub = result.to_dict()
            callback.set_hub(outcome.hub)
            if not result.ok:
                outcome.exit_code = int(ExitCode.PUSH_FAILED)
    callback.close()
    if callback.history is not None:
        outcome.comet = callback.history.data.get("comet")
    if callback.writer is not None:
        outcome.report_errors = list(callback.writer.errors)
    if outcome.status == "failed":
        outcome.exit_code = int(ExitCode.FAILED)
    elif outcome.status == "interrupted":
        outcome.exit_code = int(ExitCode.INTERRUPTED)
    if _close_process_group(note, destroy=not hard_exit) and hard_exit:
        outcome.held = (recipe, trainer, callback)
    return outcome


def _close_process_group(note, *, destroy: bool) -> bool:
    """Under torchrun, meet every rank at a barrier once the report, checkpoints and model are
    written (rank 0 writes the report, so it is the late one), then end the process group.

    Teardown after a good run has failed in three ways on CPU/gloo: left to interpreter shutdown,
    a rank's gloo threads were destroyed while still running ("terminate called without an
    active exception", exit -6); a 2-process run hung after its last step, rank 0 alone; and,
    with the group destroyed here, rank 1 once hung for good while freeing the trainer on return
    (a C++ destructor, after rank 0 had exited). With ``destroy=False`` nothing is torn down: the
    caller ends the process with ``os._exit`` once all ranks have passed the barrier, so no
    destructor runs at all. Returns whether a process group was there."""
    import sys

    dist = getattr(sys.modules.get("torch"), "distributed", None)
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return False
    try:
        dist.barrier()
        if destroy:
            dist.destroy_process_group()
    except Exception as exc:  # the run's outcome stands; say why the teardown failed
        note("warning", f"could not close the distributed process group: {type(exc).__name__}: {exc}")
    return True
