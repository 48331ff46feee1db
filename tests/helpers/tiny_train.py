"""Tiny real training runs for tests: models built once per process, configs as dicts.

Models come from ``aegis_cli.train.builtin.build_tiny_model`` (save_pretrained to a temp
dir, loaded back with from_pretrained by the recipe, exactly as a user's model).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

_MODELS: dict[str, Path] = {}
_ROOT: Path | None = None


def _root() -> Path:
    global _ROOT
    if _ROOT is None:
        _ROOT = Path(tempfile.mkdtemp(prefix="aegis-tiny-"))
    return _ROOT


def tiny_model(kind: str) -> Path:
    """A tiny model of ``kind`` (tiny-causal-lm / tiny-classifier / tiny-token-classifier), built once."""
    if kind not in _MODELS:
        from aegis_cli.train.builtin import build_tiny_model

        _MODELS[kind] = build_tiny_model(kind, _root() / kind, hidden=32, layers=2, max_positions=128,
                                         num_labels=3 if kind == "tiny-token-classifier" else 2)
    return _MODELS[kind]


def data_file(kind: str, n: int = 48) -> Path:
    from aegis_cli.train.builtin import sample_corpus, token_sample, write_jsonl

    path = _root() / f"data-{kind}-{n}.jsonl"
    if not path.exists():
        records = token_sample(n) if kind == "tokens" else sample_corpus(n)
        write_jsonl(records, path)
    return path


def config_dict(tmp: Path, *, task: str = "causal_lm", max_steps: int = 8, lora: bool = True,
                **sections: Any) -> dict[str, Any]:
    """A training config for a ~seconds CPU run; ``sections`` update the matching sections."""
    kind = {"causal_lm": "tiny-causal-lm", "sequence_classification": "tiny-classifier",
            "token_classification": "tiny-token-classifier"}[task]
    data = data_file("tokens" if task == "token_classification" else "text")
    cfg: dict[str, Any] = {
        "project_name": f"t-{task}",
        "model": {"base": str(tiny_model(kind)), "task": task},
        "dataset": {"source": str(data), "max_length": 64},
        "lora": {"enabled": lora, "r": 4, "alpha": 8},
        "training": {"max_steps": max_steps, "per_device_batch_size": 4, "gradient_accumulation_steps": 2,
                     "learning_rate": 1e-3, "logging_steps": 2, "cpu_threads": 1, "seed": 0,
                     "output_dir": str(tmp / "ckpt")},
        "reporting": {"output_dir": str(tmp / "reports"), "report_every": 2, "use_comet_ml": False, "poll_hz": 5},
    }
    for name, values in sections.items():
        if isinstance(values, dict):
            cfg.setdefault(name, {}).update(values)
        else:
            cfg[name] = values
    return cfg


def train_config(tmp: Path, **kwargs: Any):
    from aegis_cli.config.loader import validate
    from aegis_cli.config.train import TrainConfig

    return validate(config_dict(tmp, **kwargs), TrainConfig)
