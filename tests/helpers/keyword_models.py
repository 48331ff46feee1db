"""Tiny RoBERTa classifiers wired by hand to detect one dangerous call, so tests can check
localisation and line mapping against a model whose right answer is known exactly.

The weights are set, not trained (no randomness, no training time): the embedding of the
call's tokens carries +1 in dimension 0 and every other token -1; in layer 0 every
position attends to tokens with a positive dimension 0, copying "a sink is present" into
dimension 2; the sequence head reads dimension 2 (is there a sink in this chunk?) and the
token head reads dimension 0 (is this token part of the sink?). Everything runs through
the real transformers forward pass; only the numbers are chosen.
"""

from __future__ import annotations

import random
from pathlib import Path

from helpers.tiny_models import build_classifier

SINK = "os.system(cmd)"
FILLER = [
    "x = compute(a, b)", "total += item.price", "logger.info('done')", "for i in range(10):",
    "    result.append(i * 2)", "if value is None:", "    return default", "name = user.name.strip()",
    "data = json.loads(body)", "items = sorted(items)", "print(len(items))", "count = count + 1",
    "def helper(a, b):", "    return a + b", "class Config:", "    debug = False", "path = base / 'file.txt'",
    "value = cache.get(key)", "response = session.get(url)", "rows = table.select()",
]


def sample(rng: random.Random, n_lines: int, sink_at: int | None) -> str:
    """``n_lines`` filler lines, with the sink on 1-based line ``sink_at`` (if given)."""
    lines = [rng.choice(FILLER) for _ in range(n_lines)]
    if sink_at is not None:
        lines[sink_at - 1] = SINK
    return "\n".join(lines) + "\n"


def _wire(model, sink_ids: set[int], token_level: bool) -> None:
    import torch

    cfg = model.config
    h = cfg.hidden_size
    head_dim = h // cfg.num_attention_heads
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        emb = model.roberta.embeddings
        words = torch.randn(cfg.vocab_size, h, generator=g) * 0.05
        words[:, 0] = -1.0
        words[:, 1] = 1.0
        words[:, 2] = 0.0
        for i in sink_ids:
            words[i, 0] = 1.0
        emb.word_embeddings.weight.copy_(words)
        for ln in [emb.LayerNorm] + [m for layer in model.roberta.encoder.layer
                                     for m in (layer.attention.output.LayerNorm, layer.output.LayerNorm)]:
            ln.weight.fill_(1.0)
        attn = model.roberta.encoder.layer[0].attention
        attn.self.query.weight[0, 1] = 40.0  # every query looks for ...
        attn.self.key.weight[0, 0] = 1.0  # ... keys with a positive dimension 0 (sink tokens)
        attn.self.value.weight[0, 0] = 1.0  # and copies their dimension 0
        attn.output.dense.weight[2, 0] = 5.0  # into dimension 2 of every position
        del head_dim
        if token_level:
            model.classifier.weight[1, 0] = 10.0  # this token is part of the sink
        else:
            model.classifier.dense.weight[0, 2] = 1.0
            model.classifier.out_proj.weight[1, 0] = 10.0  # the chunk holds a sink
            model.classifier.out_proj.weight[0, 0] = -10.0


def build_keyword_models(root: Path, ordinary_texts: list[str] = ()) -> tuple[Path, Path]:
    """(sequence classifier, token classifier) that flag the SINK line; context 128 tokens.

    The sink's own tokens are those of SINK that never occur in FILLER or ``ordinary_texts``
    (the tokenizer is trained with the sink so "system" becomes one token)."""
    from transformers import AutoTokenizer, RobertaForSequenceClassification, RobertaForTokenClassification

    extra = [SINK] * 50
    seq_path = build_classifier(root / "kw-seq", hidden=32, extra_texts=extra)
    tok_path = build_classifier(root / "kw-tok", token_level=True, labels=["O", "CWE-78"], hidden=32,
                                extra_texts=extra)
    tokenizer = AutoTokenizer.from_pretrained(seq_path)
    filler_ids = set(tokenizer("\n".join([*FILLER, *ordinary_texts]), add_special_tokens=False)["input_ids"])
    sink_ids = set(tokenizer(SINK, add_special_tokens=False)["input_ids"]) - filler_ids
    assert sink_ids, "the sink must have tokens of its own"
    for path, cls, token_level in ((seq_path, RobertaForSequenceClassification, False),
                                   (tok_path, RobertaForTokenClassification, True)):
        model = cls.from_pretrained(path)
        _wire(model, sink_ids, token_level)
        model.save_pretrained(path)
    return seq_path, tok_path
