"""Training reports: report.md, telemetry.png and history.json for any Hugging Face Trainer run.

``from aegis_cli.report import AutomatedReportCallback`` works without importing
transformers, torch or matplotlib until the callback is actually used (the name is
resolved lazily), so ``aegis report`` and the history tools stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from aegis_cli.report.callback import AutomatedReportCallback, CountingDataset, TokenCounter

__all__ = ["AutomatedReportCallback", "CountingDataset", "TokenCounter"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from aegis_cli.report import callback

        return getattr(callback, name)
    raise AttributeError(f"module 'aegis_cli.report' has no attribute {name!r}")
