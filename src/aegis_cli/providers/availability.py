"""Is a model usable on this machine without downloading? (for `aegis models list`)"""

from __future__ import annotations

from pathlib import Path


def availability(ref: str) -> str:
    """A short answer: "builtin", "yes (local path)", "yes (HF cache)", "endpoint", "no (…)"."""
    if ref.startswith(("http://", "https://")):
        return "endpoint (not checked)"
    if ref.startswith("builtin:"):
        from aegis_cli.providers.hf_common import builtin_dir

        d = builtin_dir(ref.removeprefix("builtin:"))
        return "builtin" if (d / "config.json").is_file() or (d / "adapter_config.json").is_file() else "no (missing from this install)"
    if Path(ref).expanduser().is_dir():
        return "yes (local path)"
    try:
        from huggingface_hub import constants, try_to_load_from_cache

        for name in ("config.json", "adapter_config.json"):
            hit = try_to_load_from_cache(ref, name)
            if isinstance(hit, str):
                return "yes (HF cache)"
        return f"no (not in {constants.HF_HUB_CACHE}; needs a download)"
    except Exception as exc:
        return f"unknown ({type(exc).__name__})"
