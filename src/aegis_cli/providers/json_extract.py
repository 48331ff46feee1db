"""Findings JSON out of whatever a generative model actually wrote.

Models asked for ``{"findings": [...]}`` answer with Markdown fences, prose around the
object, trailing commas, single quotes, Python's ``True``/``None``, ``// comments``, a
``<think>`` block first, the findings list JSON-encoded inside a string, confidence as
``85`` or ``"85%"``, line ranges as ``"12-15"``, the object repeated twice, or an answer
cut off at ``max_new_tokens``. :func:`extract_findings` reads all of these.

How it works: a small lenient JSON parser (strings in either quote, bare keys, trailing
or missing commas, Python/JS literals, comments) is tried at every ``{`` / ``[`` in the
text, left to right; every value it reads is searched for a findings list (under
``findings`` / ``vulnerabilities`` / ``issues`` / ``results``, possibly nested under
``result`` / ``response`` / ``output`` / …, or a bare list of finding-like objects).
Output cut off mid-way keeps every finding that was complete. Each finding's fields
are coerced to plain types (:class:`RawFinding`).

Contract: for any ``str`` input, :func:`extract_findings` returns an
:class:`Extraction` and raises nothing. ``ok`` is False exactly when no findings
structure was found; ``error`` then says why (one of :data:`ERRORS`' values).
Limits keep it linear: the first :data:`MAX_CHARS` characters are read, at most
:data:`MAX_STARTS` parse attempts are made, nesting deeper than :data:`MAX_DEPTH` is
refused. No torch, no third-party imports.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

MAX_CHARS = 64_000
MAX_STARTS = 48
MAX_DEPTH = 24
MAX_TEXT = 2_000  # per text field of a finding
MAX_FINDINGS = 200

#: Every reason :func:`extract_findings` can give for ``ok=False``.
ERRORS = {
    "empty": "the output is empty",
    "no-json": "no JSON object in the output",
    "no-findings": "JSON found, but no findings list in it",
}

_FINDINGS_KEYS = ("findings", "vulnerabilities", "vulns", "issues", "results", "problems", "weaknesses")
_WRAPPER_KEYS = ("result", "response", "output", "data", "analysis", "answer", "report", "json", "content",
                 "security_review", "review", "scan")
_LINE_START_KEYS = ("line_start", "start_line", "line", "line_number", "lineno", "line_no", "start", "from_line",
                    "begin_line")
_LINE_END_KEYS = ("line_end", "end_line", "end", "to_line", "last_line", "end_line_number")
_LINE_RANGE_KEYS = ("lines", "line_range", "line_numbers", "range", "location", "span")
_CWE_KEYS = ("cwe", "cwe_id", "cwe_ids", "cwes", "weakness", "cwe_number")
_SEVERITY_KEYS = ("severity", "level", "risk", "risk_level", "priority", "impact")
_CONFIDENCE_KEYS = ("confidence", "confidence_score", "probability", "certainty", "likelihood")
_TITLE_KEYS = ("title", "name", "vulnerability", "vulnerability_type", "type", "issue", "category", "summary")
_DESCRIPTION_KEYS = ("description", "message", "details", "detail", "explanation", "reason", "desc", "rationale")
_RECOMMENDATION_KEYS = ("recommendation", "recommendations", "fix", "remediation", "mitigation", "suggestion",
                        "solution", "suggested_fix")
_FINDING_HINT_KEYS = frozenset(_LINE_START_KEYS + _LINE_END_KEYS + _LINE_RANGE_KEYS + _CWE_KEYS)

_THINK = re.compile(r"^\s*<think>.*?</think>", re.S | re.I)  # reasoning models open with one
_INT = re.compile(r"\d{1,9}")
_CWE_IN_TEXT = re.compile(r"CWE[\s_\-:#]*0*(\d{1,5})", re.I)
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z_$][\w$\-]*")
_START = re.compile(r"[\[{]")
_PATH_PREFIX = re.compile(r"^[^\s:]*[A-Za-z_][^\s:]*:(?=\s*L?\d)")
_SEVERITY_WORD = re.compile(r"\b(critical|crit|high|medium|moderate|low|info|informational|warning|error|note)\b", re.I)
_WORDS_CONFIDENCE = {"very high": 0.95, "high": 0.9, "medium": 0.6, "moderate": 0.6, "low": 0.3, "very low": 0.1}
_LITERALS = {"true": True, "True": True, "false": False, "False": False, "null": None, "None": None,
             "undefined": None, "none": None}


@dataclass(frozen=True)
class RawFinding:
    """One finding as the model stated it, coerced to plain types (None: not given)."""

    line_start: int | None = None
    line_end: int | None = None
    cwe: str | None = None  # "CWE-89"
    severity: str | None = None  # as written, lower-case ("high", "crit", …) or from a CVSS score
    confidence: float | None = None  # 0..1
    title: str | None = None
    description: str | None = None
    recommendation: str | None = None


@dataclass(frozen=True)
class Extraction:
    ok: bool
    findings: tuple[RawFinding, ...] = ()
    error: str | None = None  # why not ok: a value of ERRORS
    repairs: tuple[str, ...] = ()  # what was tolerated: "fenced", "prose", "lenient", "truncated", …


# ----------------------------------------------------------------- the parser
class _ParseError(Exception):
    pass


class _Lenient:
    """JSON with the liberties models take. ``parse(i)`` → (value, end, truncated)."""

    def __init__(self, text: str):
        self.s = text
        self.n = len(text)
        self.lenient = False  # set when something non-JSON was accepted

    def _ws(self, i: int) -> int:
        s, n = self.s, self.n
        while i < n:
            c = s[i]
            if c in " \t\r\n\ufeff\xa0":
                i += 1
            elif c == "/" and i + 1 < n and s[i + 1] == "/":
                self.lenient = True
                j = s.find("\n", i)
                i = n if j < 0 else j + 1
            elif c == "/" and i + 1 < n and s[i + 1] == "*":
                self.lenient = True
                j = s.find("*/", i + 2)
                i = n if j < 0 else j + 2
            else:
                break
        return i

    def parse(self, i: int, depth: int = 0) -> tuple[Any, int, bool]:
        if depth > MAX_DEPTH:
            raise _ParseError("too deep")
        i = self._ws(i)
        if i >= self.n:
            return None, i, True
        c = self.s[i]
        if c == "{":
            return self._object(i + 1, depth)
        if c == "[":
            return self._array(i + 1, depth)
        if c in "\"'`":
            return self._string(i)
        m = _NUMBER.match(self.s, i)
        if m:
            end = m.end()
            if end >= self.n:  # a number at the very end may have been cut short
                return None, end, True
            text = m.group()
            if end < self.n and self.s[end] == "%":
                end += 1
                self.lenient = True
            try:
                value: Any = int(text) if re.fullmatch(r"-?\d+", text) and len(text) < 19 else float(text)
            except (ValueError, OverflowError):
                raise _ParseError("bad number") from None
            return value, end, False
        m = _WORD.match(self.s, i)
        if m and m.group() in _LITERALS:
            if m.group() not in ("true", "false", "null"):
                self.lenient = True
            return _LITERALS[m.group()], m.end(), False
        raise _ParseError(f"unexpected {c!r}")

    def _string(self, i: int) -> tuple[str, int, bool]:
        s, n = self.s, self.n
        quote = s[i]
        if quote != '"':
            self.lenient = True
        out: list[str] = []
        j = i + 1
        while j < n:
            k = j
            while k < n and s[k] != quote and s[k] != "\\":
                k += 1
            out.append(s[j:k])
            if k >= n:
                break
            if s[k] == quote:
                return _join_surrogates("".join(out)), k + 1, False
            # a backslash escape
            if k + 1 >= n:
                break
            e = s[k + 1]
            simple = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "\\": "\\", '"': '"', "'": "'"}
            if e in simple:
                out.append(simple[e])
                j = k + 2
            elif e == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", s[k + 2:k + 6] or ""):
                out.append(chr(int(s[k + 2:k + 6], 16)))
                j = k + 6
            else:  # an unknown escape: keep it as written
                out.append(e)
                j = k + 2
        return _join_surrogates("".join(out)), n, True

    def _key(self, i: int) -> tuple[str, int, bool]:
        if i < self.n and self.s[i] in "\"'`":
            return self._string(i)
        m = _WORD.match(self.s, i) or _NUMBER.match(self.s, i)
        if not m:
            raise _ParseError("expected a key")
        self.lenient = True
        return m.group(), m.end(), m.end() >= self.n

    def _object(self, i: int, depth: int) -> tuple[dict, int, bool]:
        out: dict[str, Any] = {}
        while True:
            i = self._ws(i)
            if i >= self.n:
                return out, i, True
            c = self.s[i]
            if c == "}":
                return out, i + 1, False
            if c == ",":
                i += 1
                continue
            key, i, cut = self._key(i)
            if cut:
                return out, i, True
            i = self._ws(i)
            if i >= self.n:
                return out, i, True
            if self.s[i] not in ":=":
                raise _ParseError("expected ':'")
            value, i, cut = self.parse(i + 1, depth + 1)
            if cut:
                if isinstance(value, (dict, list)):  # a partial container keeps what was complete
                    out[key] = value
                return out, i, True
            out[key] = value
            i = self._ws(i)
            if i < self.n and self.s[i] not in ",}":
                if self.s[i] in "\"'":  # a missing comma between members
                    self.lenient = True
                    continue
                raise _ParseError("expected ',' or '}'")

    def _array(self, i: int, depth: int) -> tuple[list, int, bool]:
        out: list[Any] = []
        while True:
            i = self._ws(i)
            if i >= self.n:
                return out, i, True
            c = self.s[i]
            if c == "]":
                return out, i + 1, False
            if c == ",":
                i += 1
                continue
            value, i, cut = self.parse(i, depth + 1)
            if cut:  # an element cut off mid-way is dropped whole
                return out, i, True
            out.append(value)
            i = self._ws(i)
            if i < self.n and self.s[i] not in ",]":
                if self.s[i] in "{[\"'":
                    self.lenient = True
                    continue
                raise _ParseError("expected ',' or ']'")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _join_surrogates(text: str) -> str:
    """``\\ud83d\\ude00`` escapes become the one character they encode (lone halves stay)."""
    if _SURROGATE.search(text):
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return text


def _values(text: str) -> tuple[list[Any], set[str]]:
    """Every JSON-ish value in ``text``, left to right, with the liberties taken."""
    notes: set[str] = set()
    values: list[Any] = []
    strict_whole = text.strip()
    if strict_whole[:1] in ("{", "["):
        try:
            return [json.loads(strict_whole)], notes
        except (ValueError, RecursionError):
            pass
    parser = _Lenient(text)
    pos = 0
    tries = 0
    while tries < MAX_STARTS:
        m = _START.search(text, pos)
        if m is None:
            break
        tries += 1
        start = m.start()
        if text[:start].strip() and not values:
            notes.add("prose")
        try:
            value, end, cut = parser.parse(start)
        except (_ParseError, RecursionError):
            pos = start + 1
            continue
        if cut:
            notes.add("truncated")
        values.append(value)
        pos = max(end, start + 1)
    if parser.lenient:
        notes.add("lenient")
    return values, notes


# ------------------------------------------------------------- interpretation
def _norm_key(key: Any) -> str:
    return str(key).strip().lower().replace(" ", "_").replace("-", "_")


def _get(d: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for k in keys:
        if k in d and d[k] not in (None, "", []):
            return d[k]
    return None


def _looks_like_finding(d: dict[str, Any]) -> bool:
    keys = {_norm_key(k) for k in d}
    if keys & _FINDING_HINT_KEYS:
        return True
    return bool(keys & set(_TITLE_KEYS)) and bool(keys & set(_DESCRIPTION_KEYS))


def _findings_in(value: Any, depth: int, notes: set[str]) -> list[dict[str, Any]] | None:
    """The finding dicts ``value`` holds, or None when it holds no findings structure."""
    if depth > 6:
        return None
    if isinstance(value, str):
        inner = value.strip()
        if inner[:1] in ("{", "[") or "```" in inner:
            notes.add("findings-as-string")
            found = None
            for v in _values(_note_fences(inner, notes))[0]:
                items = _findings_in(v, depth + 1, notes)
                if items is not None:
                    found = (found or []) + items
            return found
        return None
    if isinstance(value, list):
        if not value:
            return []
        items: list[dict[str, Any]] = []
        for v in value:
            if isinstance(v, dict):
                d = {_norm_key(k): x for k, x in v.items()}
                if _looks_like_finding(d):
                    items.append(d)
                else:
                    inner = _findings_in(d, depth + 1, notes)
                    if inner:
                        items.extend(inner)
            elif isinstance(v, str) and v.strip()[:1] == "{":
                inner = _findings_in(v, depth + 1, notes)
                if inner:
                    items.extend(inner)
        return items if items else None
    if not isinstance(value, dict):
        return None
    d = {_norm_key(k): v for k, v in value.items()}
    for key in _FINDINGS_KEYS:
        if key not in d:
            continue
        v = d[key]
        if v is None or v is False:
            return []
        if isinstance(v, dict):
            nd = {_norm_key(k): x for k, x in v.items()}
            if _looks_like_finding(nd):
                return [nd]
        items = _findings_in(v, depth + 1, notes)
        if items is not None:
            return items
        if isinstance(v, (list, str)):  # "none found", or a list of things that are not findings
            notes.add("findings-as-prose")
            return []
    for key in _WRAPPER_KEYS:
        if key in d:
            items = _findings_in(d[key], depth + 1, notes)
            if items is not None:
                notes.add("nested")
                return items
    if _looks_like_finding(d):
        return [d]
    return None


def _note_fences(text: str, notes: set[str]) -> str:
    """Fences need no stripping (values are found at their braces); they are only noted."""
    if "```" in text:
        notes.add("fenced")
    return text


# ----------------------------------------------------------------- coercion
def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, list):
        parts = [t for t in (_text(v) for v in value) if t]
        value = "; ".join(parts)
    elif isinstance(value, dict):
        parts = [t for t in (_text(v) for v in value.values()) if t]
        value = "; ".join(parts)
    text = str(value).strip()
    return text[:MAX_TEXT] if text else None


def _ints(value: Any) -> list[int]:
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int):
        return [value] if 0 < value < 10**9 else []
    if isinstance(value, float):
        return [int(value)] if math.isfinite(value) and 0 < value < 10**9 else []
    if isinstance(value, list):
        out: list[int] = []
        for v in value[:4]:
            out.extend(_ints(v))
        return out
    if isinstance(value, dict):
        d = {_norm_key(k): v for k, v in value.items()}
        return _ints(_get(d, _LINE_START_KEYS)) + _ints(_get(d, _LINE_END_KEYS))
    text = _PATH_PREFIX.sub("", str(value).strip())  # "src/app.py:12-15" → "12-15"
    return [int(m) for m in _INT.findall(text)[:2] if int(m) > 0]


def _lines(d: dict[str, Any]) -> tuple[int | None, int | None]:
    start = _ints(_get(d, _LINE_START_KEYS))
    end = _ints(_get(d, _LINE_END_KEYS))
    if not start:
        start = _ints(_get(d, _LINE_RANGE_KEYS))
    if not start:
        return None, None
    first = start[0]
    last = end[0] if end else (start[1] if len(start) > 1 else first)
    if last < first:
        first, last = last, first
    return first, last


def _cwe(value: Any) -> str | None:
    if isinstance(value, list):
        for v in value:
            c = _cwe(v)
            if c:
                return c
        return None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        n = int(value) if isinstance(value, int) or (math.isfinite(value) and value == int(value)) else 0
        return f"CWE-{n}" if 0 < n < 100_000 else None
    text = str(value)
    m = _CWE_IN_TEXT.search(text)
    if m:
        return f"CWE-{int(m.group(1))}" if int(m.group(1)) else None
    m = re.fullmatch(r"\s*0*(\d{1,5})\s*", text)
    if m and int(m.group(1)):
        return f"CWE-{int(m.group(1))}"
    return None


def _severity(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):  # a CVSS score
        if not math.isfinite(value) or value < 0 or value > 10:
            return None
        return "critical" if value >= 9 else "high" if value >= 7 else "medium" if value >= 4 else "low" if value > 0 else "info"
    text = str(value).strip()
    m = _SEVERITY_WORD.search(text)
    if m:
        return m.group(1).lower()
    m = re.fullmatch(r"\s*(\d{1,2}(?:\.\d+)?)\s*", text)
    return _severity(float(m.group(1))) if m else None


def _confidence(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _WORDS_CONFIDENCE:
            return _WORDS_CONFIDENCE[text]
        m = _NUMBER.search(text)
        if not m:
            return None
        try:
            value = float(m.group())
        except ValueError:
            return None
    if not isinstance(value, (int, float)):
        return None
    x = float(value)
    if not math.isfinite(x) or x < 0:
        return None
    if x <= 1.0:
        return x
    if x <= 100.0:  # a percentage: 85 → 0.85
        return x / 100.0
    return None


def _coerce(d: dict[str, Any]) -> RawFinding:
    start, end = _lines(d)
    cwe = _cwe(_get(d, _CWE_KEYS))
    title = _text(_get(d, _TITLE_KEYS))
    if cwe is None and title:
        cwe = _cwe(title) if _CWE_IN_TEXT.search(title) else None
    return RawFinding(
        line_start=start, line_end=end, cwe=cwe,
        severity=_severity(_get(d, _SEVERITY_KEYS)),
        confidence=_confidence(_get(d, _CONFIDENCE_KEYS)),
        title=title,
        description=_text(_get(d, _DESCRIPTION_KEYS)),
        recommendation=_text(_get(d, _RECOMMENDATION_KEYS)),
    )


# --------------------------------------------------------------------- entry
def extract_findings(text: str) -> Extraction:
    """The findings a model's raw output states (see the module docstring for the contract)."""
    if not isinstance(text, str):
        text = str(text)
    if not text.strip():
        return Extraction(ok=False, error=ERRORS["empty"])
    notes: set[str] = set()
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
        notes.add("cut-to-limit")
    if text.lstrip()[:7].lower() == "<think>":
        stripped = _THINK.sub("", text, count=1)
        if stripped != text:
            notes.add("think-block")
            text = stripped
    text = _note_fences(text, notes)
    values, parse_notes = _values(text)
    notes |= parse_notes
    if not values:
        return Extraction(ok=False, error=ERRORS["no-json"], repairs=tuple(sorted(notes)))
    found: list[dict[str, Any]] | None = None
    recognised = 0
    for v in values:
        items = _findings_in(v, 0, notes)
        if items is not None:
            recognised += 1
            found = (found or []) + items
    if found is None:
        return Extraction(ok=False, error=ERRORS["no-findings"], repairs=tuple(sorted(notes)))
    if recognised > 1:
        notes.add("several-objects")
    out: list[RawFinding] = []
    seen: set[tuple] = set()
    for d in found:
        f = _coerce(d)
        key = (f.line_start, f.line_end, f.cwe, f.title)
        if key in seen:
            continue
        seen.add(key)
        out.append(f)
        if len(out) >= MAX_FINDINGS:
            notes.add("cut-to-limit")
            break
    return Extraction(ok=True, findings=tuple(out), repairs=tuple(sorted(notes)))
