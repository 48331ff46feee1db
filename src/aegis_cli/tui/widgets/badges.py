"""Small coloured badges: device, quantization, precision (shared by the scan and train dashboards).

* :class:`DeviceBadge` — ``CUDA:0`` green, ``MPS`` blue, ``CPU`` gray, ``REMOTE`` neutral
  for HTTP models; hidden while the device is unknown (a model still loading).
* :class:`QuantBadge` — ``INT4`` / ``INT8`` yellow; hidden when not quantized.
* :class:`PrecisionBadge` — ``FP16`` / ``BF16`` / ``FP32`` info blue; hidden when unknown.

The label functions are plain so other views (a report, a table) can reuse them.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

#: variant → (text colour, background); the one place badge colours are defined
COLOURS = {
    "cuda": ("#ffffff", "#2e7d32"),
    "mps": ("#ffffff", "#1565c0"),
    "cpu": ("#eeeeee", "#616161"),
    "remote": ("#ffffff", "#455a64"),
    "quant": ("#000000", "#f9a825"),
    "precision": ("#ffffff", "#0277bd"),
    "neutral": ("#ffffff", "#5f5f5f"),
}


def device_badge(device: str | None, provider: str | None = None) -> tuple[str, str] | None:
    """``(label, variant)`` for a device as read from the loaded model; None → no badge."""
    if not device:
        return ("REMOTE", "remote") if provider == "http" else None
    d = device.strip().lower()
    if d.startswith("cuda"):
        ordinals = [part.split(":", 1)[1] for part in d.split(",") if ":" in part]
        return (f"CUDA:{','.join(ordinals)}" if ordinals else "CUDA", "cuda")
    if d.startswith("mps"):
        return ("MPS", "mps")
    if d.startswith("cpu"):
        return ("CPU", "cpu")
    return (d.upper(), "neutral")


def quant_badge(quantization: str | None) -> tuple[str, str] | None:
    if not quantization or quantization.lower() in ("none", "no"):
        return None
    return (quantization.upper(), "quant")


def precision_badge(precision: str | None) -> tuple[str, str] | None:
    if not precision:
        return None
    return (precision.upper(), "precision")


class Badge(Static):
    """One badge: a short label on a coloured background; hidden while ``label`` is None."""

    DEFAULT_CSS = """
    Badge {
        width: auto;
        height: 1;
        padding: 0 1;
        margin: 0 1 0 0;
        text-style: bold;
    }
    """ + "\n".join(f"    Badge.-{variant} {{ color: {fg}; background: {bg}; }}"
                   for variant, (fg, bg) in COLOURS.items())

    label: reactive[str | None] = reactive(None)
    """Text shown; None hides the badge."""

    variant: reactive[str] = reactive("neutral")
    """Colour class: cuda, mps, cpu, remote, quant, precision or neutral."""

    def __init__(self, label: str | None = None, variant: str = "neutral", **kwargs) -> None:
        super().__init__("", **kwargs)
        self.set_reactive(Badge.label, label)
        self.set_reactive(Badge.variant, variant)

    def on_mount(self) -> None:
        self._apply_label(self.label)
        self.add_class(f"-{self.variant}")

    def show(self, badge: tuple[str, str] | None) -> None:
        """Set label and variant from a ``(label, variant)`` pair, or hide with None."""
        if badge is None:
            self.label = None
        else:
            self.variant = badge[1]
            self.label = badge[0]

    def watch_label(self, label: str | None) -> None:
        self._apply_label(label)

    def _apply_label(self, label: str | None) -> None:
        self.display = label is not None
        self.update(Content(label or ""))  # Content: never parsed as markup; update() re-lays out

    def watch_variant(self, old: str, new: str) -> None:
        self.remove_class(f"-{old}")
        self.add_class(f"-{new}")


class DeviceBadge(Badge):
    """The device a model actually runs on."""

    device: reactive[str | None] = reactive(None)
    """Device string as read from the loaded model ("cuda:0", "cpu", "mps"); None while loading."""

    provider: reactive[str | None] = reactive(None)
    """"hf", "http" or "builtin"; an HTTP model shows REMOTE instead of a device."""

    def _refresh_badge(self) -> None:
        self.show(device_badge(self.device, self.provider))

    def watch_device(self) -> None:
        self._refresh_badge()

    def watch_provider(self) -> None:
        self._refresh_badge()


class QuantBadge(Badge):
    """Applied quantization (INT4/INT8)."""

    quantization: reactive[str | None] = reactive(None)
    """"int4", "int8" or None (not quantized)."""

    def watch_quantization(self, quantization: str | None) -> None:
        self.show(quant_badge(quantization))


class PrecisionBadge(Badge):
    """Weight dtype (FP16/BF16/FP32)."""

    precision: reactive[str | None] = reactive(None)
    """"fp32", "fp16", "bf16" or None (unknown, e.g. an HTTP model)."""

    def watch_precision(self, precision: str | None) -> None:
        self.show(precision_badge(precision))


def badges_for(device: str | None, provider: str | None, precision: str | None,
               quantization: str | None) -> tuple[tuple[str, str], ...]:
    """The ``(label, variant)`` badges of a loaded model, in display order: device, precision,
    quantization (each left out when unknown or not applicable)."""
    found = (device_badge(device, provider), precision_badge(precision), quant_badge(quantization))
    return tuple(b for b in found if b is not None)


class BadgeRow(Widget):
    """A model's badges on one line, drawn as one widget.

    Its size never depends on the badges, so badges appearing (a model has loaded) repaint
    this line only; separate widgets would resize and lay the whole screen out again.
    """

    DEFAULT_CSS = """
    BadgeRow {
        height: 1;
        width: 1fr;
    }
    """

    badges: reactive[tuple[tuple[str, str], ...]] = reactive(())
    """``(label, variant)`` pairs; empty while the model is loading."""

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.badges]

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for label, variant in self.badges:
            fg, bg = COLOURS.get(variant, COLOURS["neutral"])
            text.append(f" {label} ", Style(color=fg, bgcolor=bg, bold=True))
            text.append(" ")
        return text
