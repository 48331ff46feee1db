"""Real, ordinary code read at generation time (never copied into the repository).

The default source is the local Python standard library (:func:`stdlib_dir`). Whole files
become safe "background" samples and top-level functions become unlabelled surrounding
code in Python samples. Files that contain anything a template treats as a sink (``eval``,
``shell=True``, ``pickle``, weak hashes, secrets …) are left out so background code never
contradicts a label. One file in five (by a stable hash of its relative path) is reserved
for the held-out split. Everything is sorted, so the same directory gives the same data.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from aegis_cli.scan.languages import LANGUAGES

_SKIP_DIRS = {"test", "tests", "idlelib", "turtledemo", "ensurepip", "site-packages", "dist-packages",
              "__pycache__", "lib2to3", "tkinter", "pydoc_data", "config-3"}
# Text that a template treats as a sink (lower-case substrings): files containing any are left out.
_SINKY = (
    "eval(", "exec(", "os.system", "popen", "subprocess", "shell=true", "shell = true", "pickle", "marshal", "yaml",
    "md5", "sha1", "random", "mktemp", "cert_none", "verify=", "unverified", "passw", "secret", "token", "credential",
    "urlopen", "requests.", ".execute(", "__import__", "compile(", "printf", "strcpy", "strcat", "sprintf", "gets(",
    "system(", "innerhtml", "document.write", "redirect", "setcookie", "xpath", "ldap", "xmlparser", "tempfile",
    "traceback", "template(", "logging.", "logger.", "log.",
)
_DEF = re.compile(r"^(?:async\s+)?def \w+\(", re.M)
_EXT_TO_LANG = {ext: lang for lang, exts in LANGUAGES.items() for ext in exts[:1]}
MIN_LINES, MAX_LINES = 15, 400


def stdlib_dir() -> Path:
    """The directory of the running interpreter's standard library (.py sources)."""
    return Path(sysconfig.get_paths()["stdlib"])


def reserved_for_heldout(relpath: str) -> bool:
    return int(hashlib.sha256(relpath.encode()).hexdigest(), 16) % 5 == 0


@dataclass
class Background:
    by_lang: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)  # (lang, pool) -> files
    snippets: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # pool -> [(origin, code)]

    def whole_files(self, lang: str, pool: str) -> list[tuple[str, str]]:
        return self.by_lang.get((lang, pool), [])

    def python_snippets(self, pool: str) -> list[tuple[str, str]]:
        return self.snippets.get(pool, [])


def _clean(text: str) -> bool:
    low = text.lower()
    return not any(t in low for t in _SINKY) and not any(c in text for c in "\x00\x01\x02\x03«»⟦⟧")


@functools.cache
def compiles(code: str) -> bool:
    """True when a snippet is valid Python on its own (checked when first picked, not for all)."""
    try:
        compile(code, "<background>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _functions(text: str) -> list[str]:
    """Top-level functions (their end is where column-0 code resumes; see compiles())."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if _DEF.match(line)]
    out = []
    for start in starts:
        # Decorators stay out; the function ends where the next column-0 code starts.
        end = start + 1
        while end < len(lines) and (not lines[end] or lines[end][0] in " \t#"):
            end += 1
        while end > start and not lines[end - 1].strip():
            end -= 1
        code = "\n".join(lines[start:end])
        if 4 <= end - start <= 60 and _clean(code):
            out.append(code)
    return out


@functools.lru_cache(maxsize=4)
def load_background(root: str) -> Background:
    base = Path(root)
    bg = Background()
    if not base.is_dir():
        return bg
    paths = []
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))  # prune, never descend
        paths.extend(Path(folder) / f for f in files if Path(f).suffix in _EXT_TO_LANG)
    paths.sort()
    for path in paths:
        rel = path.relative_to(base).as_posix()
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        if len(raw) > 200_000:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        text = text.replace("\r\n", "\n").replace("\t", "    ") if path.suffix == ".py" else text.replace("\r\n", "\n")
        pool = "heldout" if reserved_for_heldout(rel) else "train"
        lang = _EXT_TO_LANG[path.suffix]
        n_lines = text.count("\n") + 1
        if MIN_LINES <= n_lines <= MAX_LINES and _clean(text):
            bg.by_lang.setdefault((lang, pool), []).append((rel, text))
        if lang == "python":
            bg.snippets.setdefault(pool, []).extend((rel, code) for code in _functions(text))
    return bg
