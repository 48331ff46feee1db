"""Helpers for the dashboard tests: recorded streams, results built from them, waiting, screen text."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from aegis_cli.scan.findings import Finding, merge_findings
from aegis_cli.scan.result import ModelSummary, ScanResult
from aegis_cli.telemetry.events import Event, FindingFound, ModelCompleted, ModelFailed, ModelStarted
from aegis_cli.telemetry.sinks import read_jsonl

DATA = Path(__file__).parent / "data"


def load_stream(name: str) -> list[Event]:
    return list(read_jsonl(DATA / f"{name}_stream.jsonl", strict=True))


def load_sources() -> dict[str, str]:
    return json.loads((DATA / "sources.json").read_text(encoding="utf-8"))


def result_from_events(events: list[Event], sources: dict[str, str] | None = None) -> ScanResult:
    """What the pipeline would return for a stream: merged findings and one summary per model."""
    findings = merge_findings(Finding.from_dict(e.finding) for e in events if isinstance(e, FindingFound))
    models: dict[str, ModelSummary] = {}
    for e in events:
        if isinstance(e, ModelStarted):
            models[e.model_id] = ModelSummary(model_id=e.model_id, name=e.name, provider=e.provider,
                                              status="running", device=e.device, vram_mb=e.vram_mb,
                                              load_time_ms=e.load_time_ms, precision=e.precision,
                                              quantization=e.quantization)
        elif isinstance(e, ModelCompleted):
            m = models[e.model_id]
            m.status, m.calls, m.findings, m.total_tokens = "completed", e.calls, e.findings, e.total_tokens
        elif isinstance(e, ModelFailed) and e.model_id in models:
            models[e.model_id].status, models[e.model_id].error = "failed", e.error
    sources = sources or {}
    return ScanResult(target="demo-app.zip", findings=findings, models=list(models.values()),
                      sources={f.path: sources[f.path] for f in findings if f.path in sources})


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Let the app run until ``condition()`` holds (events cross a real bus thread and a 0.1 s redraw).

    A widget that is mounted but whose children are not yet (``NoMatches`` from a query inside
    ``condition``) counts as "not yet": on a busy machine a panel can be queried between its
    mount and its compose. The timeout only matters when the condition never holds."""
    from textual.css.query import NoMatches

    def holds() -> bool:
        try:
            return bool(condition())
        except NoMatches:
            return False

    deadline = time.monotonic() + timeout
    while not holds():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)


def screen_text(app) -> str:
    """The screen as plain text, the way a person reads it (what the terminal would show)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
