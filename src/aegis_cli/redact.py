"""Keep secrets out of everything aegis writes.

A setting is secret when its name ends in KEY, TOKEN, SECRET or PASSWORD (any
case, any separator) or is one of the well-known names below. Two defences:
``redact_mapping`` masks secret-named entries of a config or parameter dict, and
``scrub`` replaces any secret value present in the environment wherever it shows
up in free text (an exception message that echoes a header, say).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

MASK = "***"
_SECRET_NAME = re.compile(r"(?:^|[_\-.\s])(?:api[_\-]?key|key|token|secret|password|passwd|credentials?)$", re.I)
# Tokenizer settings that end in "_token" but hold vocabulary, not credentials.
_NOT_SECRET = {f"{p}_token" for p in ("pad", "eos", "bos", "unk", "sep", "cls", "mask", "special", "chat")}
_KNOWN = {"COMET_API_KEY", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "OPENAI_API_KEY", "WANDB_API_KEY"}
_MIN_SECRET_LEN = 4  # shorter values would mask ordinary words


def is_secret_name(name: str) -> bool:
    name = name.strip()
    if name.lower() in _NOT_SECRET:
        return False
    return name.upper() in _KNOWN or bool(_SECRET_NAME.search(name))


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if environ is None else environ
    values = {v for k, v in env.items() if is_secret_name(k) and v and len(v) >= _MIN_SECRET_LEN}
    return sorted(values, key=len, reverse=True)  # longest first: a value containing another


def scrub(text: str, extra: list[str] | None = None) -> str:
    """Replace every secret value known from the environment (and ``extra``) with ***."""
    for value in secret_values() + [v for v in (extra or []) if v and len(v) >= _MIN_SECRET_LEN]:
        if value in text:
            text = text.replace(value, MASK)
    return text


def redact_mapping(data: Any) -> Any:
    """A deep copy of ``data`` with secret-named keys masked and secret values scrubbed."""
    if isinstance(data, Mapping):
        return {
            k: (MASK if is_secret_name(str(k)) and v not in (None, "", False) else redact_mapping(v))
            for k, v in data.items()
        }
    if isinstance(data, (list, tuple)):
        return [redact_mapping(v) for v in data]
    if isinstance(data, str):
        return scrub(data)
    return data


class Scrubber:
    """``scrub`` with the secret values captured once, for hot paths (a recorder's lines)."""

    def __init__(self, extra: list[str] | None = None):
        values = secret_values() + [v for v in (extra or []) if v and len(v) >= _MIN_SECRET_LEN]
        self.values = sorted(set(values), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self.values:
            if value in text:
                text = text.replace(value, MASK)
        return text
