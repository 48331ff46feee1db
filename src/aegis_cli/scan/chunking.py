"""Token-aware chunking: pieces of a file that fit a model's real context.

A file is tokenized once (a fast tokenizer's offsets map every token to its line).
Lines are packed greedily into chunks of at most ``budget`` tokens, breaking on line
boundaries, with a few lines of overlap between neighbours so a flaw on a boundary is
seen whole at least once. Each chunk carries its exact 1-based line span and the token
ids it is fed, so the tokens counted are the tokens the model sees. A single line
longer than the budget is split into budget-sized pieces and flagged — nothing is
truncated silently.

No torch here: token ids are plain lists.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

LONG_LINE_FLAG = "long-line-split"


@dataclass
class TokenizedFile:
    ids: list[int]
    token_line: list[int]  # 0-based line index of each token
    line_starts: list[int]  # char offset where each line starts
    n_lines: int


@dataclass
class Piece:
    start_line: int  # 1-based inclusive
    end_line: int
    token_start: int  # slice of TokenizedFile.ids
    token_end: int
    flags: tuple[str, ...] = ()


def line_starts(text: str) -> list[int]:
    starts = [0]
    find = text.find
    i = find("\n")
    while i != -1:
        starts.append(i + 1)
        i = find("\n", i + 1)
    if len(starts) > 1 and starts[-1] == len(text):  # trailing newline does not open a line
        starts.pop()
    return starts


def tokenize_file(text: str, encode: Callable[[str], tuple[list[int], Sequence[tuple[int, int]]]]) -> TokenizedFile:
    """``encode(text) -> (ids, offsets)`` without special tokens (a fast tokenizer's
    offsets). Each token belongs to the line where its first non-newline character is."""
    starts = line_starts(text)
    ids, offsets = encode(text)
    token_line = []
    n = len(starts)
    for a, b in offsets:
        # a token that begins with the newline ending a line ("\n    def") belongs to the next line
        pos = a
        while pos < b and text[pos] in "\r\n":
            pos += 1
        if pos >= b:
            pos = a
        token_line.append(min(bisect_right(starts, pos) - 1, n - 1))
    return TokenizedFile(ids=list(ids), token_line=token_line, line_starts=starts, n_lines=n)


def plan_chunks(tf: TokenizedFile, budget: int, overlap_lines: int = 2) -> list[Piece]:
    """Greedy line packing with overlap. ``budget`` excludes special tokens."""
    if budget < 1:
        raise ValueError("budget must be positive")
    n_tok = len(tf.ids)
    if n_tok == 0:
        return []
    # token range per line: [first, end)
    first = [-1] * tf.n_lines
    end = [-1] * tf.n_lines
    for t, line in enumerate(tf.token_line):
        if first[line] < 0:
            first[line] = t
        end[line] = t + 1
    lines_with_tokens = [i for i in range(tf.n_lines) if first[i] >= 0]
    pieces: list[Piece] = []
    k = 0  # index into lines_with_tokens
    m = len(lines_with_tokens)
    while k < m:
        line = lines_with_tokens[k]
        size = end[line] - first[line]
        if size > budget:  # one line longer than the context: split it, say so
            for a in range(first[line], end[line], budget):
                pieces.append(Piece(line + 1, line + 1, a, min(a + budget, end[line]), (LONG_LINE_FLAG,)))
            k += 1
            continue
        j = k
        while j + 1 < m and end[lines_with_tokens[j + 1]] - first[line] <= budget:
            j += 1
        last = lines_with_tokens[j]
        pieces.append(Piece(line + 1, last + 1, first[line], end[last]))
        if j + 1 >= m:
            break
        # next chunk starts a few lines back (overlap), but always moves forward
        nxt = max(k + 1, j + 1 - overlap_lines)
        # keep the overlap small relative to the budget
        while nxt <= j and end[lines_with_tokens[j]] - first[lines_with_tokens[nxt]] > budget // 4:
            nxt += 1
        k = nxt
    return pieces


def piece_text(text: str, tf: TokenizedFile, piece: Piece) -> str:
    start = tf.line_starts[piece.start_line - 1]
    stop = tf.line_starts[piece.end_line] if piece.end_line < len(tf.line_starts) else len(text)
    return text[start:stop]


def line_token_spans(tf: TokenizedFile, piece: Piece) -> list[tuple[int, int, int]]:
    """(line 1-based, start, end) token index ranges relative to the piece's first token."""
    spans: list[tuple[int, int, int]] = []
    for t in range(piece.token_start, piece.token_end):
        line = tf.token_line[t] + 1
        rel = t - piece.token_start
        if spans and spans[-1][0] == line:
            spans[-1] = (line, spans[-1][1], rel + 1)
        else:
            spans.append((line, rel, rel + 1))
    return spans
