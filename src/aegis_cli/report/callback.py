"""AutomatedReportCallback: an honest, permanent record of any Hugging Face Trainer run.

Add it to a Trainer and the run leaves ``<output_dir>/<project_name>/`` with report.md,
telemetry.png and history.json, rewritten every ``report_every`` logs and at the end::

    from aegis_cli.report import AutomatedReportCallback

    report = AutomatedReportCallback("docs/reports", "my-run")
    trainer = Trainer(..., callbacks=[report])
    report.run(trainer)            # trainer.train() with FAILED / INTERRUPTED reports on exceptions

What it measures, and how (see docs/training.md):

* per optimizer step: ``torch.cuda.max_memory_allocated`` after the step, with the peak
  reset before it (CUDA only, no synchronisation); nothing else runs per step;
* per log step: the Trainer's loss / learning rate / grad norm, the hardware sampler's
  interval aggregates (power min/mean/max, utilisation, temperature, energy), samples
  and tokens fed (tokens counted on the CPU side by :class:`TokenCounter`), summed over
  processes with one small all-reduce when distributed;
* only the world-process-zero writes files, starts the sampler and talks to Comet.

``trainer.train()`` gets no callback on an exception, so ``run`` wraps it: an exception
ends the segment FAILED with the error, Ctrl-C ends it INTERRUPTED, and the sampler is
always stopped.
"""

from __future__ import annotations

import math
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from aegis_cli.fsutil import atomic_write_bytes
from aegis_cli.redact import redact_mapping, scrub
from aegis_cli.report.history import FILENAME, History, HistoryCorrupt, empty_entry, from_log_history
from aegis_cli.report.summary import samples_processed
from aegis_cli.report.writer import ReportWriter
from aegis_cli.telemetry.bus import NullBus
from aegis_cli.telemetry.events import LogMessage, RunFinished, RunStarted, TrainLog, TrainStep


class TokenCounter:
    """Non-padding tokens fed to the model, counted where batches are built (no GPU sync).

    Counts only in the process that created it: with DataLoader worker processes the
    count is unknown (``known`` is False) rather than wrong.
    """

    def __init__(self) -> None:
        self.tokens = 0
        self.known = True
        self._pid = os.getpid()

    def add(self, n: int) -> None:
        if os.getpid() != self._pid:
            self.known = False  # a worker process: its count never reaches the trainer
            return
        self.tokens += n


class CountingDataset:
    """Wraps a map-style dataset of tokenized examples; counts ``input_ids`` (or attention_mask) per item fetched."""

    def __init__(self, dataset: Any, counter: TokenCounter):
        self.dataset = dataset
        self.counter = counter

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:
        item = self.dataset[index]
        mask = item.get("attention_mask") if isinstance(item, dict) else None
        if mask is not None:
            self.counter.add(int(sum(mask)))
        elif isinstance(item, dict) and item.get("input_ids") is not None:
            self.counter.add(len(item["input_ids"]))
        return item


def _task_of(model: Any) -> str | None:
    name = type(model).__name__
    for suffix, task in (("ForCausalLM", "causal_lm"), ("ForSequenceClassification", "sequence_classification"),
                         ("ForTokenClassification", "token_classification")):
        if suffix in name:
            return task
    return None


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


class AutomatedReportCallback(TrainerCallback):
    """Keeps report.md, telemetry.png and history.json for a Trainer run (see module docstring)."""

    def __init__(
        self,
        output_dir: str | Path = "docs/reports",
        project_name: str | None = None,
        *,
        poll_hz: float = 2.0,
        report_every: int = 10,
        chart_every_s: float = 60.0,
        bus: Any = None,
        config: dict[str, Any] | None = None,
        model_meta: dict[str, Any] | None = None,
        use_comet_ml: bool = False,
        comet_project: str | None = None,
        comet_workspace: str | None = None,
        token_counter: TokenCounter | None = None,
        auto_close: bool = True,
        charts: bool = True,
        sample_hardware: bool = True,
        run_id: str | None = None,
        end_comet_experiment: bool | None = None,
    ):
        if report_every < 1:
            raise ValueError("report_every must be >= 1")
        self.output_dir = Path(output_dir)
        self.project_name = project_name
        self.poll_hz = poll_hz
        self.report_every = report_every
        self.chart_every_s = chart_every_s
        self.bus = bus if bus is not None else NullBus()
        self.config = config
        self.model_meta = dict(model_meta or {})
        self.use_comet_ml = use_comet_ml
        self.comet_project = comet_project
        self.comet_workspace = comet_workspace
        self.token_counter = token_counter
        self.auto_close = auto_close
        self.charts = charts
        self.sample_hardware = sample_hardware
        self.run_id = run_id or uuid.uuid4().hex[:12]
        #: end the Comet experiment in close(): None = only one this callback created (not the
        #: CometCallback's); the CLI passes True since nothing logs to it after the run
        self.end_comet_experiment = end_comet_experiment

        self.history: History | None = None
        self.writer: ReportWriter | None = None
        self.sampler: Any = None
        self.comet: Any = None
        self.status: str | None = None  # final status of the current segment once it ended
        self.error: str | None = None
        self.stop_reason: str | None = None
        self._stop = threading.Event()
        self._save_on_stop = True
        self._began = False
        self._closed = False
        self._segment_open = False
        self._is_zero = True
        self._state: Any = None
        self._args: Any = None
        self._world_size = 1
        self._cuda: Any = None
        self._cuda_device: Any = None
        self._seg_t0 = 0.0
        self._prev_duration = 0.0
        self._seg_start_step = 0
        self._samples_base = 0
        self._per_sample = 1
        self._logs_since_write = 0
        self._nan_warned = False
        self._last_total: dict[str, Any] | None = None
        self._iv_t0 = 0.0
        self._iv_step0 = 0
        self._iv_vram_max = -1.0
        self._iv_vram_sum = 0.0
        self._iv_vram_n = 0
        self._iv_tokens0 = 0
        self._reset_interval(0)

    # ------------------------------------------------------------- public
    @property
    def report_dir(self) -> Path:
        return self.output_dir / (self.project_name or "run")

    def request_stop(self, *, save_checkpoint: bool = True) -> None:
        """Stop after the current optimizer step (Ctrl-C in a UI): INTERRUPTED, checkpoint if asked. Thread-safe."""
        self._save_on_stop = save_checkpoint
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def run(self, trainer: Any, **train_kwargs: Any) -> Any:
        """``trainer.train(**train_kwargs)`` with the report kept on every exit path."""
        if self not in trainer.callback_handler.callbacks:
            trainer.add_callback(self)
        self._resume_requested = bool(train_kwargs.get("resume_from_checkpoint"))
        try:
            return trainer.train(**train_kwargs)
        except KeyboardInterrupt:
            self.fail("interrupted", "interrupted by the user (Ctrl-C)", trainer=trainer)
            raise
        except BaseException as exc:
            self.fail("failed", f"{type(exc).__name__}: {exc}", trainer=trainer)
            raise
        finally:
            if self.auto_close:
                self.close()
            else:
                self._stop_sampler()

    def fail(self, status: str, error: str, *, trainer: Any = None) -> None:
        """End the current segment with ``status`` (failed / interrupted) and write the report now."""
        if not self._began and trainer is not None:
            # failed before training began (checkpoint load, data loader, process group)
            try:
                if not self._adopt_history_for_failed_resume(trainer):
                    self.on_train_begin(trainer.args, trainer.state, trainer.control, model=trainer.model)
            except Exception:
                return
        if self._is_zero and self._segment_open:
            self._end_segment(status, scrub(error))

    def set_hub(self, info: dict[str, Any]) -> None:
        """Record a Hub push (see aegis_cli.train.hub) and rewrite the report."""
        if self.history is None:
            return
        self.history.data["hub"] = redact_mapping(info)
        if info.get("ok"):
            self._log("success", f"pushed to {info.get('repo_id')} at commit {info.get('commit_sha')}", "hub")
        else:
            self._log("error", f"Hub push to {info.get('repo_id')} failed: {info.get('error')}", "hub")
        self._write_now(chart=False)

    def close(self) -> None:
        """Final write, Comet assets, sampler stopped, RunFinished published. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._stop_sampler()
        if not (self._is_zero and self.history is not None):
            return
        if self._segment_open:  # train() returned without on_train_end (should not happen)
            self._end_segment("completed" if not self._stop.is_set() else "interrupted", None)
        assert self.writer is not None
        self.writer.drain()
        self._write_now(chart=True)
        if self.comet is not None:
            self.comet.log_assets([self.writer.report_path, self.writer.chart_path, self.writer.history_path],
                                  step=self.history.data.get("global_step"))
            self.comet.end(shared_too=bool(self.end_comet_experiment))
            self.history.data["comet"] = self.comet.info()
            if self.comet.archive:
                self._log("info", f"Comet offline archive: {self.comet.archive}", "comet")
            if self.comet.error:
                self._log("warning", self.comet.error, "comet")
            self.writer.write(self.history, chart=False)  # the archive path is known only now
        self.writer.close()
        status = self.history.data["status"]
        self.bus.publish(RunFinished(run_id=self.run_id, status=status if status != "running" else "completed",
                                     error=self.history.data.get("error"),
                                     duration_s=sum(float(s.get("duration_s") or 0) for s in self.history.segments)))

    # -------------------------------------------------------------- hooks
    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self._began = True
        self._closed = False
        self._state, self._args = state, args
        self._is_zero = bool(state.is_world_process_zero)
        self._world_size = max(1, int(getattr(args, "world_size", 1) or 1))
        self._per_sample = args.per_device_train_batch_size * args.gradient_accumulation_steps * self._world_size
        if self.status is not None:  # a second train() with this callback (resume in-process)
            self._stop.clear()
        self.status = self.error = None
        self._cuda = None
        try:
            import torch

            device = args.device
            if device.type == "cuda" and torch.cuda.is_available():
                self._cuda, self._cuda_device = torch, device
        except Exception:
            self._cuda = None
        self._reset_interval(state.global_step)
        if not self._is_zero:
            return
        if self.project_name is None:
            self.project_name = getattr(args, "run_name", None) or Path(args.output_dir).name or "run"
        self.writer = ReportWriter(self.report_dir, chart_every_s=self.chart_every_s, charts=self.charts,
                                   on_error=lambda text: self._log("warning", f"report not written: {text}", "report"))
        self.history = self._open_history(state)
        self._fill_meta(args, state, model)
        self._start_sampler(model)
        resumed = state.global_step > 0
        segment = self.history.start_segment(state.global_step, self._world_size,
                                             resumed_from=state.global_step if resumed else None)
        self._segment_open = True
        self._seg_start_step = state.global_step
        self._prev_duration = sum(float(s.get("duration_s") or 0) for s in self.history.segments[:-1])
        self._samples_base = samples_processed(self.history.data) or 0
        self._seg_t0 = time.monotonic()
        meta = self.history.data["model"]
        target = f"{self.project_name} ({meta.get('base') or meta.get('architecture') or 'model'})"
        self.bus.publish(RunStarted(run_id=self.run_id, kind="train", meta={
            "target": target, "project": self.project_name, "model": meta.get("base"),
            "device": meta.get("device"), "precision": meta.get("precision"), "quantization": meta.get("quantization"),
            "max_steps": state.max_steps, "world_size": self._world_size,
            "report_dir": str(self.report_dir), "segment": segment["index"], "resumed_from": segment["resumed_from"],
        }))
        if resumed:
            self._log("info", f"resuming at step {state.global_step} (run segment {segment['index']})", "report")
        if self.use_comet_ml:
            self._start_comet(args)
        self.writer.submit(self.history.snapshot(), chart=False)

    def on_step_begin(self, args, state, control, **kwargs):
        if self._cuda is not None:
            self._cuda.cuda.reset_peak_memory_stats(self._cuda_device)

    def on_step_end(self, args, state, control, **kwargs):
        if self._cuda is not None:
            peak = self._cuda.cuda.max_memory_allocated(self._cuda_device) / 2**20
            self._iv_vram_sum += peak
            self._iv_vram_n += 1
            if peak > self._iv_vram_max:
                self._iv_vram_max = peak
        if self._stop.is_set() and not control.should_training_stop:
            control.should_training_stop = True
            if self._save_on_stop:
                control.should_save = True  # saved by the Trainer right after this step, resumable
            self.stop_reason = "interrupted by the user (Ctrl-C)"
            self._log("warning", f"stopping after step {state.global_step}" +
                      (" and saving a checkpoint" if control.should_save else ""), "train")
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = dict(logs or {})
        is_train_log = "loss" in logs
        reduced = self._interval_figures(is_train_log)
        if not self._is_zero or self.history is None:
            if is_train_log:
                self._reset_interval(state.global_step)
            return
        step = state.global_step
        if is_train_log:
            entry = self._entry(state, logs, reduced)
            self.history.add_entry(entry)
            self.history.update_segment(end_step=step, duration_s=self._segment_duration(), telemetry=None)
            self._publish_step(state, entry)
            if self.comet is not None:
                self.comet.log_metrics(self._comet_metrics(entry, logs), step=step, epoch=state.epoch)
            self._logs_since_write += 1
            if self._logs_since_write >= self.report_every:
                self._schedule_write()
        elif any(k.startswith("eval_") for k in logs):
            metrics = {k: v for k, v in logs.items() if k.startswith("eval_")}
            self.history.add_eval(step, state.epoch, metrics)
            if self.comet is not None and not self.comet.shared:
                self.comet.log_metrics(metrics, step=step, epoch=state.epoch)
            if _finite(metrics.get("eval_loss")):
                self._log("info", f"eval at step {step}: loss {metrics['eval_loss']:.4f}", "train")
        elif "train_runtime" in logs:
            self.history.data["final_metrics"] = {k: v for k, v in logs.items() if _finite(v)}
        self.bus.publish(TrainLog(step=step, metrics={k: v for k, v in logs.items() if isinstance(v, (int, float, str))}))

    def on_save(self, args, state, control, **kwargs):
        if not self._is_zero or self.history is None:
            return
        path = str(Path(args.output_dir) / f"checkpoint-{state.global_step}")
        checkpoints = self.history.data.setdefault("checkpoints", [])
        checkpoints[:] = [c for c in checkpoints if c.get("step") != state.global_step]
        checkpoints.append({"step": state.global_step, "path": path})
        self._log("info", f"checkpoint saved: {path}", "train")
        # the history on disk must cover everything up to this checkpoint (kill -9 then --resume)
        self.history.update_segment(end_step=state.global_step, duration_s=self._segment_duration(),
                                    telemetry=self._total_telemetry())
        self._schedule_write()

    def on_train_end(self, args, state, control, **kwargs):
        if self._is_zero and self._segment_open:
            if self._stop.is_set():
                self._end_segment("interrupted", self.stop_reason or "stopped on request")
            else:
                self._end_segment("completed", None)
        if self.auto_close:
            self.close()
        else:
            self._stop_sampler()

    # ---------------------------------------------------------- internals
    def _adopt_history_for_failed_resume(self, trainer: Any) -> bool:
        """A resume that fails before its first step must not displace the run's history:
        append a failed segment to it instead of starting a new report."""
        if not getattr(self, "_resume_requested", False) or not trainer.state.is_world_process_zero:
            return False
        if self.project_name is None:
            self.project_name = getattr(trainer.args, "run_name", None) or Path(trainer.args.output_dir).name or "run"
        try:
            history = History.load(self.report_dir / FILENAME)
        except (FileNotFoundError, HistoryCorrupt):
            return False
        self._began, self._state, self._args = True, trainer.state, trainer.args
        self.history = history
        self.run_id = history.data.get("run_id") or self.run_id
        self.writer = ReportWriter(self.report_dir, chart_every_s=self.chart_every_s, charts=self.charts,
                                   on_error=lambda text: self._log("warning", f"report not written: {text}", "report"))
        step = int(history.data.get("global_step") or 0)
        history.start_segment(step, max(1, int(getattr(trainer.args, "world_size", 1) or 1)), resumed_from=step)
        self._segment_open = True
        self._seg_t0 = time.monotonic()
        return True

    def _open_history(self, state: Any) -> History:
        path = self.report_dir / FILENAME
        step = int(state.global_step)
        if step == 0:
            if path.exists():
                try:
                    old = History.load(path)
                    backup = path.with_name("history.previous.json")
                    # a copy, not a move: until the new run's history is written, history.json
                    # stays the previous run's (a write that fails must not lose the last record)
                    try:
                        atomic_write_bytes(backup, path.read_bytes())
                        kept = f"its history is kept as {backup.name}"
                    except OSError as exc:
                        kept = f"could not copy its history to {backup.name} ({exc.strerror or exc})"
                    self._log("info", f"a new run replaces the previous report of {self.project_name} "
                              f"({old.data.get('status')}, step {old.data.get('global_step')}); {kept}", "report")
                except HistoryCorrupt as exc:
                    backup = History.backup_corrupt(path)
                    self._log("warning", f"{exc.message}; moved to {backup.name}", "report")
            return History.new(self.project_name or "run", self.run_id)
        # resuming from a checkpoint at `step`
        try:
            history = History.load(path)
        except FileNotFoundError:
            history = from_log_history(self.project_name or "run", self.run_id, state.log_history, step)
            self._log("warning", f"no {FILENAME} to resume from in {self.report_dir}: rebuilt steps up to {step} "
                      "from the checkpoint (no telemetry for them)", "report")
            return history
        except HistoryCorrupt as exc:
            backup = History.backup_corrupt(path)
            history = from_log_history(self.project_name or "run", self.run_id, state.log_history, step)
            history.warn(f"{FILENAME} was unreadable ({exc.message}); the damaged file is kept as {backup.name}")
            self._log("warning", f"{exc.message}; moved to {backup.name} and rebuilt from the checkpoint", "report")
            return history
        dropped = history.resume_at(step)
        added = history.merge_log_history(state.log_history, step)
        if dropped:
            self._log("info", f"dropped {dropped} logged step(s) after checkpoint step {step} (they will be redone)", "report")
        if added:
            history.warn(f"{added} logged step(s) up to {step} were recovered from the checkpoint's trainer_state.json "
                         "(no telemetry for them)")
        self.run_id = history.data.get("run_id") or self.run_id
        return history

    def _fill_meta(self, args: Any, state: Any, model: Any) -> None:
        from aegis_cli.telemetry.model_info import describe_model

        assert self.history is not None
        data = self.history.data
        meta: dict[str, Any] = dict(data.get("model") or {})
        if model is not None:
            try:
                info = describe_model(model)
                meta.update(info.to_dict())
            except Exception:
                pass
            base = model.get_base_model() if hasattr(model, "get_base_model") else model
            meta["architecture"] = type(base).__name__
            meta.setdefault("task", _task_of(base))
            name_or_path = getattr(getattr(base, "config", None), "_name_or_path", None)
            if name_or_path:
                meta.setdefault("base", str(name_or_path))
            peft_config = getattr(model, "peft_config", None)
            if isinstance(peft_config, dict) and peft_config:
                lc = next(iter(peft_config.values()))
                targets = getattr(lc, "target_modules", None)
                meta["lora"] = {
                    "r": getattr(lc, "r", None),
                    "alpha": getattr(lc, "lora_alpha", None),
                    "dropout": getattr(lc, "lora_dropout", None),
                    "target_modules": sorted(targets) if isinstance(targets, (set, list, tuple)) else targets,
                }
            else:
                meta["lora"] = None
        mixed = "bf16" if args.bf16 else ("fp16" if args.fp16 else None)
        weights = meta.get("precision")
        meta["precision_text"] = (f"{weights or 'N/A'} weights" + (f", {mixed} mixed precision" if mixed else ", no mixed precision"))
        meta.update({
            "learning_rate": args.learning_rate,
            "optimizer": str(getattr(args.optim, "value", args.optim)),
            "scheduler": str(getattr(args.lr_scheduler_type, "value", args.lr_scheduler_type)),
            "seed": args.seed,
        })
        meta.update(self.model_meta)
        data["model"] = meta
        data["max_steps"] = state.max_steps or None
        data["batch"] = {"per_device": args.per_device_train_batch_size, "grad_accum": args.gradient_accumulation_steps,
                         "world_size": self._world_size}
        if self.config is not None:
            data["config"] = redact_mapping(self.config)
        elif not data.get("config"):
            keep = ("per_device_train_batch_size", "gradient_accumulation_steps", "learning_rate", "lr_scheduler_type",
                    "warmup_steps", "optim", "seed", "bf16", "fp16", "max_steps", "num_train_epochs", "logging_steps",
                    "save_steps", "weight_decay", "max_grad_norm")
            data["config"] = {"training_arguments": redact_mapping({k: v for k, v in args.to_dict().items() if k in keep})}

    def _start_sampler(self, model: Any) -> None:
        assert self.history is not None
        hardware = self.history.data.setdefault("hardware", {})
        hardware.update({"poll_hz": self.poll_hz, "gpus": hardware.get("gpus") or [], "nvml_error": None})
        if not self.sample_hardware:
            return
        from aegis_cli.telemetry.sampler import HardwareSampler

        cuda_devices: list[int] | None
        if self._cuda is None:
            cuda_devices = []  # training on the CPU: a GPU in the box is not this job's
        elif self._world_size > 1:
            local = int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1)
            cuda_devices = list(range(local))  # every local process's GPU (torchrun: local rank i → cuda:i)
        else:
            cuda_devices = sorted({int(d.split(":")[1]) for d in self.history.data["model"].get("device", "").split(",")
                                   if d.startswith("cuda:")}) or [self._cuda_device.index or 0]
        try:
            self.sampler = HardwareSampler(bus=self.bus, hz=self.poll_hz, cuda_devices=cuda_devices).start()
        except Exception as exc:  # telemetry never takes training down
            self.sampler = None
            self._log("warning", f"hardware sampler unavailable: {exc}", "telemetry")
            return
        gpus = [{"index": g.index, "cuda_index": g.cuda_index, "name": g.name, "uuid": g.uuid,
                 "memory_total_mb": g.memory_total_mb, "power_limit_w": g.power_limit_w,
                 "energy_counter": g.energy_counter} for g in self.sampler.gpus]
        if gpus or not hardware["gpus"]:
            hardware["gpus"] = gpus
        hardware["nvml_error"] = self.sampler.nvml_error if self._cuda is not None else None

    def _stop_sampler(self) -> None:
        sampler, self.sampler = self.sampler, None
        if sampler is not None:
            try:
                total = sampler.stop()
                self._last_total = total.to_dict() if total is not None else None
            except Exception:
                pass

    def _total_telemetry(self) -> dict[str, Any] | None:
        if self.sampler is not None:
            total = self.sampler.total()
            return total.to_dict() if total is not None else None
        return self._last_total

    def _start_comet(self, args: Any) -> None:
        from aegis_cli.train.comet import CometLogger

        assert self.history is not None
        self.comet = CometLogger(self.comet_project or self.project_name or "aegis", workspace=self.comet_workspace,
                                 offline_directory=self.report_dir / "comet-offline", run_name=self.project_name)
        notice = self.comet.start()
        if self.comet.error:
            self._log("warning", self.comet.error, "comet")
            self.history.data["comet"] = self.comet.info()
            self.comet = None
            return
        if notice:
            self._log("info", notice, "comet")
        params = {"aegis": {"project": self.project_name, "run_id": self.run_id},
                  "model": {k: v for k, v in self.history.data["model"].items() if not isinstance(v, dict)},
                  "config": self.history.data.get("config") or {}}
        if not self.comet.shared:  # CometCallback already logged the TrainingArguments
            self.comet.log_parameters(params)
        else:
            self.comet.log_parameters({"aegis": params["aegis"]})
        self.history.data["comet"] = self.comet.info()

    def _reset_interval(self, step: int) -> None:
        self._iv_t0 = time.perf_counter()
        self._iv_step0 = step
        self._iv_vram_max = -1.0
        self._iv_vram_sum = 0.0
        self._iv_vram_n = 0
        counter = self.token_counter
        self._iv_tokens0 = counter.tokens if counter is not None else 0

    def _interval_figures(self, is_train_log: bool) -> dict[str, Any]:
        """Tokens and VRAM of the interval, summed / maxed over processes (one all-reduce pair)."""
        if not is_train_log:
            return {}
        counter = self.token_counter
        known = counter is not None and counter.known
        tokens = (counter.tokens - self._iv_tokens0) if known and counter is not None else 0
        sums = [float(tokens), 1.0 if known else 0.0, self._iv_vram_sum, float(self._iv_vram_n)]
        maxes = [self._iv_vram_max]
        if self._world_size > 1:
            sums, maxes = _all_reduce(sums, maxes)
        tokens_known = sums[1] >= self._world_size
        return {
            "tokens": int(sums[0]) if tokens_known else None,
            "vram_peak_mb": maxes[0] if maxes[0] >= 0 else None,
            "vram_mean_mb": sums[2] / sums[3] if sums[3] else None,
        }

    def _entry(self, state: Any, logs: dict[str, Any], reduced: dict[str, Any]) -> dict[str, Any]:
        step = state.global_step
        now = time.perf_counter()
        interval_s = max(1e-9, now - self._iv_t0)
        steps = max(0, step - self._iv_step0)
        loss = logs.get("loss")
        entry = empty_entry(step)
        entry.update(
            epoch=state.epoch,
            t=round(self._prev_duration + self._segment_duration(), 3),
            seg=len(self.history.segments) - 1 if self.history else 0,
            loss=loss,
            lr=logs.get("learning_rate"),
            grad_norm=logs.get("grad_norm"),
            samples=self._samples_base + (step - self._seg_start_step) * self._per_sample,
            interval_s=round(interval_s, 4),
            steps=steps,
            samples_per_s=steps * self._per_sample / interval_s,
            tokens=reduced.get("tokens"),
            vram_peak_mb=reduced.get("vram_peak_mb"),
            vram_mean_mb=reduced.get("vram_mean_mb"),
        )
        if entry["tokens"] is not None:
            entry["tokens_per_s"] = entry["tokens"] / interval_s
        if isinstance(loss, float) and not math.isfinite(loss):
            entry["loss_nonfinite"] = True
            if not self._nan_warned:
                self._nan_warned = True
                self._log("warning", f"training loss is {loss} at step {step} (reported, not hidden)", "train")
        stats = self.sampler.take_interval() if self.sampler is not None else None
        if stats is not None:
            entry.update(
                power_min_w=stats.power_min_w, power_mean_w=stats.power_mean_w, power_max_w=stats.power_max_w,
                util_pct=stats.util_mean_pct, temp_max_c=stats.temp_max_c, energy_j=stats.energy_j,
                energy_estimated=stats.energy_estimated, hw_samples=stats.samples,
            )
        self._reset_interval(step)
        return entry

    def _publish_step(self, state: Any, entry: dict[str, Any]) -> None:
        self.bus.publish(TrainStep(
            step=entry["step"], max_steps=state.max_steps or None, epoch=entry["epoch"], loss=entry["loss"],
            learning_rate=entry["lr"], grad_norm=entry["grad_norm"], samples_seen=entry["samples"],
            samples_per_s=entry["samples_per_s"], tokens_per_s=entry.get("tokens_per_s"),
            peak_vram_mb=entry["vram_peak_mb"], power_w=entry["power_mean_w"],
        ))

    def _comet_metrics(self, entry: dict[str, Any], logs: dict[str, Any]) -> dict[str, Any]:
        keys = ("samples_per_s", "tokens_per_s", "vram_peak_mb", "vram_mean_mb", "power_mean_w", "power_max_w",
                "util_pct", "temp_max_c", "energy_j")
        out = {f"aegis/{k}": entry[k] for k in keys if _finite(entry.get(k))}
        if self.comet is not None and not self.comet.shared:  # CometCallback logs the Trainer's own numbers
            out.update({k: v for k, v in logs.items() if _finite(v)})
        return out

    def _segment_duration(self) -> float:
        return time.monotonic() - self._seg_t0 if self._segment_open else 0.0

    def _end_segment(self, status: str, error: str | None) -> None:
        assert self.history is not None
        duration = self._segment_duration()
        self._stop_sampler()
        step = int(getattr(self._state, "global_step", 0) or 0)
        seg = self.history.current_segment
        if seg is not None:
            step = max(step, int(seg.get("start_step") or 0))
        self.history.end_segment(status, error=error, end_step=step, duration_s=duration,
                                 telemetry=self._last_total)
        self._segment_open = False
        self.status, self.error = status, error
        if status == "failed":
            self._log("error", f"training failed at step {step}: {error}", "train")
        elif status == "interrupted":
            self._log("warning", f"training interrupted at step {step}", "train")
        if self.writer is not None:
            self.writer.drain()
            self._write_now(chart=True)

    def _schedule_write(self) -> None:
        self._logs_since_write = 0
        if self.history is None or self.writer is None:
            return
        self.history.update_segment(end_step=self.history.data.get("global_step") or 0,
                                    duration_s=self._segment_duration(), telemetry=self._total_telemetry())
        self.writer.submit(self.history.snapshot())

    def _write_now(self, *, chart: bool) -> None:
        if self.history is not None and self.writer is not None:
            self.writer.write(self.history, chart=chart)

    def _log(self, level: str, text: str, source: str) -> None:
        self.bus.publish(LogMessage(level=level, text=scrub(text), source=source))  # type: ignore[arg-type]


def _all_reduce(sums: list[float], maxes: list[float]) -> tuple[list[float], list[float]]:
    """Sum ``sums`` and max ``maxes`` over every process (two tiny collectives at a log step)."""
    try:
        import torch
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() < 2:
            return sums, maxes
        backend = str(dist.get_backend()).lower()
        device = torch.device("cuda", torch.cuda.current_device()) if "nccl" in backend else torch.device("cpu")
        s = torch.tensor(sums, dtype=torch.float64, device=device)
        m = torch.tensor(maxes, dtype=torch.float64, device=device)
        dist.all_reduce(s, op=dist.ReduceOp.SUM)
        dist.all_reduce(m, op=dist.ReduceOp.MAX)
        return s.tolist(), m.tolist()
    except Exception:
        return sums, maxes
