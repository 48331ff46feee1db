"""Helpers every exporter shares: secret scrubbing, figure formatting, skip grouping.

Exporters import neither torch nor textual.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from typing import Any

from aegis_cli.redact import Scrubber
from aegis_cli.scan.result import ModelSummary, ScanResult, SkippedFile

NA = "N/A"

#: SARIF result level per severity (GitHub: error/warning/note)
SARIF_LEVELS: dict[str, str] = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
#: GitHub's security-severity scale (0.0-10.0, CVSS-like bands), written as strings
SECURITY_SEVERITY: dict[str, str] = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


def _scrub_value(value: Any, scrub: Scrubber) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrub_value(v, scrub) for v in value]
    if isinstance(value, dict):
        return {_scrub_value(k, scrub): _scrub_value(v, scrub) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _scrub_value(getattr(value, f.name), scrub) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    return value


def scrubbed(result: ScanResult) -> ScanResult:
    """A copy of ``result`` with every secret value from the environment masked as ``***``.

    Secrets reach a result through error texts (an HTTP error echoing a header), warnings
    or a scanned file that happens to hold the token; exports never carry them.
    """
    scrub = Scrubber()
    if not scrub.values:
        return result
    return _scrub_value(result, scrub)


def finite(value: Any) -> float | None:
    """``value`` as a float, or None when it is unknown, NaN or infinite."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def fmt_number(value: Any, decimals: int = 0) -> str:
    """A figure for people: ``N/A`` when unknown (None, NaN, inf), never 0."""
    number = finite(value)
    if number is None:
        return NA
    return f"{number:.{decimals}f}"


def fmt_int(value: Any) -> str:
    number = finite(value)
    return NA if number is None else str(int(number))


def fmt_confidence(value: Any) -> str:
    return fmt_number(value, 2)


def fmt_speed(model: ModelSummary, unit: str = "") -> str:
    """``125.3 (processed)`` / ``12.1 (generated, estimated)`` / ``N/A`` (``unit`` goes after the figure)."""
    speed = fmt_number(model.tokens_per_s, 1)
    if speed == NA:
        return NA + unit
    basis = "generated" if model.speed_basis == "output" else "processed"
    return f"{speed}{unit} ({basis}, estimated)" if model.tokens_estimated else f"{speed}{unit} ({basis})"


def fmt_tokens(value: int, estimated: bool) -> str:
    text = fmt_int(value)
    return f"~{text}" if estimated and text != NA else text


def fmt_energy(model: ModelSummary, unit: str = "") -> str:
    """``12.5`` / ``12.5 (estimated)`` (trapezoid of power samples, not the NVML counter) / ``N/A``."""
    text = fmt_number(model.energy_j, 1)
    if text == NA:
        return NA
    return f"{text}{unit} (estimated)" if model.energy_estimated else f"{text}{unit}"


def fmt_duration(seconds: Any) -> str:
    number = finite(seconds)
    if number is None:
        return NA
    if number < 60:
        return f"{number:.1f} s"
    minutes, secs = divmod(round(number), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def skip_reasons(skipped: list[SkippedFile]) -> list[tuple[str, int]]:
    """Skip reasons with how many files each, most frequent first (ties by reason)."""
    counts = Counter(s.reason for s in skipped)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def severity_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {sev}" for sev, n in counts.items())
