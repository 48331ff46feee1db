"""Language detection by extension, file name and shebang."""

from __future__ import annotations

import pytest

from aegis_cli.scan.languages import LANGUAGES, could_be_script, detect_language, language_from_shebang

REQUIRED = {
    "python": [".py"],
    "javascript": [".js", ".jsx", ".mjs", ".cjs"],
    "typescript": [".ts", ".tsx"],
    "java": [".java"],
    "c": [".c", ".h"],
    "cpp": [".cc", ".cpp", ".cxx", ".hpp", ".hh"],
    "csharp": [".cs"],
    "go": [".go"],
    "php": [".php"],
    "ruby": [".rb"],
    "rust": [".rs"],
    "kotlin": [".kt"],
    "swift": [".swift"],
    "shell": [".sh", ".bash", ".zsh"],
}


@pytest.mark.parametrize(("language", "extension"), [(lang, ext) for lang, exts in REQUIRED.items() for ext in exts])
def test_required_extensions_map_to_their_language(language: str, extension: str) -> None:
    assert extension in LANGUAGES[language]
    assert detect_language(f"src/deep/file{extension}") == language
    assert detect_language(f"SRC/FILE{extension.upper()}") == language  # case-insensitive


def test_each_extension_belongs_to_one_language() -> None:
    seen: dict[str, str] = {}
    for language, extensions in LANGUAGES.items():
        for ext in extensions:
            assert ext.startswith(".") and ext == ext.lower()
            assert ext not in seen, f"{ext} claimed by {seen.get(ext)} and {language}"
            seen[ext] = language


@pytest.mark.parametrize(
    "path",
    ["README.md", "data.json", "image.png", "styles.css", "Makefile", "a/b/LICENSE", "x.py.bak", "notes.txt", ""],
)
def test_non_source_is_none(path: str) -> None:
    assert detect_language(path) is None


@pytest.mark.parametrize(
    ("head", "language"),
    [
        ("#!/bin/sh\necho hi\n", "shell"),
        ("#!/bin/bash -eu\n", "shell"),
        ("#!/usr/bin/zsh\n", "shell"),
        ("#!/usr/bin/env python3\n", "python"),
        ("#!/usr/bin/env -S python3.11 -u\n", "python"),
        ("#!/usr/bin/env LC_ALL=C python\n", "python"),
        ("#! /usr/local/bin/python2.7\n", "python"),
        ("#!/usr/bin/env node\n", "javascript"),
        ("#!/usr/bin/env ts-node\n", "typescript"),
        ("#!/usr/bin/ruby -w\n", "ruby"),
        ("#!/usr/bin/php\n", "php"),
        ("#!/usr/bin/perl\n", None),  # not a supported language
        ("#!/usr/bin/env\n", None),
        ("#!\n", None),
        ("echo no shebang\n", None),
        ("", None),
    ],
)
def test_shebang_decides_extensionless_scripts(head: str, language: str | None) -> None:
    assert language_from_shebang(head) == language
    assert detect_language("bin/tool", head) == language


def test_shebang_is_ignored_when_the_extension_speaks() -> None:
    # an unknown extension stays unknown; a known one is not overridden
    assert detect_language("script.cgi", "#!/usr/bin/python\n") is None
    assert detect_language("tool.rb", "#!/bin/sh\n") == "ruby"


def test_known_file_names_and_dotfiles() -> None:
    assert detect_language("Rakefile") == "ruby"
    assert detect_language("repo/Gemfile") == "ruby"
    assert detect_language("home/.bashrc") == "shell"
    assert detect_language(".zshrc") == "shell"


def test_could_be_script_only_for_extensionless_unknown_names() -> None:
    assert could_be_script("bin/deploy")
    assert could_be_script(".envrc")
    assert not could_be_script("bin/deploy.py")
    assert not could_be_script("notes.txt")
    assert not could_be_script("Gemfile")  # known by name, needs no shebang
    assert not could_be_script("dir/")
