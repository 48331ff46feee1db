"""aegis-mini's training path: span labels per token, scanner-shaped windows, deterministic data and init."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aegis_cli.mini.dataset import LABELS, generated_rows, sample_row, scannable_path, write_split
from aegis_cli.scan.chunking import plan_chunks, tokenize_file
from aegis_cli.train.windows import IGNORE, span_windows, token_labels


def _char_encode(text: str):
    """One token per character: offsets are exact, so expected labels are easy to state."""
    return [ord(c) % 200 + 5 for c in text], [(i, i + 1) for i in range(len(text))]


def test_token_labels_cover_exactly_the_overlapping_tokens():
    offsets = [(0, 3), (3, 4), (4, 9), (9, 10), (10, 14)]
    labels = token_labels(offsets, [[4, 10, "CWE-89"]], {"O": 0, "CWE-89": 7})
    assert labels == [0, 0, 7, 7, 0]
    # a token straddling the span's start or end is labelled; one ending where the span starts is not
    assert token_labels(offsets, [[5, 11, "CWE-89"]], {"O": 0, "CWE-89": 7}) == [0, 0, 7, 7, 7]
    assert token_labels(offsets, [[3, 3, "CWE-89"]], {"O": 0, "CWE-89": 7}) == [0] * 5  # empty span
    # the first span wins where two overlap
    both = token_labels(offsets, [[0, 4, "A"], [3, 9, "B"]], {"O": 0, "A": 1, "B": 2})
    assert both == [1, 1, 2, 0, 0]


def test_windows_are_the_scanners_chunks_with_special_tokens_and_labels():
    lines = [f"line {i} = value_{i}" for i in range(40)]
    text = "\n".join(lines) + "\n"
    sink_line = 25
    start = text.index(lines[sink_line]) + 5
    end = start + 6
    items = span_windows(text, [[start, end, "CWE-78"]], _char_encode, budget=120,
                         label_ids={"O": 0, "CWE-78": 2}, prefix=[0], suffix=[2])
    ids, offsets = _char_encode(text)
    pieces = plan_chunks(tokenize_file(text, lambda _t: (ids, offsets)), 120)
    assert len(items) == len(pieces) > 3
    for item, piece in zip(items, pieces, strict=True):
        assert item["input_ids"] == [0, *ids[piece.token_start:piece.token_end], 2]
        assert item["attention_mask"] == [1] * len(item["input_ids"])
        assert item["labels"][0] == item["labels"][-1] == IGNORE
        assert len(item["input_ids"]) <= 122
        labelled = [k for k, lab in enumerate(item["labels"]) if lab == 2]
        covers = piece.start_line <= sink_line + 1 <= piece.end_line
        assert item["labelled"] == covers
        if covers:  # exactly the six characters of the sink, shifted by the <s> token
            first = start - piece.token_start + 1
            assert labelled == list(range(first, first + 6))


def test_a_line_longer_than_the_window_is_split_not_dropped():
    text = "x = '" + "a" * 300 + "'\n"
    items = span_windows(text, [[0, 1, "CWE-78"]], _char_encode, budget=100, label_ids={"O": 0, "CWE-78": 1})
    ids, _ = _char_encode(text)
    assert [len(it["input_ids"]) for it in items] == [100, 100, 100, 7]  # every token, in budget-sized pieces
    assert [t for it in items for t in it["input_ids"]] == ids
    assert items[0]["labels"][:2] == [1, 0] and items[0]["labelled"] and not items[1]["labelled"]


def test_labels_are_O_then_every_cwe_by_number():
    from aegis_cli.mini.datagen import CWE_CATALOG

    assert LABELS[0] == "O" and sorted(LABELS[1:]) == sorted(CWE_CATALOG) and len(LABELS) > 20  # the issue: ≥ 20 CWEs
    numbers = [int(x.split("-")[1]) for x in LABELS[1:]]
    assert numbers == sorted(numbers) and "CWE-89" in LABELS


def test_generated_rows_are_deterministic_and_spans_hold_the_sinks():
    a = generated_rows(12, seed=3, split="train")
    b = generated_rows(12, seed=3, split="train")
    assert a == b
    assert generated_rows(12, seed=4, split="train") != a
    spans = [(row, span) for row in a for span in row["spans"]]
    assert spans, "12 files should hold at least one sink"
    for row, (s, e, cwe) in spans:
        assert cwe in LABELS and 0 <= s < e <= len(row["text"]) and row["text"][s:e].strip()


def test_sample_row_rejects_a_sample_whose_spans_do_not_match_its_findings():
    from aegis_cli.mini.datagen import Sample

    with pytest.raises(ValueError):
        sample_row(Sample("a.py", "python", "x\n", True, [{"cwe": "CWE-78", "line": 1, "end_line": 1}], {"spans": []}))


def test_write_split_moves_background_out_of_vendor(tmp_path):
    assert scannable_path("case00001/vendor/json/decoder.py") == "case00001/lib/json/decoder.py"
    out = write_split(tmp_path / "h", split="heldout", n=6, seed=0)
    labels = json.loads((out / "labels.json").read_text())
    assert len(labels) == 6 and all((out / lab["path"]).is_file() for lab in labels)
    assert not any("/vendor/" in lab["path"] for lab in labels)


def test_aegis_mini_init_is_deterministic(tmp_path):
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from aegis_cli.train.builtin import build_aegis_mini_init

    rows = generated_rows(20, seed=1, split="train")
    texts, spans = [row["text"] for row in rows], [row["spans"] for row in rows]
    sizes = dict(hidden_size=32, layers=1, heads=2, intermediate_size=64, vocab_size=400, context=64, seed=5)
    a = build_aegis_mini_init(tmp_path / "a", texts, LABELS, spans=spans, **sizes)
    b = build_aegis_mini_init(tmp_path / "b", texts, LABELS, spans=spans, **sizes)
    assert (a / "tokenizer.json").read_bytes() == (b / "tokenizer.json").read_bytes()
    assert (a / "model.safetensors").read_bytes() == (b / "model.safetensors").read_bytes()
    model = AutoModelForTokenClassification.from_pretrained(a)
    assert model.config.id2label[0] == "O" and model.config.num_labels == len(LABELS)
    assert model.config.max_position_embeddings == 66
    # the head starts at the label prior of the texts' windows: O dominant, CWEs rare, a distribution
    bias = model.classifier.bias.detach().double()
    assert abs(float(bias.exp().sum()) - 1.0) < 1e-4
    assert float(bias[0]) > -0.2 and float(bias[1:].max()) < -3
    tok = AutoTokenizer.from_pretrained(a)
    assert tok.model_max_length == 64 and tok.is_fast


def test_training_windows_repeat_for_the_same_seed(tmp_path):
    from aegis_cli.config.loader import validate
    from aegis_cli.config.train import TrainConfig
    from aegis_cli.train.data import load_examples, tokenize
    from aegis_cli.train.recipe import resolve_model_source

    cfg = validate({
        "project_name": "w", "model": {"base": "builtin:aegis-mini-init", "task": "token_classification",
                                       "init": {"hidden_size": 32, "layers": 1, "heads": 2, "intermediate_size": 64,
                                                "vocab_size": 400, "context": 64}},
        "dataset": {"source": "builtin:aegis-mini-data", "generator": {"train": 16, "validation": 4, "seed": 2},
                    "max_length": 64, "unlabelled_windows": 0.5},
        "lora": {"enabled": False}, "training": {"max_steps": 1, "seed": 9},
    }, TrainConfig)
    from transformers import AutoTokenizer

    runs = []
    for cache in ("c1", "c2"):
        examples = load_examples(cfg)
        assert examples.labels == LABELS and len(examples.train) == 16 and len(examples.eval) == 4
        import os

        os.environ["AEGIS_CACHE"] = str(tmp_path / cache)
        try:
            source = resolve_model_source(cfg, examples.labels, examples)
        finally:
            del os.environ["AEGIS_CACHE"]
        tok = AutoTokenizer.from_pretrained(source)
        runs.append(tokenize(cfg, examples.train, tok, examples.labels, "training data"))
    assert runs[0] == runs[1]
    assert all(len(item["input_ids"]) <= 64 for item in runs[0])
    assert any(label > 0 for item in runs[0] for label in item["labels"])
    # without dropping unlabelled windows there are more of them, and every labelled one is still there
    full = tokenize(cfg.model_copy(update={"dataset": cfg.dataset.model_copy(update={"unlabelled_windows": 1.0})}),
                    load_examples(cfg).train, tok, LABELS, "training data")
    assert len(full) > len(runs[0])
    labelled = [i["input_ids"] for i in full if any(x > 0 for x in i["labels"])]
    assert labelled == [i["input_ids"] for i in runs[0] if any(x > 0 for x in i["labels"])]


def test_config_rules_for_the_builtin_data_and_init():
    from aegis_cli.config.loader import validate
    from aegis_cli.config.train import TrainConfig
    from aegis_cli.errors import ConfigError

    base = {"project_name": "x", "model": {"base": "m", "task": "causal_lm"},
            "dataset": {"source": "builtin:aegis-mini-data"}, "training": {"max_steps": 1}}
    with pytest.raises(ConfigError) as info:
        validate(base, TrainConfig)
    assert "need model.task: token_classification" in "\n".join(info.value.problems)
    with pytest.raises(ConfigError) as info:
        validate({**base, "model": {"base": "m", "task": "token_classification", "init": {"layers": 2}},
                  "dataset": {"source": "d.jsonl", "generator": {"train": 3}}}, TrainConfig)
    text = "\n".join(info.value.problems)
    assert "model.init only applies" in text and "dataset.generator only applies" in text
    with pytest.raises(ConfigError) as info:
        validate({**base, "model": {"base": "builtin:aegis-mini-init", "task": "token_classification",
                                    "init": {"hidden_size": 100, "heads": 3}}}, TrainConfig)
    assert "must divide hidden_size" in "\n".join(info.value.problems)
    # the generated validation split is eval data
    ok = validate({**base, "model": {"base": "builtin:aegis-mini-init", "task": "token_classification"},
                   "training": {"max_steps": 1, "eval": {"strategy": "steps"}}}, TrainConfig)
    assert ok.training.eval.strategy == "steps"


def test_shipped_sample_data_is_small_and_labelled():
    path = Path(__file__).resolve().parents[2] / "configs" / "data" / "aegis_mini_sample.jsonl"
    assert path.stat().st_size < 1_000_000
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows == generated_rows(len(rows), seed=7, split="train")  # what the config's comment says it is
