"""Config → model, tokenizer, datasets, TrainingArguments, Trainer.

``build_recipe(config, callbacks=[...])`` does every step a training run needs before
``trainer.train()``; each problem a person can fix is an AegisError with a hint
(unknown optimizer, fp16 or int4 without CUDA, missing model, bad data).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aegis_cli.config.train import TrainConfig
from aegis_cli.errors import ConfigError, ModelLoadError
from aegis_cli.report.callback import CountingDataset, TokenCounter
from aegis_cli.train import builtin
from aegis_cli.train.data import Examples, PaddingCollator, TokenizedDataset, load_examples, tokenize


@dataclass
class Recipe:
    config: TrainConfig
    trainer: Any
    model: Any
    tokenizer: Any
    examples: Examples
    model_source: str
    token_counter: TokenCounter
    training_args: Any
    world_size: int = 1
    notes: list[str] = field(default_factory=list)

    @property
    def is_world_zero(self) -> bool:
        return bool(self.trainer.is_world_process_zero())


def world_info() -> tuple[int, int, int]:
    """(rank, local_rank, world_size) from the launcher's environment (torchrun / accelerate)."""
    return (int(os.environ.get("RANK", "0") or 0), int(os.environ.get("LOCAL_RANK", "0") or 0),
            int(os.environ.get("WORLD_SIZE", "1") or 1))


def check_optimizer(name: str) -> str:
    from transformers.training_args import OptimizerNames

    names = [o.value for o in OptimizerNames]
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        raise ConfigError(
            f"training.optimizer {name!r} is not an optimizer transformers knows"
            + (f" (did you mean {close[0]!r}?)" if close else ""),
            "common choices: adamw_torch, adamw_torch_fused, adafactor, paged_adamw_8bit",
        )
    return name


def resolve_model_source(config: TrainConfig, labels: list[str] | None, examples: Examples | None = None) -> str:
    base = config.model.base
    if base in (builtin.MINI_INIT, builtin.MINI) and config.model.task != "token_classification":
        raise ConfigError(f"model.base {base} is a token_classification model but model.task is {config.model.task}",
                          "set model.task: token_classification")
    if base == builtin.MINI_INIT:
        return str(_mini_init(config, labels, examples))
    if base == builtin.MINI:
        shipped = builtin.shipped_mini_dir()
        if not (shipped / "config.json").is_file():
            raise ModelLoadError(f"the shipped aegis-mini model is not in this install (looked in {shipped})",
                                 "reinstall aegis, or train it: aegis train --config configs/aegis_mini.yaml")
        return str(shipped)
    if builtin.is_builtin(base):
        expected = {"tiny-causal-lm": "causal_lm", "tiny-classifier": "sequence_classification",
                    "tiny-token-classifier": "token_classification"}.get(base[len(builtin.PREFIX):])
        if expected is not None and expected != config.model.task:
            raise ConfigError(f"model.base {base} is a {expected} model but model.task is {config.model.task}",
                              f"set model.task: {expected}, or pick the matching builtin model")
        return str(builtin.resolve_builtin(base, labels=labels))
    local = Path(base).expanduser()
    if local.exists():
        if not (local / "config.json").is_file():
            raise ModelLoadError(f"{local} has no config.json", "point model.base at a directory saved with save_pretrained")
        return str(local)
    return base


def _mini_init(config: TrainConfig, labels: list[str] | None, examples: Examples | None) -> Path:
    """Build (or reuse) the fresh aegis-mini-init model: its tokenizer learns from this run's training texts."""
    from aegis_cli.config.train import ModelInitSection

    if not labels or examples is None:
        raise ConfigError(f"{builtin.MINI_INIT} needs labelled training data", "use a token_classification dataset")
    init = config.model.init or ModelInitSection()
    if init.context != config.dataset.max_length:
        raise ConfigError(f"model.init.context ({init.context}) and dataset.max_length ({config.dataset.max_length}) "
                          "differ", "set both to the window size the model should read")
    from aegis_cli.train.data import spans_field

    rows = examples.train[: init.tokenizer_texts]
    texts = [str(r.get(config.dataset.text_field) or "") for r in rows]
    field_name = spans_field(config.dataset)
    spans = [list(r.get(field_name) or []) for r in rows] if field_name else None
    sizes = init.model_dump(exclude={"tokenizer_texts"})
    return builtin.resolve_aegis_mini_init(sizes, texts, list(labels), spans=spans)


def base_model_labels(source: str) -> list[str] | None:
    """The named labels of a local classifier (its config.json's id2label), or None (hub ids are not fetched
    here; generic LABEL_n names do not count)."""
    import json

    cfg = Path(source) / "config.json"
    if not cfg.is_file():
        return None
    try:
        id2label = json.loads(cfg.read_text(encoding="utf-8")).get("id2label") or {}
        names = [str(id2label[k]) for k in sorted(id2label, key=int)]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not names or all(n.startswith("LABEL_") for n in names):
        return None
    return names


def _keep_base_labels(config: TrainConfig, examples: Examples, source: str) -> None:
    """Fine-tuning a classifier on data whose labels it already has keeps its label list (and so its head),
    instead of re-deriving a smaller list from the data and starting a new head."""
    if config.model.task == "causal_lm" or config.model.labels or not examples.labels:
        return
    names = base_model_labels(source)
    if names and set(examples.labels) <= set(names) and names != examples.labels:
        examples.notes.append(f"labels: the base model's {len(names)} labels (the data uses {len(examples.labels)})")
        examples.labels = names


def _dtype(config: TrainConfig, cuda: bool):
    import torch

    p = config.training.precision
    if config.quantization.mode != "none" or config.lora.enabled:
        # frozen base weights can live in the low-precision dtype; adapters stay fp32 (peft upcasts)
        if p == "bf16":
            return torch.bfloat16
        if p == "fp16" and cuda:
            return torch.float16
    return torch.float32


def _quantization_config(config: TrainConfig):
    import torch

    q = config.quantization
    if q.mode == "none":
        return None
    if not torch.cuda.is_available():
        raise ConfigError(f"quantization {q.mode} needs a CUDA GPU (bitsandbytes)", "set quantization: none on this machine")
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise ConfigError(f"quantization {q.mode} needs the bitsandbytes package",
                          "pip install 'aegis-cli[gpu]' (or bitsandbytes)") from None
    from transformers import BitsAndBytesConfig

    if q.mode == "int8":
        return BitsAndBytesConfig(load_in_8bit=True)
    compute = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}
    dtype = compute.get(q.compute_dtype) or compute.get(config.training.precision, torch.float32)
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=q.quant_type,
                              bnb_4bit_use_double_quant=q.double_quant, bnb_4bit_compute_dtype=dtype)


def load_model_and_tokenizer(config: TrainConfig, source: str, labels: list[str] | None):
    import torch
    from transformers import (
        AutoModelForCausalLM,
        AutoModelForSequenceClassification,
        AutoModelForTokenClassification,
        AutoTokenizer,
    )

    m = config.model
    cuda = torch.cuda.is_available()
    if config.training.precision == "fp16" and not cuda:
        raise ConfigError("training.precision fp16 needs a CUDA GPU", "use bf16 or fp32 on this machine")
    common: dict[str, Any] = {"revision": m.revision, "trust_remote_code": m.trust_remote_code}
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **common)
    except Exception as exc:
        raise ModelLoadError(f"cannot load the tokenizer of {m.base}: {type(exc).__name__}: {exc}",
                             "check model.base (hub id, local directory or builtin:...) and the network/HF cache") from None
    if tokenizer.pad_token_id is None:
        if tokenizer.eos_token is None:
            raise ModelLoadError(f"the tokenizer of {m.base} has neither a pad nor an eos token", "pick another model")
        tokenizer.pad_token = tokenizer.eos_token
    kwargs: dict[str, Any] = dict(common, dtype=_dtype(config, cuda))
    if m.attn_implementation:
        kwargs["attn_implementation"] = m.attn_implementation
    quant = _quantization_config(config)
    if quant is not None:
        _, local_rank, _ = world_info()
        kwargs["quantization_config"] = quant
        kwargs["device_map"] = {"": local_rank}
    if m.task == "causal_lm":
        cls: Any = AutoModelForCausalLM
    else:
        cls = AutoModelForSequenceClassification if m.task == "sequence_classification" else AutoModelForTokenClassification
        assert labels is not None
        kwargs.update(num_labels=len(labels), id2label=dict(enumerate(labels)),
                      label2id={name: i for i, name in enumerate(labels)}, ignore_mismatched_sizes=True)
    try:
        model = cls.from_pretrained(source, **kwargs)
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelLoadError(f"cannot load {m.base} for {m.task}: {type(exc).__name__}: {exc}",
                             "check model.base and model.task; a gated or private model needs HF_TOKEN") from None
    if getattr(model.config, "pad_token_id", None) is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def apply_lora(config: TrainConfig, model: Any) -> Any:
    lc = config.lora
    if not lc.enabled:
        return model
    from peft import LoraConfig, TaskType, get_peft_model, prepare_model_for_kbit_training

    if config.quantization.mode != "none":
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=config.training.gradient_checkpointing)
    task_type = {"causal_lm": TaskType.CAUSAL_LM, "sequence_classification": TaskType.SEQ_CLS,
                 "token_classification": TaskType.TOKEN_CLS}[config.model.task]
    extra: dict[str, Any] = {}
    if lc.target_modules == "all-linear" and config.model.task != "causal_lm":
        # the new classification head is trained in full (peft's modules_to_save), not adapted
        heads = [name for name, _ in model.named_modules()
                 if name and {"classifier", "score"} & set(name.split(".")[-2:])]
        if heads:
            extra["exclude_modules"] = heads
    peft_config = LoraConfig(task_type=task_type, r=lc.r, lora_alpha=lc.alpha, lora_dropout=lc.dropout,
                             target_modules=lc.target_modules, bias=lc.bias, **extra)
    try:
        return get_peft_model(model, peft_config)
    except ValueError as exc:
        raise ConfigError(f"lora.target_modules do not match this model: {exc}",
                          'use "all-linear" or module names printed by print(model)') from None


def training_arguments(config: TrainConfig, *, has_eval: bool):
    from transformers import TrainingArguments

    t = config.training
    check_optimizer(t.optimizer)
    import torch

    cuda = torch.cuda.is_available()
    kwargs: dict[str, Any] = {
        "output_dir": str(config.checkpoint_dir()),
        "run_name": config.project_name,
        "per_device_train_batch_size": t.per_device_batch_size,
        "per_device_eval_batch_size": t.eval.per_device_batch_size or t.per_device_batch_size,
        "gradient_accumulation_steps": t.gradient_accumulation_steps,
        "learning_rate": t.learning_rate,
        "lr_scheduler_type": t.scheduler,
        "warmup_steps": t.warmup_ratio if t.warmup_ratio is not None else t.warmup_steps,
        "optim": t.optimizer,
        "weight_decay": t.weight_decay,
        "max_grad_norm": t.max_grad_norm,
        "bf16": t.precision == "bf16",
        "fp16": t.precision == "fp16",
        "seed": t.seed,
        "logging_strategy": "steps",
        "logging_steps": t.logging_steps,
        # a NaN loss must reach the report, not be replaced by the running average
        "logging_nan_inf_filter": False,
        "save_strategy": "steps" if t.save_steps else "no",
        "save_steps": t.save_steps or 500,
        "save_total_limit": t.save_total_limit,
        "eval_strategy": t.eval.strategy if has_eval else "no",
        "eval_steps": t.eval.steps or t.logging_steps,
        "report_to": list(config.reporting.report_to) or "none",
        "disable_tqdm": True,
        "dataloader_num_workers": t.dataloader_num_workers,
        "dataloader_pin_memory": cuda,
        "remove_unused_columns": False,
    }
    if not cuda and world_info()[2] > 1:
        # torchrun on CPU: accelerate only sets up multi-process CPU training (gloo) when asked
        kwargs.update(use_cpu=True, ddp_backend="gloo")
    if t.max_steps is not None:
        kwargs["max_steps"] = t.max_steps
    else:
        kwargs["num_train_epochs"] = t.epochs
    if t.gradient_checkpointing:
        kwargs["gradient_checkpointing"] = True
        kwargs["gradient_checkpointing_kwargs"] = {"use_reentrant": False}
    try:
        return TrainingArguments(**kwargs)
    except (ValueError, ImportError) as exc:
        raise ConfigError(f"the training settings are not accepted by transformers: {exc}",
                          "check the training section (precision, optimizer, scheduler)") from None


def build_recipe(config: TrainConfig, *, config_path: str | Path | None = None,
                 callbacks: Sequence[Any] = ()) -> Recipe:
    """Everything up to ``trainer.train()``."""
    import torch
    from transformers import PrinterCallback, ProgressCallback, Trainer

    if config.training.cpu_threads and not torch.cuda.is_available():
        torch.set_num_threads(config.training.cpu_threads)
    examples = load_examples(config, config_path)
    source = resolve_model_source(config, examples.labels, examples)
    _keep_base_labels(config, examples, source)
    args = training_arguments(config, has_eval=examples.eval is not None)  # before the model: fails fast
    from transformers import set_seed

    set_seed(config.training.seed)  # new heads and LoRA weights are drawn now, before the Trainer seeds
    model, tokenizer = load_model_and_tokenizer(config, source, examples.labels)
    if config.training.gradient_checkpointing and not config.lora.enabled:
        model.config.use_cache = False
    model = apply_lora(config, model)
    train_items = tokenize(config, examples.train, tokenizer, examples.labels, "training data")
    eval_items = tokenize(config, examples.eval, tokenizer, examples.labels, "eval data") if examples.eval else None
    counter = TokenCounter()
    if config.training.dataloader_num_workers > 0:
        counter.known = False  # batches are built in worker processes: their tokens are not seen here
    train_ds = CountingDataset(TokenizedDataset(train_items), counter)
    eval_ds = TokenizedDataset(eval_items) if eval_items else None
    collator = PaddingCollator(tokenizer.pad_token_id, task=config.model.task)
    trainer = Trainer(model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds, data_collator=collator,
                      processing_class=tokenizer, callbacks=list(callbacks))
    # progress goes through the event bus; the Trainer's own printer would duplicate it as dicts
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    _, _, world = world_info()
    return Recipe(config=config, trainer=trainer, model=model, tokenizer=tokenizer, examples=examples,
                  model_source=source, token_counter=counter, training_args=args, world_size=world)
