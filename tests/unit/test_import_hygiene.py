"""Core modules must not import torch or textual at import time (fast CLI, UI-free core)."""

import subprocess
import sys

import pytest

CORE = [
    "aegis_cli.cli.main",
    "aegis_cli.telemetry",
    "aegis_cli.telemetry.sampler",
    "aegis_cli.telemetry.model_info",
    "aegis_cli.config.loader",
    "aegis_cli.scan.findings",
    "aegis_cli.scan.result",
    "aegis_cli.scan.archive",
    "aegis_cli.scan.languages",
    "aegis_cli.scan.chunking",
    "aegis_cli.scan.sinks",
    "aegis_cli.scan.pipeline",
    "aegis_cli.providers.presets",
    "aegis_cli.telemetry.lines",
    "aegis_cli.telemetry.console",
    "aegis_cli.scan.export",
    "aegis_cli.textsafe",
    "aegis_cli.scan.distributed",
    "aegis_cli.redact",
    "aegis_cli.errors",
]


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_neither_torch_nor_textual(module):
    code = (
        f"import importlib, sys; importlib.import_module({module!r}); "
        "bad = sorted(m for m in ('torch', 'textual', 'transformers', 'matplotlib') if m in sys.modules); "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} imported {out.stdout.strip()}"
