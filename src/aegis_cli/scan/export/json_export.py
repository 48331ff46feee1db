"""The scan result as strict JSON: the same data as ``ScanResult.to_dict()``.

Strict means any parser accepts it: NaN and infinities become ``null``. The text stays
faithful (a snippet is exactly the file's text) yet inert when printed: JSON already
escapes C0 controls, and this module also writes DEL, C1 controls, bidi overrides and
line separators as ``\\uXXXX`` escapes, so no raw escape sequence or reordering
character reaches a terminal or an editor. Lone surrogates (no UTF-8 file holds one;
strict parsers reject them) become U+FFFD.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from aegis_cli.scan.export.common import scrubbed
from aegis_cli.scan.result import ScanResult

FORMAT_NAME = "aegis-scan"
FORMAT_VERSION = 1

# Characters json.dumps(ensure_ascii=False) leaves raw. They only ever occur inside
# JSON strings (the syntax is ASCII), so replacing them with escapes keeps JSON valid.
_RAW_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def jsonable(value: Any) -> Any:
    """``value`` with non-finite floats as None, tuples as lists and lone surrogates
    (not encodable as UTF-8, rejected by strict parsers) as U+FFFD, recursively."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {jsonable(str(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def dumps_strict(data: Any, indent: int | None = 2) -> str:
    """Strict, UTF-8-encodable, terminal-inert JSON text (non-ASCII stays readable)."""
    text = json.dumps(jsonable(data), indent=indent, ensure_ascii=False, allow_nan=False)
    return _RAW_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def to_json_dict(result: ScanResult) -> dict[str, Any]:
    return {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **result.to_dict()}


def render_json(result: ScanResult) -> str:
    """Pretty, strict JSON of the result with secret values from the environment masked."""
    return dumps_strict(to_json_dict(scrubbed(result))) + "\n"
