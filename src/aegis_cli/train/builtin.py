"""Tiny models the project builds itself: no Hub, no network, deterministic.

``model.base: builtin:tiny-causal-lm`` (or ``builtin:tiny-classifier``,
``builtin:tiny-token-classifier``) in a training config resolves to a directory under
the cache (``$AEGIS_CACHE/builtin`` or ``~/.cache/aegis/builtin``) that holds a
random-initialised 2-layer model and a byte-level BPE tokenizer trained on a small
code corpus generated here. Everything is written with ``save_pretrained`` and loaded
back with ``from_pretrained``, exactly like a user's model; these models exist so that
``configs/finetuning_config.yaml`` runs anywhere and tests can build real models fast.

``builtin:aegis-mini-init`` is the starting point of aegis-mini (``configs/aegis_mini.yaml``):
a RoBERTa token classifier with random weights, sized by the config's ``model.init``, and a
byte-level BPE tokenizer trained on that run's own training texts
(:func:`build_aegis_mini_init`). ``builtin:aegis-mini`` is the trained model shipped in
the package (``aegis_cli/models/aegis-mini``), e.g. to fine-tune it further.

``build_tiny_model(kind, out_dir, ...)`` is the reusable builder (tests use it);
``sample_corpus`` / ``token_sample`` generate the example data (the shipped
``configs/data/train_sample.jsonl`` is ``sample_corpus()`` written as JSON lines).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

KINDS = ("tiny-causal-lm", "tiny-classifier", "tiny-token-classifier")
PREFIX = "builtin:"
MINI_INIT = "builtin:aegis-mini-init"
MINI = "builtin:aegis-mini"
_MINI_INIT_VERSION = 2  # bump when build_aegis_mini_init changes
_BUILD_VERSION = 1  # bump when the builder changes so cached models are rebuilt
#: the sizes behind ``builtin:<kind>`` names in a config (tests may build smaller ones)
BUILTIN_SPEC: dict[str, Any] = {"hidden": 64, "layers": 2, "max_positions": 512, "vocab_size": 1024, "seed": 0}
DEFAULT_TOKEN_LABELS = ["O", "B-SINK", "I-SINK"]
DEFAULT_CLASS_LABELS = ["safe", "vulnerable"]

# ------------------------------------------------------------------- corpus
# Short code fragments written for this project. {f} {v} {w} {t} are filled with
# identifiers so the records differ; "vulnerable" ones pass input to a dangerous sink.
_TEMPLATES: list[tuple[str, str, str]] = [
    ("python", "vulnerable", "import subprocess\n\ndef {f}({v}):\n    return subprocess.run({v}, shell=True)\n"),
    ("python", "safe", "import subprocess\n\ndef {f}({v}):\n    return subprocess.run([\"ls\", {v}], check=True)\n"),
    ("python", "vulnerable", "def {f}(db, {v}):\n    cur = db.cursor()\n    cur.execute(\"SELECT * FROM {t} WHERE name = '%s'\" % {v})\n    return cur.fetchall()\n"),
    ("python", "safe", "def {f}(db, {v}):\n    cur = db.cursor()\n    cur.execute(\"SELECT * FROM {t} WHERE name = ?\", ({v},))\n    return cur.fetchall()\n"),
    ("python", "vulnerable", "import pickle\n\ndef {f}({v}):\n    return pickle.loads({v})\n"),
    ("python", "safe", "import json\n\ndef {f}({v}):\n    return json.loads({v})\n"),
    ("python", "vulnerable", "def {f}({v}):\n    return eval({v})\n"),
    ("python", "safe", "def {f}({v}, {w}):\n    total = 0\n    for item in {v}:\n        total += item * {w}\n    return total\n"),
    ("python", "vulnerable", "import os\n\ndef {f}({v}):\n    os.system(\"tar xf \" + {v})\n"),
    ("python", "safe", "import hashlib\n\ndef {f}({v}):\n    return hashlib.sha256({v}.encode()).hexdigest()\n"),
    ("javascript", "vulnerable", "app.get('/{t}', (req, res) => {{\n  res.send('<p>' + req.query.{v} + '</p>');\n}});\n"),
    ("javascript", "safe", "app.get('/{t}', (req, res) => {{\n  res.json({{ {v}: String(req.query.{v}) }});\n}});\n"),
    ("javascript", "vulnerable", "function {f}({v}) {{\n  return eval({v});\n}}\n"),
    ("javascript", "safe", "function {f}({v}, {w}) {{\n  return {v}.map((x) => x + {w});\n}}\n"),
    ("javascript", "vulnerable", "const {{ exec }} = require('child_process');\nfunction {f}({v}) {{\n  exec('ping ' + {v});\n}}\n"),
    ("c", "vulnerable", "#include <string.h>\nvoid {f}(const char *{v}) {{\n  char buf[16];\n  strcpy(buf, {v});\n}}\n"),
    ("c", "safe", "#include <string.h>\nvoid {f}(const char *{v}) {{\n  char buf[16];\n  strncpy(buf, {v}, sizeof(buf) - 1);\n  buf[15] = 0;\n}}\n"),
    ("c", "vulnerable", "#include <stdio.h>\nvoid {f}(const char *{v}) {{\n  printf({v});\n}}\n"),
    ("c", "safe", "#include <stdio.h>\nvoid {f}(const char *{v}) {{\n  printf(\"%s\\n\", {v});\n}}\n"),
    ("go", "vulnerable", "func {f}({v} string) error {{\n\treturn exec.Command(\"sh\", \"-c\", {v}).Run()\n}}\n"),
    ("go", "safe", "func {f}({v} []int) int {{\n\tsum := 0\n\tfor _, x := range {v} {{\n\t\tsum += x\n\t}}\n\treturn sum\n}}\n"),
    ("java", "vulnerable", "String q = \"SELECT * FROM {t} WHERE id = \" + {v};\nResultSet rs = stmt.executeQuery(q);\n"),
    ("java", "safe", "PreparedStatement ps = conn.prepareStatement(\"SELECT * FROM {t} WHERE id = ?\");\nps.setString(1, {v});\n"),
    ("php", "vulnerable", "<?php\n${v} = $_GET['{v}'];\n$r = mysqli_query($conn, \"SELECT * FROM {t} WHERE id=\" . ${v});\n"),
    ("php", "safe", "<?php\n${v} = intval($_GET['{v}']);\necho htmlspecialchars((string) ${v});\n"),
]
_FUNCS = ["run", "load", "query", "handle", "process", "fetch", "render", "parse", "save", "update", "check", "build"]
_VARS = ["cmd", "name", "data", "path", "user", "value", "payload", "item", "text", "arg", "key_id", "row"]
_TABLES = ["users", "orders", "items", "accounts", "logs", "sessions"]
_SINKS = {"shell=True", "eval", "pickle.loads", "os.system", "strcpy", "printf", "exec", "exec.Command",
          "executeQuery", "mysqli_query", "res.send", "cur.execute"}


def sample_corpus(n: int = 400, seed: int = 0) -> list[dict[str, str]]:
    """``n`` short code records ``{"text", "label", "language"}``; the same for the same seed."""
    rng = random.Random(seed)
    records = []
    for i in range(n):
        language, label, template = _TEMPLATES[i % len(_TEMPLATES)]
        f = rng.choice(_FUNCS) + "_" + rng.choice(_VARS)
        v, w = rng.sample(_VARS, 2)
        text = template.format(f=f, v=v, w=w, t=rng.choice(_TABLES))
        records.append({"text": text, "label": label, "language": language})
    return records


def token_sample(n: int = 200, seed: int = 0) -> list[dict[str, list[str]]]:
    """Word-level records ``{"tokens", "tags"}`` (BIO tags over dangerous calls) for token classification."""
    out = []
    for rec in sample_corpus(n, seed):
        words = rec["text"].replace("(", " ( ").replace(")", " ) ").split()
        tags = []
        inside = False
        for word in words:
            hit = any(s in word for s in _SINKS)
            tags.append(("I-SINK" if inside else "B-SINK") if hit else "O")
            inside = hit
        out.append({"tokens": words, "tags": tags})
    return out


def write_jsonl(records: list[dict[str, Any]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


# ---------------------------------------------------------------- tokenizer
def build_tokenizer(texts: list[str] | None = None, *, vocab_size: int = 1024, max_length: int = 512,
                    add_prefix_space: bool = False):
    """A byte-level BPE tokenizer (no unknown bytes) trained on ``texts``, as a transformers tokenizer.

    Special tokens follow RoBERTa: ``<s>`` (bos/cls), ``</s>`` (eos/sep), ``<pad>``, ``<unk>``, ``<mask>``;
    every encoded text is wrapped as ``<s> … </s>``.
    """
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaTokenizerFast

    corpus = texts if texts else [r["text"] for r in sample_corpus()]
    bpe = ByteLevelBPETokenizer(add_prefix_space=add_prefix_space)
    bpe.train_from_iterator(corpus, vocab_size=vocab_size, min_frequency=2, show_progress=False,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    return RobertaTokenizerFast(
        tokenizer_object=bpe._tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        mask_token="<mask>", cls_token="<s>", sep_token="</s>", model_max_length=max_length,
        add_prefix_space=add_prefix_space,
    )


# -------------------------------------------------------------------- models
def build_tiny_model(
    kind: str,
    out_dir: Path,
    *,
    vocab_texts: list[str] | None = None,
    seed: int = 0,
    hidden: int = 32,
    layers: int = 2,
    num_labels: int = 2,
    labels: list[str] | None = None,
    max_positions: int = 512,
    vocab_size: int = 1024,
) -> Path:
    """Build a random-init model of ``kind`` with its tokenizer and ``save_pretrained`` both to ``out_dir``.

    ``tiny-causal-lm`` is a Llama-shaped decoder (q/k/v/o/gate/up/down projections, like
    real LoRA targets); the classifiers are RoBERTa encoders with a sequence or token
    head. ``labels`` name the classes (default: ``num_labels`` generic names, or
    O/B-SINK/I-SINK for the token classifier). Returns ``out_dir``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown tiny model kind {kind!r}; choose from {', '.join(KINDS)}")
    import torch

    heads = 4 if hidden % 4 == 0 else 2
    tok = build_tokenizer(vocab_texts, vocab_size=vocab_size, max_length=max_positions,
                          add_prefix_space=kind == "tiny-token-classifier")
    torch.manual_seed(seed)
    config: Any
    if kind == "tiny-causal-lm":
        from transformers import LlamaConfig, LlamaForCausalLM

        config = LlamaConfig(
            vocab_size=len(tok), hidden_size=hidden, intermediate_size=hidden * 2, num_hidden_layers=layers,
            num_attention_heads=heads, num_key_value_heads=heads, max_position_embeddings=max_positions,
            bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
            tie_word_embeddings=True,
        )
        model: Any = LlamaForCausalLM(config)
    else:
        from transformers import (
            RobertaConfig,
            RobertaForSequenceClassification,
            RobertaForTokenClassification,
        )

        if labels is None:
            labels = DEFAULT_TOKEN_LABELS if kind == "tiny-token-classifier" and num_labels == 3 else (
                DEFAULT_CLASS_LABELS if num_labels == 2 else [f"LABEL_{i}" for i in range(num_labels)])
        config = RobertaConfig(
            vocab_size=len(tok), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
            intermediate_size=hidden * 2, max_position_embeddings=max_positions + 2, pad_token_id=tok.pad_token_id,
            bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
            id2label=dict(enumerate(labels)), label2id={name: i for i, name in enumerate(labels)},
        )
        cls = RobertaForTokenClassification if kind == "tiny-token-classifier" else RobertaForSequenceClassification
        model = cls(config)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return out_dir


def build_aegis_mini_init(out_dir: Path, texts: list[str], labels: list[str], *, spans: list[list] | None = None,
                          hidden_size: int = 256, layers: int = 4, heads: int = 4, intermediate_size: int = 1024,
                          vocab_size: int = 8192, context: int = 256, dropout: float = 0.1, seed: int = 0) -> Path:
    """A fresh RoBERTa token classifier over ``labels`` and a byte-level BPE tokenizer trained on ``texts``.

    ``context`` counts the special tokens: the scanner reads ``max_position_embeddings - 2``
    back as the model's context (RoBERTa positions start after the padding index) and
    feeds windows of ``context - 2`` tokens plus ``<s>``/``</s>``.

    ``spans`` (labelled character spans per text, as :mod:`aegis_cli.train.windows` reads
    them) set the classifier's bias to the log frequency of each label over the texts'
    windows. Without it, a rare-label tagger trained from scratch first learns the prior
    through the encoder: every position is pushed to the same "mostly O" output, and a
    post-LN encoder collapses to position-independent states that it does not leave (seen
    here: 400 steps, constant outputs). The same arguments give the same tokenizer and the
    same weights. Returns ``out_dir``.
    """
    import torch
    from transformers import RobertaConfig, RobertaForTokenClassification

    tok = build_tokenizer(texts, vocab_size=vocab_size, max_length=context)
    config = RobertaConfig(
        vocab_size=len(tok), hidden_size=hidden_size, num_hidden_layers=layers, num_attention_heads=heads,
        intermediate_size=intermediate_size, max_position_embeddings=context + 2, type_vocab_size=1,
        hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout,
        pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
        id2label=dict(enumerate(labels)), label2id={name: i for i, name in enumerate(labels)},
    )
    torch.manual_seed(seed)
    model = RobertaForTokenClassification(config)
    if spans is not None:
        with torch.no_grad():
            model.classifier.bias.copy_(label_log_prior(tok, texts, spans, labels, context))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return out_dir


def label_log_prior(tokenizer: Any, texts: list[str], spans: list[list], labels: list[str], context: int):
    """log frequency of each label over the scanner windows of ``texts`` (add-one smoothed), as a tensor."""
    import torch

    from aegis_cli.train.windows import span_windows, tokenizer_encoder

    counts = torch.ones(len(labels), dtype=torch.float64)
    lookup = {name: i for i, name in enumerate(labels)}
    encode = tokenizer_encoder(tokenizer)
    for text, text_spans in zip(texts, spans, strict=True):
        for item in span_windows(text, text_spans, encode, budget=context - 2, label_ids=lookup):
            counts += torch.bincount(torch.tensor(item["labels"]), minlength=len(labels)).double()
    return (counts / counts.sum()).log().float()


def resolve_aegis_mini_init(init: dict[str, Any], texts: list[str], labels: list[str], *,
                            spans: list[list] | None = None, cache_dir: Path | None = None) -> Path:
    """The directory of a ``builtin:aegis-mini-init`` model for these sizes, texts (and spans) and labels, built on
    first use (keyed by a hash of all of them, written atomically)."""
    h = hashlib.sha256(json.dumps({"init": init, "labels": labels, "v": _MINI_INIT_VERSION}, sort_keys=True).encode())
    for text in texts:
        h.update(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
    if spans is not None:
        h.update(json.dumps(spans).encode())
    return _cached_build(cache_dir or cache_root(), f"aegis-mini-init-{h.hexdigest()[:12]}",
                         lambda tmp: build_aegis_mini_init(tmp, texts, labels, spans=spans, **init))


def _cached_build(root: Path, name: str, build: Any) -> Path:
    """``root/name``, made by ``build(tmp_dir)`` on first use and moved into place atomically
    (another process, e.g. a torchrun rank, may win the race: its result is used)."""
    target = root / name
    if (target / "config.json").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    try:
        build(tmp)
        try:
            os.replace(tmp, target)
        except OSError:
            if not (target / "config.json").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def shipped_mini_dir() -> Path:
    """Where the trained aegis-mini lives in the installed package."""
    from aegis_cli.providers.hf_common import builtin_dir

    return builtin_dir("aegis-mini")


def cache_root() -> Path:
    base = os.environ.get("AEGIS_CACHE")
    root = Path(base) if base else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "aegis"
    return root / "builtin"


def is_builtin(name: str) -> bool:
    return name.startswith(PREFIX)


def resolve_builtin(name: str, *, labels: list[str] | None = None, cache_dir: Path | None = None) -> Path:
    """The directory of ``builtin:<kind>``, building it on first use (atomically: safe under torchrun)."""
    kind = name[len(PREFIX):] if is_builtin(name) else name
    if kind not in KINDS:
        from aegis_cli.errors import ConfigError

        raise ConfigError(f"unknown built-in model {name!r}", f"use one of: {', '.join(PREFIX + k for k in KINDS)}")
    spec = {**BUILTIN_SPEC, "kind": kind, "labels": labels, "v": _BUILD_VERSION}
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    num_labels = len(labels) if labels else (3 if kind == "tiny-token-classifier" else 2)
    return _cached_build(cache_dir or cache_root(), f"{kind}-{digest}", lambda tmp: build_tiny_model(
        kind, tmp, seed=BUILTIN_SPEC["seed"], hidden=BUILTIN_SPEC["hidden"], layers=BUILTIN_SPEC["layers"],
        max_positions=BUILTIN_SPEC["max_positions"], vocab_size=BUILTIN_SPEC["vocab_size"],
        num_labels=num_labels, labels=labels))
