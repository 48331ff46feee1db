"""Make text from models and scanned files inert before it is shown or written.

Everything a scanned file or a model controls (messages, snippets, paths, skip reasons,
model names, errors) passes through here on its way to a terminal, the TUI or an export:

* :func:`strip_control` drops ANSI escape sequences and C0/C1 control characters;
* :func:`safe_text` also makes invisible, reordering characters visible (bidi overrides
  as in "Trojan Source", zero-width spaces, lone surrogates) as ``\\u202e``-style text,
  so a reviewer sees what the file really holds and every result encodes as UTF-8;
* :func:`escape_markdown_cell` and :func:`escape_rich` then neutralise the markup of
  the place the text lands in.

Dependency-free apart from ``rich.markup.escape`` (imported when first needed).
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidi embeddings/overrides/isolates and marks, zero-width spaces and joiners that hide
# text, the BOM, Unicode line/paragraph separators, and lone surrogates (not encodable).
_INVISIBLE = re.compile(
    "[\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff\ud800-\udfff]"
)
_MD_SPECIAL = {
    "\\": "\\\\",
    "|": "\\|",
    "`": "\\`",
    "*": "\\*",
    "_": "\\_",
    "[": "\\[",
    "]": "\\]",
    "#": "\\#",
    "~": "\\~",
    "$": "\\$",
    "<": "&lt;",
    ">": "&gt;",
    "&": "&amp;",
}
_MD_TABLE = str.maketrans(_MD_SPECIAL)
_WHITESPACE_RUN = re.compile(r"[\s\u2028\u2029]+")
#: backslashes before a "[" that does not open a tag (the tag pattern is rich.markup's)
_BACKSLASH_BRACKET = re.compile(r"(\\+\[)(?![a-z#/@][^[]*?\])")
# a leading "-", "+", "=" or "1." / "1)" would start a list, a setext underline or an ordered list
_MD_BLOCK_START = re.compile(r"^([-+=]|\d{1,9}[.)])")


def strip_control(text: str) -> str:
    """Remove ANSI escape sequences and control characters (keeps newline and tab)."""
    return _CONTROL.sub("", _ANSI.sub("", text))


def reveal_invisible(text: str) -> str:
    """Bidi controls, zero-width spaces, line separators and lone surrogates as visible ``\\uXXXX``."""
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def safe_text(text: object) -> str:
    """Plain text that cannot restyle a terminal or hide or reorder characters.

    Newlines and tabs are kept (snippets keep their shape); see :func:`one_line` for cells.
    """
    return reveal_invisible(strip_control(str(text)))


def one_line(text: object) -> str:
    """:func:`safe_text` with every run of whitespace (line breaks included) as one space, trimmed."""
    return reveal_invisible(_WHITESPACE_RUN.sub(" ", strip_control(str(text))).strip())


def escape_markdown_cell(text: object) -> str:
    """Text for one Markdown table cell, heading or list item: one line, no active syntax.

    Pipes, emphasis, code spans, links, headings, math and HTML characters are escaped
    (``<`` → ``&lt;``); a leading list or underline marker is escaped too.
    """
    escaped = one_line(text).translate(_MD_TABLE)
    return _MD_BLOCK_START.sub(lambda m: m.group()[:-1] + "\\" + m.group()[-1], escaped)


def escape_rich(text: object) -> str:
    """Text to embed in a Rich markup string: markup brackets escaped, controls removed.

    Prefer ``rich.text.Text(safe_text(s))`` where a Text can be used; this is for the
    places that take markup strings. As with ``rich.markup.escape``, a trailing backslash
    is doubled so that it cannot escape the tag that follows (``f"[b]{escape_rich(s)}[/b]"``).
    Rich also swaps ``:smile:`` codes for emoji unless the console or call has ``emoji=False``.
    """
    from rich.markup import escape

    # Rich turns "\\[" into "[" wherever it stands, also before a bracket that is not a tag
    # (which rich.markup.escape leaves alone): one more backslash keeps the text's own
    return _BACKSLASH_BRACKET.sub(r"\\\1", escape(safe_text(text)))
