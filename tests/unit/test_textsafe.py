"""textsafe: the one place that makes file and model text inert for terminals, Rich and Markdown."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.text import Text

from aegis_cli.textsafe import escape_markdown_cell, escape_rich, one_line, safe_text, strip_control


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\x1b[31mred\x1b[0m", "ared"),  # CSI
        ("\x1b]8;;http://evil\x07link\x1b]8;;\x07", "link"),  # OSC 8 hyperlink, BEL-terminated
        ("\x1b]0;title\x1b\\x", "x"),  # OSC terminated by ST
        ("a\x00b\x07c\x08d\x7fe\x9b31mf", "abcde31mf"),  # C0, DEL, C1 (the 8-bit CSI is dropped)
        ("keep\ttabs\nand newlines\r\n", "keep\ttabs\nand newlines\n"),
    ],
)
def test_strip_control(raw, clean):
    assert strip_control(raw) == clean


def test_safe_text_reveals_what_would_hide_or_reorder_text():
    assert safe_text("if x\u202e } \u2066") == "if x\\u202e } \\u2066"
    assert safe_text("a\u200bb\ufeff") == "a\\u200bb\\ufeff"
    assert safe_text("lone \udcff") == "lone \\udcff"
    safe_text("lone \udcff").encode("utf-8")
    assert safe_text("ünïcode 漢字 😀") == "ünïcode 漢字 😀"


def test_one_line_collapses_every_line_break():
    assert one_line("  a\nb\r\n\tc\u2028d  ") == "a b c d"  # U+2028 is a line break too
    assert one_line("x\n\n\ny") == "x y"


@pytest.mark.parametrize(
    ("raw", "cell"),
    [
        ("[bold red]x[/]", "\\[bold red\\]x\\[/\\]"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("| pipes |", "\\| pipes \\|"),
        ("`code` *em* _u_ ~~s~~ $m$ # h", "\\`code\\` \\*em\\* \\_u\\_ \\~\\~s\\~\\~ \\$m\\$ \\# h"),
        ("a & b", "a &amp; b"),
        ("back\\slash\\|", "back\\\\slash\\\\\\|"),
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("12. item", "12\\. item"),
        ("3) item", "3\\) item"),
        ("=====", "\\====="),
        ("    indented code", "indented code"),
        ("line1\nline2\r\nline3", "line1 line2 line3"),
        ("a\x1b[31mb", "ab"),
    ],
)
def test_escape_markdown_cell(raw, cell):
    assert escape_markdown_cell(raw) == cell


@pytest.mark.parametrize("raw", ["[bold red]x[/]", "[link=http://evil]click[/link]", "trailing\\", "\\[x]",
                                 "a\x1b[31mb", "[/]", ":smile: [u]"])
def test_escape_rich_prints_literally(raw):
    # inside a tag, as callers embed it (a trailing backslash must not escape the closing tag)
    assert Text.from_markup(f"[b]{escape_rich(raw)}[/b]", emoji=False).plain == safe_text(raw)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from("[]\\/=:@#bold red link")), max_size=30))
@example(raw="\\[")  # a backslash before a bracket that opens no tag: Rich dropped the backslash
@example(raw="a\\\\[b")
def test_escape_rich_round_trips_any_text(raw):
    text = Text.from_markup(f"[red]{escape_rich(raw)}[/red]", emoji=False)
    assert text.plain == safe_text(raw)
    assert [(s.start, s.end, str(s.style)) for s in text.spans] in ([], [(0, len(text.plain), "red")])
