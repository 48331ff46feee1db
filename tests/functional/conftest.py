"""Fixtures for scan tests: a realistic multi-language ZIP and tiny models built here."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from helpers.keyword_models import SINK

# (path, text) of a small repository in several languages; `SINK` marks the one planted flaw
REPO = {
    "app/server.py": (
        "import os\nimport json\n\n\ndef load(path):\n    with open(path) as fh:\n        return json.load(fh)\n\n\n"
        "def handler(request):\n    cmd = request.args.get('cmd')\n    " + SINK + "\n    return 'ok'\n"
    ),
    "app/util.py": "def add(a, b):\n    return a + b\n\n\ndef mean(xs):\n    return sum(xs) / len(xs)\n",
    "web/index.js": "const express = require('express');\nconst app = express();\napp.get('/', (req, res) => res.send('hi'));\n",
    "web/types.ts": "export interface User {\n  id: number;\n  name: string;\n}\n",
    "src/Main.java": "public class Main {\n  public static void main(String[] args) {\n    System.out.println(\"hi\");\n  }\n}\n",
    "native/buf.c": "#include <string.h>\nvoid copy(char *d, const char *s) {\n  strcpy(d, s);\n}\n",
    "native/buf.hpp": "#pragma once\nclass Buf { public: int n; };\n",
    "php/index.php": "<?php\n$id = intval($_GET['id']);\necho $id;\n",
    "go/main.go": "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hi\")\n}\n",
    "scripts/deploy.sh": "#!/bin/sh\nset -e\necho deploying\n",
    "README.md": "# demo\n",
    "node_modules/lib/index.js": "module.exports = 1;\n",
    "assets/logo.png": "\x89PNG\x00\x00binary",
}
SCANNED = sorted(p for p in REPO if not p.startswith(("node_modules", "assets")) and p != "README.md")


def write_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text.encode("latin-1") if "\x89PNG" in text else text.encode("utf-8"))
    return path


@pytest.fixture(scope="session")
def repo_zip(tmp_path_factory) -> Path:
    return write_zip(tmp_path_factory.mktemp("repo") / "repo.zip", REPO)


@pytest.fixture(scope="session")
def keyword_models(tmp_path_factory) -> tuple[Path, Path]:
    from helpers.keyword_models import build_keyword_models

    ordinary = [text.replace(SINK, "") for text in REPO.values()]
    return build_keyword_models(tmp_path_factory.mktemp("kw"), ordinary)


@pytest.fixture(scope="session")
def quiet_classifier(tmp_path_factory) -> Path:
    """A sequence classifier that never flags anything (LABEL_0 everywhere)."""
    from helpers.tiny_models import bias_towards, build_classifier

    path = build_classifier(tmp_path_factory.mktemp("quiet") / "quiet")
    bias_towards(path, 0, 10.0)
    return path


@pytest.fixture(scope="session")
def loud_classifier(tmp_path_factory) -> Path:
    """A sequence classifier that flags every chunk (LABEL_1 with p ≈ 1)."""
    from helpers.tiny_models import bias_towards, build_classifier

    path = build_classifier(tmp_path_factory.mktemp("loud") / "loud")
    bias_towards(path, 1, 10.0)
    return path
