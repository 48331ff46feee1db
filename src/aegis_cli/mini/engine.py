"""Template engine of the aegis-mini data generator: slots, sink markers, units and files.

Templates are code fragments with two kinds of markup:

* ``«name»`` slots, filled with fresh identifiers and literals (see :data:`GENERATED`), with
  flow variables (``«v»`` the tainted value, ``«bail»`` the early exit of the enclosing
  function) or with file-wide names (``«db»``, ``«log»`` …, see ``Kit.file_slots``). A slot
  whose value spans lines is indented like the line it sits on.
* ``⟦ … ⟧`` around the sink of a vulnerable variant. Markers survive assembly, quote and
  indentation restyling, and are only turned into ``(line, end_line)`` labels at the very
  end, from the final text, so a label can never drift from the code it points at.

A *unit* is one variant placed in a file with a flow: inline in a request handler or in a
helper the handler calls (cross-function), with the input passed through unchanged, through a
harmless transform, through the right sanitizer (a safe sample) or with the sanitizer applied
to the wrong variable (still vulnerable).
"""

from __future__ import annotations

import functools
import random
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from aegis_cli.mini.vocab import Namer, NameStyle

SINK_OPEN, SINK_CLOSE = "⟦", "⟧"
_OPEN, _MID, _CLOSE = "\x01", "\x02", "\x03"  # markers once a unit knows its CWE
_SLOT = re.compile(r"«([A-Za-z_][A-Za-z0-9_]*)»")
_MARK = re.compile(r"\x01(CWE-\d+)\x02|\x03")


class TemplateError(Exception):
    """A template refers to a slot nobody can fill, or its markers do not pair up."""


# ---------------------------------------------------------------------------------------------
# template records
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    """One way to write a sink (vulnerable) or its look-alike (safe) in one language.

    kind: "taint" (the flaw depends on the user value «v»; sanitizer flows apply), "plain"
    (a function-body flaw that is not about taint, e.g. a weak hash; «v» may be used as an
    ordinary input), "module" (a top-level block or class member, e.g. a hard-coded secret).
    frameworks: the variant uses the request/response objects of these frameworks, so it is
    only placed inline in their handlers. block: an extra top-level block (a helper the
    variant calls) sharing the variant's slots.
    """

    key: str
    lang: str
    cwe: str
    code: str
    safe: bool
    kind: str = "taint"
    held: bool = False
    imports: tuple[str, ...] = ()
    decls: tuple[str, ...] = ()
    frameworks: tuple[str, ...] = ()
    sanitizable: bool = True
    terminal: bool = False  # the code ends the handler (it returns the response itself)
    block: str = ""
    contexts: tuple[str, ...] = ()  # "tagged-only" frameworks (browser, …) that may also host it
    params: tuple[str, ...] = ()  # extra handler parameters it needs (an uploaded file …)


@dataclass(frozen=True)
class Sanitizer:
    """Neutralises «in» for a CWE: a transform writing «out», or a guard that bails out."""

    key: str
    code: str
    guard: bool = False
    held: bool = False
    imports: tuple[str, ...] = ()


@dataclass(frozen=True)
class Spec:
    lang: str
    cwe: str
    variants: tuple[Variant, ...]
    sanitizers: tuple[Sanitizer, ...] = ()
    weight: float = 1.0


@dataclass(frozen=True)
class Source:
    """Where a handler gets user input: an expression, statements declaring «v», or a parameter."""

    expr: str = ""
    stmt: str = ""
    param: str = ""
    route: str = ""  # appended to the route for path parameters


@dataclass(frozen=True)
class Framework:
    name: str
    sources: tuple[Source, ...]
    handler: str  # block with «fn» «route» «params» «body» (and «method»)
    responses: tuple[str, ...]
    bail: str  # early exit from a handler (bad input)
    alt_handlers: tuple[str, ...] = ()  # other spellings of the same handler (arrow vs named …)
    bail_err: str = ""  # early exit from a handler after a failed call (Go); defaults to bail
    held: bool = False
    imports: tuple[str, ...] = ()
    decls: tuple[str, ...] = ()
    base_params: tuple[str, ...] = ()
    footer: str = ""  # top-level code after the blocks; the kit fills «routes» and «first»
    route_line: str = ""  # one registration line per handler for the footer («fn», «route», «method»)
    wrapper: str = ""  # class wrapper of member-based files («Cls», «members», «dispatch»)
    dispatch_line: str = ""  # one call per handler inside the wrapper's dispatcher
    tagged_only: bool = False  # hosts only variants that name it in frameworks or contexts


@dataclass(frozen=True)
class Filler:
    """Ordinary code around the samples: a top-level block ("module") or statements ("stmt")."""

    key: str
    code: str
    scope: str = "module"
    held: bool = False
    imports: tuple[str, ...] = ()
    decls: tuple[str, ...] = ()
    skip_frameworks: tuple[str, ...] = ()  # frameworks whose files cannot hold it (a class inside a class)


def _code(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def V(code: str, **options) -> tuple[bool, str, dict]:
    """A vulnerable variant (authoring shorthand for :func:`make_spec`)."""
    return (False, _code(code), options)


def S(code: str, **options) -> tuple[bool, str, dict]:
    """A safe look-alike (authoring shorthand for :func:`make_spec`)."""
    return (True, _code(code), options)


def San(code: str, *, guard: bool = False, held: bool = False, imports: tuple[str, ...] = ()) -> dict:
    return {"code": _code(code), "guard": guard, "held": held, "imports": imports}


def make_spec(lang: str, cwe: str, items: list[tuple[bool, str, dict]], sanitizers: list[dict] = (),
              weight: float = 1.0) -> Spec:
    """Build a Spec; variant keys are ``lang/CWE/v3`` (vulnerable) or ``lang/CWE/s1`` (safe)."""
    variants = []
    counts = {True: 0, False: 0}
    for safe, code, options in items:
        counts[safe] += 1
        key = f"{lang}/{cwe}/{'s' if safe else 'v'}{counts[safe]}"
        if "block" in options:
            options = {**options, "block": _code(options["block"])}
        variants.append(Variant(key=key, lang=lang, cwe=cwe, code=code, safe=safe, **options))
    sans = tuple(Sanitizer(key=f"{lang}/{cwe}/san{i + 1}", **s) for i, s in enumerate(sanitizers))
    return Spec(lang=lang, cwe=cwe, variants=tuple(variants), sanitizers=sans, weight=weight)


def fillers(lang: str, scope: str, items: list) -> tuple[Filler, ...]:
    """Filler records from ``code`` strings or ``(code, options)`` pairs."""
    out = []
    for i, item in enumerate(items):
        code, options = (item, {}) if isinstance(item, str) else item
        out.append(Filler(key=f"{lang}/{scope}/{i + 1}", code=_code(code), scope=scope, **options))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# slots
# ---------------------------------------------------------------------------------------------
# slot name prefix -> Namer method that makes a fresh value for it
GENERATED: dict[str, str] = {
    "id": "var", "fn": "func", "Cls": "cls", "CONST": "const", "key": "key", "tbl": "table",
    "col": "column", "word": "word", "msg": "message", "doc": "sentence", "file": "filename",
    "dir": "directory", "host": "host", "url": "url", "route": "route", "num": "number",
    "secret": "secret_literal", "pw": "password_literal", "sec": "secret_var", "SEC": "secret_const",
    "hdr": "header", "email": "email", "cmd": "command", "prog": "program", "ext": "extension", "tmp": "var",
    "Col": "field", "Fn": "exported_func",
}
# conventional short locals of C-family code (buf, p, n, fd …): drawn from small fixed pools
for _local in ("buf", "p", "n", "i", "e", "fp", "fd", "cmdbuf", "sql", "stmt", "path", "path2", "tmpl", "ctx", "digest",
               "arr", "idx"):
    GENERATED[_local] = "local"
_GEN = re.compile(r"^(" + "|".join(sorted(GENERATED, key=len, reverse=True)) + r")(\d*)$")


@functools.cache
def _generated_kind(name: str) -> tuple[str, str]:
    m = _GEN.match(name)
    if not m:
        raise TemplateError(f"no value for slot «{name}»")
    return m.group(1), GENERATED[m.group(1)]


class Bag:
    """Slot values for one scope; generated names are memoised so «id1» is one name throughout."""

    def __init__(self, namer: Namer, values: dict[str, str] | None = None, parent: Bag | None = None,
                 file_slots: dict[str, Callable[[Bag], str]] | None = None):
        self.namer = namer
        self.values: dict[str, str] = dict(values or {})
        self.parent = parent
        self.file_slots = file_slots if file_slots is not None else (parent.file_slots if parent else {})

    def child(self, **values: str) -> Bag:
        return Bag(self.namer, values, parent=self)

    def root(self) -> Bag:
        return self.parent.root() if self.parent else self

    def _find(self, name: str) -> str | None:
        bag: Bag | None = self
        while bag is not None:
            if name in bag.values:
                return bag.values[name]
            bag = bag.parent
        return None

    def __getitem__(self, name: str) -> str:
        found = self._find(name)
        if found is not None:
            return found
        if name in self.file_slots:
            value = self.file_slots[name](self.root())
            self.root().values[name] = value
            return value
        prefix, kind = _generated_kind(name)
        value = self.namer.local(prefix) if kind == "local" else getattr(self.namer, kind)()
        self.values[name] = value
        return value

    def __setitem__(self, name: str, value: str) -> None:
        self.values[name] = value


@functools.lru_cache(maxsize=16384)
def _pieces(code: str) -> tuple[tuple[str, str | None, str], ...]:
    """A template split into (literal, slot name, indentation of the slot's line) pieces, cached."""
    out = []
    pos = 0
    for m in _SLOT.finditer(code):
        start = code.rfind("\n", 0, m.start()) + 1
        line = code[start:m.start()]
        out.append((code[pos:m.start()], m.group(1), line[: len(line) - len(line.lstrip(" \t"))]))
        pos = m.end()
    out.append((code[pos:], None, ""))
    return tuple(out)


def fill(code: str, bag: Bag) -> str:
    """Fill every «slot»; values may hold slots themselves and multi-line values keep indentation."""
    for _ in range(6):
        if "«" not in code:
            return code
        parts = []
        for literal, slot, indent in _pieces(code):
            parts.append(literal)
            if slot is not None:
                value = bag[slot]
                parts.append(value.replace("\n", "\n" + indent) if "\n" in value else value)
        code = "".join(parts)
    raise TemplateError(f"slots nest too deeply in {code[:80]!r}")


def bind_markers(code: str, cwe: str, vulnerable: bool) -> str:
    """Turn ⟦ ⟧ into CWE-carrying markers for a vulnerable unit, or drop them for a safe one."""
    if code.count(SINK_OPEN) != code.count(SINK_CLOSE):
        raise TemplateError(f"unpaired sink markers in {code[:80]!r}")
    if not vulnerable:
        return code.replace(SINK_OPEN, "").replace(SINK_CLOSE, "")
    return code.replace(SINK_OPEN, f"{_OPEN}{cwe}{_MID}").replace(SINK_CLOSE, _CLOSE)


def extract_findings(text: str) -> tuple[str, list[dict], list[str], list[list[int]]]:
    """Strip the markers from ``text``; return the clean text, the findings, their sink texts and
    the sinks' [start, end) character offsets in the clean text."""
    out: list[str] = []
    findings: list[dict] = []
    sinks: list[str] = []
    spans: list[list[int]] = []
    line = 1
    pos = 0
    open_cwe: str | None = None
    open_line = 0
    open_at = 0
    for m in _MARK.finditer(text):
        chunk = text[pos:m.start()]
        out.append(chunk)
        line += chunk.count("\n")
        pos = m.end()
        if m.group(1):
            if open_cwe is not None:
                raise TemplateError("nested sink markers")
            open_cwe, open_line, open_at = m.group(1), line, sum(len(c) for c in out)
        else:
            if open_cwe is None:
                raise TemplateError("sink close marker without an open marker")
            clean_so_far = "".join(out)
            findings.append({"cwe": open_cwe, "line": open_line, "end_line": line})
            sinks.append(clean_so_far[open_at:])
            spans.append([open_at, len(clean_so_far)])
            open_cwe = None
    out.append(text[pos:])
    if open_cwe is not None:
        raise TemplateError("sink marker left open")
    return "".join(out), findings, sinks, spans


# ---------------------------------------------------------------------------------------------
# text restyling that never touches markers
# ---------------------------------------------------------------------------------------------
def reindent(text: str, unit: str) -> str:
    """Templates indent by 4 spaces; rewrite each leading group of 4 as ``unit``."""
    if unit == "    ":
        return text
    out = []
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        n = len(line) - len(stripped)
        out.append(unit * (n // 4) + " " * (n % 4) + stripped)
    return "\n".join(out)


_HASH_LEX = re.compile(
    r"(#[^\n]*"  # comment
    r'|"""[\s\S]*?"""'  # docstrings
    r"|'''[\s\S]*?'''"
    r"|'(?:[^'\\\n]|\\.)*')"  # single-quoted literal
    r'|"((?:[^"\\\n]|\\.)*)"'  # double-quoted literal: group 2
)
_SLASH_LEX = re.compile(
    r"(//[^\n]*|/\*[\s\S]*?\*/"  # comments
    r"|`(?:[^`\\]|\\.)*`"  # template literal
    r"|'(?:[^'\\\n]|\\.)*')"
    r'|"((?:[^"\\\n]|\\.)*)"'
)


def single_quotes(text: str, *, hash_comments: bool, keep_if: str = "") -> str:
    """Rewrite simple double-quoted literals as single-quoted ones (quote style variety).

    A lexer regex skips comments, other literals and docstrings, so only whole "…" literals
    without quotes, backslashes or any of ``keep_if`` (``$`` for PHP interpolation) change.
    """
    bad = "'\\\"" + keep_if

    def swap(m: re.Match) -> str:
        body = m.group(2)
        if body is None or any(ch in body for ch in bad):
            return m.group(0)
        return "'" + body + "'"

    return (_HASH_LEX if hash_comments else _SLASH_LEX).sub(swap, text)


# ---------------------------------------------------------------------------------------------
# language kits
# ---------------------------------------------------------------------------------------------
@dataclass
class FileParts:
    """What the units and fillers of one file contributed, before the kit lays the file out."""

    imports: list[str] = field(default_factory=list)
    decls: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    handlers: list[tuple[str, str, str]] = field(default_factory=list)  # (fn, route, method)

    def add_import(self, line: str) -> None:
        if line and line not in self.imports:
            self.imports.append(line)

    def add_decl(self, line: str) -> None:
        if line and line not in self.decls:
            self.decls.append(line)


class Kit:
    """Everything language-specific the engine needs; each language module subclasses it."""

    name = ""
    ext = ""
    style = NameStyle()
    indents: tuple[tuple[str, float], ...] = (("    ", 1.0),)
    quote_restyle = False  # may rewrite "…" literals as '…'
    hash_comments = False
    keep_quotes_if = ""
    frameworks: tuple[Framework, ...] = ()
    specs: tuple[Spec, ...] = ()
    fillers: tuple[Filler, ...] = ()
    transforms: tuple[str, ...] = ()  # harmless rewrites of «in» into «out»
    neutral_uses: tuple[str, ...] = ()  # statements that touch «var» without exposing it
    helper_bail = ""
    helper_bail_err = ""
    auto_imports: tuple[tuple[str, str], ...] = ()  # (trigger text, import line), see uses()
    file_slots: ClassVar[dict[str, tuple[str, ...]]] = {}  # file-wide names: slot -> spellings to choose from
    slot_decls: ClassVar[dict[str, str]] = {}  # file slot -> the declaration it needs once used

    # -- statements ------------------------------------------------------------------------
    def assign(self, var: str, expr: str) -> str:
        raise NotImplementedError

    def call(self, fn: str, args: list[str], bag: Bag) -> str:
        raise NotImplementedError

    def helper(self, fn: str, params: list[str], body: str, bag: Bag) -> str:
        raise NotImplementedError

    def order_params(self, params: list[str]) -> list[str]:
        return params

    def finish_block(self, text: str) -> str:
        """Last touch on a filled handler or helper (JavaScript makes awaiting functions async)."""
        return text

    # -- files -----------------------------------------------------------------------------
    def path(self, rng: random.Random, namer: Namer, framework: Framework, bag: Bag) -> str:
        """The file's relative path (after render: Java and C# name the file after its class)."""
        return f"src/{namer.func()}{self.ext}"

    def render(self, parts: FileParts, framework: Framework, bag: Bag, rng: random.Random) -> str:
        raise NotImplementedError

    def resolve_imports(self, parts: FileParts, body: str) -> None:
        """Add the import lines whose trigger (``os.``, ``Path(`` …) occurs in ``body`` as a word."""
        for trigger, line in self.auto_imports:
            if uses(body, trigger):
                parts.add_import(line)

    def restyle(self, text: str, rng: random.Random) -> str:
        units = [u for u, _ in self.indents]
        weights = [w for _, w in self.indents]
        text = reindent(text, rng.choices(units, weights)[0])
        if self.quote_restyle and rng.random() < 0.4:
            text = single_quotes(text, hash_comments=self.hash_comments, keep_if=self.keep_quotes_if)
        return text

    def file_slot_makers(self, rng: random.Random) -> dict[str, Callable[[Bag], str]]:
        """Makers of file-wide names: each gets the file's root bag and returns the spelling."""
        return {name: (lambda bag, options=options: rng.choice(options)) for name, options in self.file_slots.items()}


def uses(body: str, trigger: str) -> bool:
    """True when ``trigger`` occurs in ``body`` not glued to a preceding name (``os.`` but not ``pos.``)."""
    start = 0
    while True:
        i = body.find(trigger, start)
        if i < 0:
            return False
        if i == 0 or not (body[i - 1].isalnum() or body[i - 1] in "_.$@"):
            return True
        start = i + 1


def join_blocks(blocks: list[str], blank: int) -> str:
    sep = "\n" * (blank + 1)
    return sep.join(b.strip("\n") for b in blocks if b.strip())
