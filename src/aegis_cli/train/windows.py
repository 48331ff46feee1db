"""Token-classification windows cut exactly as the scanner cuts files.

A training text with labelled character spans (``[[start, end, label], ...]``) is tokenized
once, cut into pieces of at most ``budget`` tokens on line boundaries with
:func:`aegis_cli.scan.chunking.plan_chunks` (the same function, budget and overlap the
token-classifier provider uses at scan time), and wrapped in the tokenizer's special
tokens. A token gets a span's label when its characters overlap the span; every other
token is ``O``; special tokens get -100 (ignored by the loss). Train and inference therefore
see the same window shapes, the same line cuts and the same special tokens.

No torch here: ids and labels are plain lists.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import Any

from aegis_cli.scan.chunking import plan_chunks, tokenize_file

IGNORE = -100
Encoder = Callable[[str], tuple[list[int], Sequence[tuple[int, int]]]]


def token_labels(offsets: Sequence[tuple[int, int]], spans: Sequence[Sequence[Any]], label_ids: dict[str, int],
                 outside: int = 0) -> list[int]:
    """One label id per token: the first span (in the given order) the token's characters overlap, else ``outside``.

    ``offsets`` are in text order (a tokenizer's); spans are few, so each one walks only the
    tokens it can touch, found by bisection.
    """
    labels = [outside] * len(offsets)
    if not spans:
        return labels
    starts = [a for a, _ in offsets]
    for span in spans:
        s, e, name = int(span[0]), int(span[1]), str(span[2])
        if e <= s:
            continue
        label = label_ids[name]
        # tokens that start before e and end after s; walk back one token for a token straddling s
        t = max(0, bisect_left(starts, s) - 1)
        while t < len(offsets) and offsets[t][0] < e:
            a, b = offsets[t]
            if b > s and a < e and labels[t] == outside:
                labels[t] = label
            t += 1
    return labels


def span_windows(text: str, spans: Sequence[Sequence[Any]], encode: Encoder, *, budget: int,
                 label_ids: dict[str, int], prefix: Sequence[int] = (), suffix: Sequence[int] = (),
                 overlap_lines: int = 2) -> list[dict[str, Any]]:
    """The scanner's windows of ``text`` as training items ``{"input_ids", "attention_mask", "labels"}``.

    ``encode(text) -> (ids, offsets)`` without special tokens (a fast tokenizer's offsets);
    ``budget`` is the window size without the ``prefix``/``suffix`` special tokens. Each item
    also says ``"labelled"``: whether any token in it has a label other than ``O``.
    """
    if not text:
        return []
    ids, offsets = encode(text)
    tf = tokenize_file(text, lambda _t: (ids, offsets))
    per_token = token_labels(offsets, spans, label_ids)
    items: list[dict[str, Any]] = []
    pre, post = list(prefix), list(suffix)
    for piece in plan_chunks(tf, budget, overlap_lines=overlap_lines):
        chunk_ids = tf.ids[piece.token_start:piece.token_end]
        chunk_labels = per_token[piece.token_start:piece.token_end]
        full = pre + chunk_ids + post
        items.append({
            "input_ids": full,
            "attention_mask": [1] * len(full),
            "labels": [IGNORE] * len(pre) + chunk_labels + [IGNORE] * len(post),
            "labelled": any(label != 0 for label in chunk_labels),
        })
    return items


def tokenizer_encoder(tokenizer: Any) -> Encoder:
    """``encode`` for :func:`span_windows` from a fast tokenizer (the Rust backend, as the scanner uses)."""
    backend = tokenizer.backend_tokenizer

    def encode(text: str) -> tuple[list[int], Sequence[tuple[int, int]]]:
        enc = backend.encode(text, add_special_tokens=False)
        return enc.ids, enc.offsets

    return encode
