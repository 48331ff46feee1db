"""A live line of hardware figures from the sampler: per GPU util, VRAM, power,
temperature; CPU and RAM. Unknown values read N/A (never 0)."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from aegis_cli.telemetry.events import GpuSample, HardwareSample

#: GPUs shown by name before the rest are summarised as "+N more"
MAX_GPUS = 2


def _fmt(value: float | None, fmt: str, unit: str = "") -> str:
    return "N/A" if value is None else f"{value:{fmt}}{unit}"


def _gb(used_mb: float | None, total_mb: float | None) -> str:
    if used_mb is None:
        return "N/A"
    used = f"{used_mb / 1024:.1f}"
    return f"{used}/{total_mb / 1024:.1f} GB" if total_mb else f"{used} GB"


def gpu_parts(g: GpuSample) -> list[tuple[str, str]]:
    label = f"GPU{g.cuda_index if g.cuda_index is not None else g.index}"
    return [
        (label, _fmt(g.util_pct, ".0f", "%")),
        ("VRAM", _gb(g.mem_used_mb, g.mem_total_mb)),
        ("Power", _fmt(g.power_w, ".0f", " W")),
        ("Temp", _fmt(g.temp_c, ".0f", "°C")),
    ]


def hardware_text(sample: HardwareSample | None, gpu_filter: set[int] | None = None) -> Text:
    """The strip's text. ``gpu_filter`` keeps GPUs with these CUDA ordinals (those the models use)."""
    if sample is None:
        return Text("Hardware: waiting for the first sample…", style="dim")
    parts: list[tuple[str, str]] = []
    gpus = list(sample.gpus)
    if gpu_filter:
        used = [g for g in gpus if g.cuda_index in gpu_filter]
        gpus = used or gpus
    for g in gpus[:MAX_GPUS]:
        parts.extend(gpu_parts(g))
    if len(gpus) > MAX_GPUS:
        parts.append(("", f"+{len(gpus) - MAX_GPUS} more GPUs"))
    parts.append(("CPU", _fmt(sample.cpu_pct, ".0f", "%")))
    parts.append(("RAM", _gb(sample.ram_used_mb, sample.ram_total_mb)))
    if not sample.gpus:
        parts.append(("RSS", _fmt(sample.rss_mb, ",.0f", " MB")))
    text = Text()
    for i, (label, value) in enumerate(parts):
        if i:
            text.append(" │ ", style="dim")
        if label:
            text.append(f"{label} ", style="dim")
        text.append(value, style="dim" if value == "N/A" else "bold")
    return text


class HardwareStrip(Widget):
    """The latest hardware sample on one line."""

    DEFAULT_CSS = """
    HardwareStrip {
        height: 1;
        width: 1fr;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    sample: reactive[HardwareSample | None] = reactive(None)
    """The latest HardwareSample (None before the sampler's first reading)."""

    gpu_filter: reactive[frozenset[int]] = reactive(frozenset())
    """CUDA ordinals the models run on; other GPUs are left out when this is not empty."""

    def render(self) -> Text:
        text = hardware_text(self.sample, set(self.gpu_filter))
        text.no_wrap = True
        text.overflow = "ellipsis"
        return text
