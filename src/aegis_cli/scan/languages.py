"""Which files are source code, and in which language.

Detection is by file extension (case-insensitive), a few well-known file names, and the
shebang line of extensionless scripts. It never reads more than the first line it is given,
so ingestion can decide cheaply which archive members are worth reading at all.
"""

from __future__ import annotations

import posixpath
import re

#: language -> file extensions (lower case, with the dot). The first extension is the usual one.
LANGUAGES: dict[str, tuple[str, ...]] = {
    "python": (".py", ".pyw", ".pyi"),
    "javascript": (".js", ".jsx", ".mjs", ".cjs"),
    "typescript": (".ts", ".tsx", ".mts", ".cts"),
    "java": (".java",),
    "c": (".c", ".h"),
    "cpp": (".cpp", ".cc", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp", ".inl"),
    "csharp": (".cs",),
    "go": (".go",),
    "php": (".php", ".phtml", ".php3", ".php4", ".php5", ".php7", ".phps"),
    "ruby": (".rb", ".rake", ".gemspec", ".ru"),
    "rust": (".rs",),
    "kotlin": (".kt", ".kts"),
    "swift": (".swift",),
    "shell": (".sh", ".bash", ".zsh", ".ksh"),
}

#: Exact file names (no usable extension) that are source in a known language.
FILE_NAMES: dict[str, str] = {
    "Rakefile": "ruby",
    "Gemfile": "ruby",
    "Guardfile": "ruby",
    "Vagrantfile": "ruby",
    ".bashrc": "shell",
    ".bash_profile": "shell",
    ".bash_login": "shell",
    ".profile": "shell",
    ".zshrc": "shell",
    ".zprofile": "shell",
    ".zshenv": "shell",
}

#: Interpreter named in a shebang (version suffix removed) -> language.
INTERPRETERS: dict[str, str] = {
    "python": "python",
    "pypy": "python",
    "node": "javascript",
    "nodejs": "javascript",
    "bun": "javascript",
    "ts-node": "typescript",
    "tsx": "typescript",
    "deno": "typescript",
    "ruby": "ruby",
    "php": "php",
    "sh": "shell",
    "bash": "shell",
    "zsh": "shell",
    "ksh": "shell",
    "dash": "shell",
    "ash": "shell",
}

_EXTENSIONS: dict[str, str] = {ext: lang for lang, exts in LANGUAGES.items() for ext in exts}
# "python3.11" -> "python", "pypy3" -> "pypy"; keeps names such as "ts-node" intact.
_VERSION_SUFFIX = re.compile(r"[\d.]+$")


def extension_of(path: str) -> str:
    """The lower-cased extension of the last path component ('' for none; '.bashrc' has none)."""
    return posixpath.splitext(basename_of(path))[1].lower()


def basename_of(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def could_be_script(path: str) -> bool:
    """True when only a shebang could tell the language (an extensionless, unnamed file)."""
    name = basename_of(path)
    return bool(name) and name not in FILE_NAMES and "." not in name.lstrip(".")


def language_from_shebang(head: str) -> str | None:
    """The language named by a ``#!`` first line, e.g. ``#!/usr/bin/env -S python3 -u``."""
    if not head.startswith("#!"):
        return None
    words = head[2:].split("\n", 1)[0].split()
    if not words:
        return None
    program = words[0].rsplit("/", 1)[-1]
    if program == "env":
        # skip env's options and VAR=value assignments to reach the interpreter
        rest = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
        if not rest:
            return None
        program = rest[0].rsplit("/", 1)[-1]
    return INTERPRETERS.get(program) or INTERPRETERS.get(_VERSION_SUFFIX.sub("", program))


def detect_language(path: str, head: str | None = None) -> str | None:
    """The language of ``path`` or None when it is not source code we recognise.

    ``head`` (the start of the file) is consulted only for extensionless files, whose
    shebang names their interpreter; a file with an unknown extension stays None.
    """
    name = basename_of(path)
    if name in FILE_NAMES:
        return FILE_NAMES[name]
    language = _EXTENSIONS.get(extension_of(name))
    if language is None and head is not None and could_be_script(name):
        language = language_from_shebang(head)
    return language
