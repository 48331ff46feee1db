"""The training configuration (``aegis train --config FILE``): pydantic models, unknown keys rejected.

Load with ``aegis_cli.config.loader.load_config(path, TrainConfig, overrides)`` so every
problem is reported at once with its file and line. This module imports neither torch
nor transformers: names that only transformers knows (optimizers) are checked when the
recipe is built.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Task = Literal["causal_lm", "sequence_classification", "token_classification"]
Precision = Literal["bf16", "fp16", "fp32"]
Scheduler = Literal[
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "cosine_with_min_lr",
    "warmup_stable_decay",
]

_PROJECT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class ModelInitSection(Section):
    """Sizes of a token classifier built from scratch (``model.base: builtin:aegis-mini-init``): a RoBERTa
    encoder with random weights and a byte-level BPE tokenizer trained on the training texts."""

    hidden_size: int = Field(default=256, ge=16, le=4096, description="Width of the encoder.")
    layers: int = Field(default=4, ge=1, le=48, description="Transformer layers.")
    heads: int = Field(default=4, ge=1, le=64, description="Attention heads (must divide hidden_size).")
    intermediate_size: int = Field(default=1024, ge=16, description="Width of each layer's feed-forward block.")
    vocab_size: int = Field(default=8192, ge=300, le=262144, description="BPE vocabulary size (with 5 special tokens).")
    context: int = Field(
        default=256, ge=16, le=8192,
        description="Tokens per window, special tokens included; the scanner reads it back from the model "
        "(max_position_embeddings = context + 2, as in RoBERTa).",
    )
    dropout: float = Field(default=0.1, ge=0.0, lt=1.0, description="Hidden and attention dropout.")
    tokenizer_texts: int = Field(
        default=4000, ge=1,
        description="The tokenizer is trained on the first this-many training texts, and the classifier's bias "
        "starts at their label frequencies (log prior), so the encoder is not pushed to learn the prior itself.",
    )
    seed: int = Field(default=0, description="Seed of the initial weights.")

    @model_validator(mode="after")
    def _heads_divide(self) -> ModelInitSection:
        if self.hidden_size % self.heads:
            raise ValueError(f"model.init.heads ({self.heads}) must divide hidden_size ({self.hidden_size})")
        return self


class ModelSection(Section):
    """What to fine-tune."""

    base: str = Field(
        description="Hub id (org/name), a local directory saved with save_pretrained, or a model the project "
        "builds itself: builtin:tiny-causal-lm, builtin:tiny-classifier, builtin:tiny-token-classifier, "
        "builtin:aegis-mini (the shipped scanner model) or builtin:aegis-mini-init (a fresh model sized by model.init)."
    )
    task: Task = Field(default="causal_lm", description="causal_lm, sequence_classification or token_classification.")
    revision: str | None = Field(default=None, description="Hub revision (branch, tag or commit) of `base`.")
    trust_remote_code: bool = Field(
        default=False, description="Allow model code from the repository to run (off by default: it is arbitrary code)."
    )
    labels: list[str] | None = Field(
        default=None,
        description="Class names for the classification tasks, in id order. Default: the sorted distinct "
        "labels found in the training data; a local base classifier whose named labels include them all keeps "
        "its own list (so its head is trained further, not replaced).",
    )
    attn_implementation: str | None = Field(
        default=None, description="Attention kernel passed to from_pretrained (e.g. sdpa, flash_attention_2); default: transformers' choice."
    )
    init: ModelInitSection | None = Field(
        default=None, description="Sizes of the model built from scratch by builtin:aegis-mini-init (defaults apply when omitted)."
    )

    @field_validator("base")
    @classmethod
    def _base_not_empty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must name a model (hub id, local path or builtin:...)")
        return v.strip()


class GeneratorSection(Section):
    """The aegis-mini data generator (``dataset.source: builtin:aegis-mini-data``): labelled vulnerable
    code and safe look-alikes in ten languages, generated in-process; the same settings give the same data."""

    train: int = Field(default=6000, ge=1, description="Generated training files (the generator's train split).")
    validation: int = Field(
        default=300, ge=0, description="Generated evaluation files (its validation split: train's settings, own seeds)."
    )
    seed: int = Field(default=0, description="Generator seed; file i of a split depends only on (seed, split, i).")
    background: Literal["none", "stdlib"] = Field(
        default="none",
        description="stdlib: mix in real code from this Python's standard library as safe background (the data then "
        "depends on the Python version; the run records a fingerprint of it). none: generated code only.",
    )


class DatasetSection(Section):
    """Where the examples come from and how they are turned into tokens."""

    source: str = Field(
        description="A local .jsonl/.json/.csv/.parquet file, or a Hugging Face dataset id. A relative path is "
        "looked up from the current directory, then from the config file's directory. builtin:aegis-mini-data "
        "generates aegis-mini's data in-process (dataset.generator)."
    )
    generator: GeneratorSection | None = Field(
        default=None, description="Sizes and seed of builtin:aegis-mini-data (defaults apply when omitted)."
    )
    spans_field: str | None = Field(
        default=None,
        description="token_classification from whole texts: the field holding labelled character spans "
        "[[start, end, label], ...] of text_field. Texts are cut into windows of max_length tokens on line "
        "boundaries exactly as the scanner chunks files; tokens overlapping a span get its label, others O.",
    )
    unlabelled_windows: float = Field(
        default=1.0, gt=0.0, le=1.0,
        description="With spans_field: the fraction of training windows without any labelled token that is kept "
        "(seeded); evaluation keeps every window.",
    )
    format: Literal["auto", "jsonl", "json", "csv", "parquet", "hf"] = Field(
        default="auto", description="auto: from the file extension; a source that is not a local file is an HF dataset id."
    )
    train_split: str = Field(default="train", description="Split used for training (HF datasets).")
    eval_split: str | None = Field(default=None, description="Split used for evaluation (HF datasets); none by default.")
    eval_source: str | None = Field(default=None, description="A separate local file with evaluation examples.")
    eval_fraction: float = Field(
        default=0.0, ge=0.0, lt=1.0, description="Hold out this fraction of the training examples for evaluation (seeded)."
    )
    text_field: str = Field(
        default="text", description="Field holding the text (causal_lm, sequence_classification; token_classification with spans_field)."
    )
    label_field: str = Field(default="label", description="Field holding the class (sequence_classification): a name or an id.")
    tokens_field: str = Field(default="tokens", description="Field holding the list of words (token_classification).")
    tags_field: str = Field(default="tags", description="Field holding one tag per word (token_classification).")
    max_length: int = Field(default=512, ge=8, le=131072, description="Examples are truncated to this many tokens.")
    max_samples: int | None = Field(default=None, ge=1, description="Use at most this many training examples (quick runs).")
    hf_config_name: str | None = Field(default=None, description="Configuration name of an HF dataset with several.")


class LoraSection(Section):
    """Low-rank adapters (peft). When enabled only the adapters (and heads) are trained."""

    enabled: bool = Field(default=True, description="Train LoRA adapters instead of every weight.")
    r: int = Field(default=8, ge=1, le=1024, description="Rank of the adapter matrices.")
    alpha: int = Field(default=16, ge=1, description="Scaling numerator (lora_alpha); the update is scaled by alpha / r.")
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0, description="Dropout on the adapter input.")
    target_modules: list[str] | Literal["all-linear"] = Field(
        default="all-linear", description='Module names to adapt (e.g. [q_proj, v_proj]) or "all-linear".'
    )
    bias: Literal["none", "all", "lora_only"] = Field(default="none", description="Which biases are trained.")


class QuantizationSection(Section):
    """Load the base weights quantized with bitsandbytes (needs a CUDA GPU). Also accepts a plain string."""

    mode: Literal["none", "int8", "int4"] = Field(default="none", description="none, int8 or int4 (bitsandbytes, via BitsAndBytesConfig).")
    quant_type: Literal["nf4", "fp4"] = Field(default="nf4", description="4-bit data type (int4 only).")
    double_quant: bool = Field(default=True, description="Quantize the quantization constants too (int4 only).")
    compute_dtype: Literal["auto", "bf16", "fp16", "fp32"] = Field(
        default="auto", description="dtype of the int4 matmuls; auto follows training.precision."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"mode": data}
        if data is None:
            return {"mode": "none"}
        return data


class EvalSection(Section):
    """Evaluation during training (needs eval examples: dataset.eval_split, eval_source or eval_fraction)."""

    strategy: Literal["no", "steps", "epoch"] = Field(default="no", description="When to evaluate.")
    steps: int | None = Field(default=None, ge=1, description="Evaluate every N optimizer steps (strategy: steps); default logging_steps.")
    per_device_batch_size: int | None = Field(default=None, ge=1, description="Default: training.per_device_batch_size.")

    @field_validator("strategy", mode="before")
    @classmethod
    def _yaml_no(cls, v: Any) -> Any:
        return "no" if v is False else v  # YAML 1.1 reads a bare `no` as false


class TrainingSection(Section):
    """The optimisation itself (maps onto transformers.TrainingArguments)."""

    epochs: float | None = Field(default=None, gt=0, description="Passes over the training data (ignored when max_steps is set).")
    max_steps: int | None = Field(default=None, ge=1, description="Optimizer steps to run; takes precedence over epochs.")
    per_device_batch_size: int = Field(default=8, ge=1, description="Examples per device per forward pass.")
    gradient_accumulation_steps: int = Field(default=1, ge=1, description="Forward passes per optimizer step.")
    learning_rate: float = Field(default=2e-4, gt=0, description="Peak learning rate.")
    scheduler: Scheduler = Field(default="linear", description="Learning-rate schedule (transformers SchedulerType).")
    warmup_steps: int = Field(default=0, ge=0, description="Linear warmup steps.")
    warmup_ratio: float | None = Field(default=None, ge=0.0, lt=1.0, description="Warmup as a fraction of all steps (overrides warmup_steps).")
    optimizer: str = Field(default="adamw_torch", description="transformers optimizer name (adamw_torch, adafactor, paged_adamw_8bit, ...).")
    weight_decay: float = Field(default=0.0, ge=0.0, description="Decoupled weight decay.")
    max_grad_norm: float = Field(default=1.0, ge=0.0, description="Gradient clipping norm (0 disables clipping).")
    precision: Precision = Field(default="fp32", description="bf16, fp16 or fp32: the mixed-precision mode (fp16 needs CUDA).")
    gradient_checkpointing: bool = Field(default=False, description="Recompute activations in backward to save memory.")
    seed: int = Field(default=42, description="Seed for weights of new heads, data order, dropout.")
    logging_steps: int = Field(default=10, ge=1, description="Log (and print a progress line) every N optimizer steps.")
    save_steps: int | None = Field(default=None, ge=1, description="Save a resumable checkpoint every N steps; none by default.")
    save_total_limit: int | None = Field(default=2, ge=1, description="Keep at most this many checkpoints.")
    save_on_interrupt: bool = Field(default=True, description="On Ctrl-C, save a resumable checkpoint before stopping.")
    output_dir: str | None = Field(default=None, description="Checkpoints and the final model/adapter. Default: runs/<project_name>.")
    dataloader_num_workers: int = Field(
        default=0, ge=0, description="Data loading worker processes (tokens/s is only known with 0: tokens are counted in the main process)."
    )
    cpu_threads: int | None = Field(
        default=None, ge=1, le=1024,
        description="torch intra-op threads when training on the CPU; default: torch's choice. For tiny models 1 "
        "is often fastest (handing tiny matrices between threads costs more than the work).",
    )
    eval: EvalSection = Field(default_factory=EvalSection, description="Evaluation during training.")

    @model_validator(mode="after")
    def _length_given(self) -> TrainingSection:
        if self.epochs is None and self.max_steps is None:
            raise ValueError("set training.epochs or training.max_steps")
        return self


class ReportingSection(Section):
    """Where the permanent record of the run goes (report.md, telemetry.png, history.json)."""

    output_dir: str = Field(default="docs/reports", description="Reports go to <output_dir>/<project_name>/.")
    poll_hz: float = Field(default=2.0, gt=0, le=50, description="Hardware sampling rate of the background sampler.")
    report_every: int = Field(default=10, ge=1, description="Rewrite report.md and history.json every N log steps (and at the end).")
    chart_every_s: float = Field(
        default=60.0, ge=0, description="Redraw telemetry.png during training at most this often (seconds); always at the end."
    )
    use_comet_ml: bool = Field(default=True, description="Log to Comet ML (online with COMET_API_KEY, else an offline archive).")
    comet_project: str | None = Field(default=None, description="Comet project name; default: project_name.")
    comet_workspace: str | None = Field(default=None, description="Comet workspace; default: the account's default.")
    report_to: list[str] = Field(
        default_factory=list,
        description="transformers integrations to enable as well (e.g. [tensorboard]); none by default so no "
        "experiment is logged twice. With comet_ml here aegis reuses that experiment.",
    )


class HubSection(Section):
    """Upload the trained adapter (or model) to the Hugging Face Hub after training."""

    push: bool = Field(default=False, description="Upload after a successful run.")
    repo_id: str | None = Field(default=None, description="Target repository, org/name.")
    private: bool = Field(default=True, description="Create the repository private.")
    commit_message: str | None = Field(default=None, description="Default: 'aegis: <project_name> after N steps'.")
    endpoint: str | None = Field(default=None, description="Hub endpoint (a mirror or self-hosted hub); default HF_ENDPOINT or huggingface.co.")
    timeout_s: float = Field(default=60.0, gt=0, description="Network timeout per request.")

    @model_validator(mode="after")
    def _repo_when_pushing(self) -> HubSection:
        if self.push and not self.repo_id:
            raise ValueError("hub.push is true but hub.repo_id is not set")
        if self.repo_id is not None and not re.fullmatch(r"[\w.-]+/[\w.-]+", self.repo_id):
            raise ValueError(f"repo_id {self.repo_id!r} must look like org/name")
        return self


class TrainConfig(Section):
    """A training run: ``aegis train --config FILE``."""

    project_name: str = Field(description="Names the run and its report directory (letters, digits, . _ -).")
    model: ModelSection = Field(description="What to fine-tune.")
    dataset: DatasetSection = Field(description="Training data.")
    lora: LoraSection = Field(default_factory=LoraSection, description="LoRA adapters.")
    quantization: QuantizationSection = Field(default_factory=QuantizationSection, description="bitsandbytes loading.")
    training: TrainingSection = Field(description="Optimisation settings.")
    reporting: ReportingSection = Field(default_factory=ReportingSection, description="Report, telemetry, Comet.")
    hub: HubSection = Field(default_factory=HubSection, description="Hub upload.")

    @field_validator("project_name")
    @classmethod
    def _safe_project_name(cls, v: str) -> str:
        if not _PROJECT_NAME.match(v):
            raise ValueError("use 1-100 letters, digits, '.', '_' or '-' (it becomes a directory name)")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> TrainConfig:
        problems = []
        if self.quantization.mode != "none" and not self.lora.enabled:
            problems.append("quantized weights cannot be trained directly: enable lora with quantization")
        generated_eval = self.dataset.source == "builtin:aegis-mini-data" and (
            self.dataset.generator is None or self.dataset.generator.validation > 0)
        if self.training.eval.strategy != "no" and not (
            self.dataset.eval_split or self.dataset.eval_source or self.dataset.eval_fraction > 0 or generated_eval
        ):
            problems.append("training.eval.strategy needs eval data: set dataset.eval_split, eval_source or eval_fraction")
        if self.dataset.generator is not None and self.dataset.source != "builtin:aegis-mini-data":
            problems.append("dataset.generator only applies to dataset.source: builtin:aegis-mini-data")
        if self.model.init is not None and self.model.base != "builtin:aegis-mini-init":
            problems.append("model.init only applies to model.base: builtin:aegis-mini-init")
        uses_spans = self.dataset.spans_field is not None or self.dataset.source == "builtin:aegis-mini-data"
        if uses_spans and self.model.task != "token_classification":
            problems.append("labelled spans (dataset.spans_field, builtin:aegis-mini-data) need model.task: token_classification")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # ---------------------------------------------------------------- derived
    def report_dir(self) -> Path:
        return Path(self.reporting.output_dir) / self.project_name

    def checkpoint_dir(self) -> Path:
        return Path(self.training.output_dir) if self.training.output_dir else Path("runs") / self.project_name
