"""Training data: read examples, tokenize them for the task, pad batches.

Local files (.jsonl, .json, .csv, .parquet) are read without the ``datasets`` package;
an HF dataset id needs it (and the network, or its cache). Examples are tokenized once
up front into plain lists; batches are padded per batch by :class:`PaddingCollator`.
The training set is wrapped in :class:`~aegis_cli.report.callback.CountingDataset`, so
the report's tokens/s counts the non-padding tokens actually fed, on the CPU side.

``dataset.source: builtin:aegis-mini-data`` generates aegis-mini's rows in-process
(:mod:`aegis_cli.mini.dataset`); rows with labelled character spans (``dataset.spans_field``)
become token-classification windows cut exactly as the scanner cuts files
(:mod:`aegis_cli.train.windows`).
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aegis_cli.config.train import DatasetSection, TrainConfig
from aegis_cli.errors import ConfigError, InputError

_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


@dataclass
class Examples:
    train: list[dict[str, Any]]
    eval: list[dict[str, Any]] | None
    source: str
    labels: list[str] | None = None  # classification: id → name
    notes: list[str] = field(default_factory=list)


def resolve_path(value: str, config_path: str | Path | None) -> Path | None:
    """A relative path is looked up from the current directory, then from the config file's directory."""
    p = Path(value).expanduser()
    if p.is_absolute():
        return p if p.exists() else None
    if p.exists():
        return p
    if config_path is not None:
        q = Path(config_path).resolve().parent / p
        if q.exists():
            return q
    return None


def _looks_local(value: str) -> bool:
    return Path(value).suffix.lower() in _EXTENSIONS or value.startswith((".", "/", "~")) or "\\" in value


def read_file(path: Path, fmt: str = "auto") -> list[dict[str, Any]]:
    kind = _EXTENSIONS.get(path.suffix.lower()) if fmt == "auto" else fmt
    if kind is None:
        raise InputError(f"cannot tell the format of {path}", "use .jsonl, .json, .csv or .parquet, or set dataset.format")
    try:
        if kind == "jsonl":
            rows = []
            with path.open(encoding="utf-8") as fh:
                for number, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise InputError(f"{path}:{number}: not valid JSON ({exc.msg})", "one JSON object per line") from None
                    if not isinstance(row, dict):
                        raise InputError(f"{path}:{number}: expected a JSON object", "one JSON object per line")
                    rows.append(row)
            return rows
        if kind == "json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("data"), list):
                data = data["data"]
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise InputError(f"{path}: expected a JSON list of objects", "or use .jsonl, one object per line")
            return data
        if kind == "csv":
            with path.open(encoding="utf-8", newline="") as fh:
                return [dict(row) for row in csv.DictReader(fh)]
        if kind == "parquet":
            try:
                import pyarrow.parquet as pq
            except ImportError:
                raise InputError("reading parquet needs the pyarrow package", "pip install pyarrow, or convert to jsonl") from None
            return pq.read_table(path).to_pylist()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}", "check the path and that the file is UTF-8") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})", "fix the file") from None
    raise InputError(f"unsupported dataset format {kind!r}", "use jsonl, json, csv, parquet or hf")


def _load_hf(ds: DatasetSection, split: str) -> list[dict[str, Any]]:
    try:
        import datasets
    except ImportError:
        raise ConfigError(
            f"dataset.source {ds.source!r} is not a local file, and loading Hugging Face datasets needs the "
            "'datasets' package", "pip install datasets, or point dataset.source at a local .jsonl/.csv/.parquet file",
        ) from None
    try:
        loaded = datasets.load_dataset(ds.source, ds.hf_config_name, split=split)
    except Exception as exc:
        raise InputError(f"cannot load dataset {ds.source!r} split {split!r}: {type(exc).__name__}: {exc}",
                         "check the id and split, and the network (or HF_HUB_OFFLINE with a cached copy)") from None
    return [dict(row) for row in loaded]


def spans_field(ds: DatasetSection) -> str | None:
    """The field with labelled character spans, if the examples are texts with spans."""
    from aegis_cli.mini.dataset import SOURCE

    return ds.spans_field or ("spans" if ds.source == SOURCE else None)


def _generated_examples(config: TrainConfig) -> Examples:
    from aegis_cli.config.train import GeneratorSection
    from aegis_cli.mini.dataset import LABELS, SOURCE, background_fingerprint, generated_rows

    gen = config.dataset.generator or GeneratorSection()
    train = generated_rows(gen.train, seed=gen.seed, split="train", background=gen.background)
    evals = generated_rows(gen.validation, seed=gen.seed, split="validation", background=gen.background) \
        if gen.validation else None
    if config.dataset.max_samples is not None:
        train = train[: config.dataset.max_samples]
    labels = list(config.model.labels) if config.model.labels else list(LABELS)
    notes = [f"{SOURCE}: {gen.train:,} train / {gen.validation:,} validation files, seed {gen.seed}, "
             f"background {gen.background}"]
    fingerprint = background_fingerprint(gen.background)
    if fingerprint:
        import platform

        notes.append(f"background fingerprint {fingerprint} (Python {platform.python_version()} standard library)")
    return Examples(train=train, eval=evals, source=SOURCE, labels=labels, notes=notes)


def load_examples(config: TrainConfig, config_path: str | Path | None = None) -> Examples:
    """Read the training (and evaluation) examples a config names."""
    ds = config.dataset
    from aegis_cli.mini.dataset import SOURCE

    if ds.source == SOURCE:
        return _generated_examples(config)
    path = resolve_path(ds.source, config_path) if ds.format != "hf" else None
    if path is not None:
        if path.is_dir():
            raise InputError(f"dataset.source {ds.source} is a directory", "point it at a .jsonl/.csv/.parquet file")
        train = read_file(path, ds.format)
        source = str(path)
    elif ds.format not in ("auto", "hf") or _looks_local(ds.source):
        raise InputError(f"dataset file {ds.source} not found",
                         "a relative path is looked up from the current directory, then next to the config file")
    else:
        train = _load_hf(ds, ds.train_split)
        source = f"hf:{ds.source}"
    evals: list[dict[str, Any]] | None = None
    if ds.eval_source:
        eval_path = resolve_path(ds.eval_source, config_path)
        if eval_path is None:
            raise InputError(f"dataset.eval_source {ds.eval_source} not found", "check the path")
        evals = read_file(eval_path, "auto")
    elif ds.eval_split and path is None:
        evals = _load_hf(ds, ds.eval_split)
    elif ds.eval_fraction > 0:
        rng = random.Random(config.training.seed)
        order = list(range(len(train)))
        rng.shuffle(order)
        n_eval = max(1, round(len(train) * ds.eval_fraction))
        eval_ids = set(order[:n_eval])
        evals = [r for i, r in enumerate(train) if i in eval_ids]
        train = [r for i, r in enumerate(train) if i not in eval_ids]
    if ds.max_samples is not None:
        train = train[: ds.max_samples]
    if not train:
        raise InputError(f"no training examples in {source}", "the dataset is empty")
    _check_fields(config, train, source)
    labels = _labels(config, train + (evals or []), source)
    return Examples(train=train, eval=evals, source=source, labels=labels)


def _check_fields(config: TrainConfig, rows: list[dict[str, Any]], source: str) -> None:
    ds = config.dataset
    needed = {"causal_lm": [ds.text_field], "sequence_classification": [ds.text_field, ds.label_field],
              "token_classification": [ds.tokens_field, ds.tags_field]}[config.model.task]
    if config.model.task == "token_classification" and ds.spans_field:
        needed = [ds.text_field, ds.spans_field]
    first = rows[0]
    missing = [f for f in needed if f not in first]
    if missing:
        have = ", ".join(sorted(map(str, first))[:12]) or "nothing"
        raise ConfigError(
            f"{source}: the examples have no field {', '.join(repr(m) for m in missing)} (they have: {have})",
            "set dataset.text_field / label_field / tokens_field / tags_field to the right names",
        )


def _labels(config: TrainConfig, rows: list[dict[str, Any]], source: str) -> list[str] | None:
    task = config.model.task
    if task == "causal_lm":
        return None
    ds = config.dataset
    if config.model.labels:
        return list(config.model.labels)
    if task == "sequence_classification":
        values = {r.get(ds.label_field) for r in rows}
    elif ds.spans_field:
        values = {"O"} | {str(span[2]) for r in rows for span in (r.get(ds.spans_field) or [])}
    else:
        values = {t for r in rows for t in (r.get(ds.tags_field) or [])}
    values.discard(None)
    ids = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    if len(ids) == len(values):
        return [str(i) for i in range(max(ids) + 1)] if ids else None
    names = sorted(str(v) for v in values)
    if task == "token_classification" and "O" in names:  # the outside tag first, by convention
        names.remove("O")
        names.insert(0, "O")
    if len(names) < 2:
        raise ConfigError(f"{source}: classification needs at least 2 distinct labels, found {names}",
                          "check dataset.label_field / tags_field or model.labels")
    return names


# ------------------------------------------------------------------ tokenizing
def tokenize(config: TrainConfig, rows: list[dict[str, Any]], tokenizer: Any, labels: list[str] | None,
             source: str = "dataset") -> list[dict[str, Any]]:
    ds = config.dataset
    task = config.model.task
    max_length = ds.max_length
    if task in ("causal_lm", "sequence_classification"):
        texts = [str(r.get(ds.text_field) or "") for r in rows]
        enc = tokenizer(texts, truncation=True, max_length=max_length)
        out = []
        for i, ids in enumerate(enc["input_ids"]):
            item: dict[str, Any] = {"input_ids": list(ids), "attention_mask": list(enc["attention_mask"][i])}
            if task == "causal_lm":
                item["labels"] = list(ids)
            else:
                item["labels"] = _label_id(rows[i].get(ds.label_field), labels, f"{source} example {i + 1}")
            out.append(item)
        return out
    if spans_field(ds):
        return _span_windows(config, rows, tokenizer, labels, source)
    # token classification: words → sub-tokens, the label on each word's first sub-token
    lookup = {name: i for i, name in enumerate(labels or [])}
    words = [[str(w) for w in (r.get(ds.tokens_field) or [])] for r in rows]
    enc = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length)
    out = []
    for i, row in enumerate(rows):
        tags = row.get(ds.tags_field) or []
        if len(tags) != len(words[i]):
            raise InputError(f"{source} example {i + 1}: {len(words[i])} tokens but {len(tags)} tags",
                             "give one tag per word")
        word_ids = enc.word_ids(i)
        label_ids: list[int] = []
        previous = None
        for w in word_ids:
            if w is None or w == previous:
                label_ids.append(-100)
            else:
                label_ids.append(_label_id(tags[w], labels, f"{source} example {i + 1}", lookup))
            previous = w
        out.append({"input_ids": list(enc["input_ids"][i]), "attention_mask": list(enc["attention_mask"][i]),
                    "labels": label_ids})
    return out


def _span_windows(config: TrainConfig, rows: list[dict[str, Any]], tokenizer: Any, labels: list[str] | None,
                  source: str) -> list[dict[str, Any]]:
    """Texts with labelled spans → the scanner's windows (``max_length`` tokens, special tokens included).

    Training windows without any labelled token are kept with probability
    ``dataset.unlabelled_windows`` (seeded per text and window); evaluation keeps all.
    """
    from aegis_cli.providers.hf_classifier import special_tokens_around
    from aegis_cli.train.windows import span_windows, tokenizer_encoder

    ds = config.dataset
    field_name = spans_field(ds)
    assert field_name is not None
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError("dataset.spans_field needs a fast tokenizer (character offsets)",
                          "use a model saved with a tokenizer.json")
    names = list(labels or [])
    if not names or names[0] != "O":
        raise ConfigError(f"{source}: labelled spans need 'O' as the first label (got {names[:3]})",
                          "list O first in model.labels")
    lookup = {name: i for i, name in enumerate(names)}
    prefix, suffix = special_tokens_around(tokenizer)
    budget = ds.max_length - len(prefix) - len(suffix)
    if budget < 8:
        raise ConfigError(f"dataset.max_length {ds.max_length} leaves no room for text", "use at least 16")
    encode = tokenizer_encoder(tokenizer)
    keep = ds.unlabelled_windows if source == "training data" else 1.0
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        spans = row.get(field_name) or []
        for span in spans:
            if not (isinstance(span, (list, tuple)) and len(span) == 3):
                raise InputError(f"{source} example {i + 1}: span {span!r} is not [start, end, label]",
                                 "give spans as [start, end, label] character offsets")
            if str(span[2]) not in lookup:
                raise InputError(f"{source} example {i + 1}: label {span[2]!r} is not one of the model's labels",
                                 "add it to model.labels or fix the data")
        windows = span_windows(str(row.get(ds.text_field) or ""), spans, encode, budget=budget, label_ids=lookup,
                               prefix=prefix, suffix=suffix)
        for k, item in enumerate(windows):
            labelled = item.pop("labelled")
            if keep < 1.0 and not labelled and \
                    random.Random(f"{config.training.seed}/{i}/{k}").random() >= keep:
                continue
            out.append(item)
    if not out:
        raise InputError(f"{source}: no windows (are the texts empty?)", "check dataset.text_field")
    return out


def _label_id(value: Any, labels: list[str] | None, where: str, lookup: dict[str, int] | None = None) -> int:
    labels = labels or []
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < len(labels):
            return value
        raise InputError(f"{where}: label id {value} is out of range (0..{len(labels) - 1})", "check model.labels")
    lookup = lookup if lookup is not None else {name: i for i, name in enumerate(labels)}
    key = str(value)
    if key not in lookup:
        raise InputError(f"{where}: label {key!r} is not one of {labels}", "add it to model.labels or fix the data")
    return lookup[key]


class TokenizedDataset:
    """A list of tokenized examples as a map-style dataset."""

    def __init__(self, items: list[dict[str, Any]]):
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.items[index]


class PaddingCollator:
    """Pads a batch to its longest example; label padding is -100 (ignored by the loss)."""

    def __init__(self, pad_token_id: int, *, task: str, pad_to_multiple_of: int | None = None):
        self.pad_token_id = pad_token_id
        self.task = task
        self.pad_to_multiple_of = pad_to_multiple_of

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        longest = max(len(f["input_ids"]) for f in features)
        if self.pad_to_multiple_of:
            m = self.pad_to_multiple_of
            longest = (longest + m - 1) // m * m
        ids, mask, labels = [], [], []
        for f in features:
            pad = longest - len(f["input_ids"])
            ids.append(list(f["input_ids"]) + [self.pad_token_id] * pad)
            mask.append(list(f["attention_mask"]) + [0] * pad)
            if self.task == "sequence_classification":
                labels.append(f["labels"])
            else:  # per-token labels: padding is ignored by the loss
                labels.append(list(f["labels"]) + [-100] * pad)
        return {
            "input_ids": torch.tensor(ids, dtype=torch.long),
            "attention_mask": torch.tensor(mask, dtype=torch.long),
            "labels": torch.tensor(labels, dtype=torch.long),
        }
