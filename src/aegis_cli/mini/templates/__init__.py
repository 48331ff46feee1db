"""Language kits of the aegis-mini data generator, one module per language family."""

from __future__ import annotations

from aegis_cli.mini.engine import Kit


def load_kits() -> dict[str, Kit]:
    """Every language kit by language name (imported on first use: the templates are large)."""
    from aegis_cli.mini.templates import clang, csharp, go, java, javascript, php, python, ruby

    kits = [python.KIT, javascript.JS_KIT, javascript.TS_KIT, java.KIT, php.KIT, go.KIT, clang.C_KIT, clang.CPP_KIT,
            csharp.KIT, ruby.KIT]
    return {kit.name: kit for kit in kits}
