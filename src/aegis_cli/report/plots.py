"""The six telemetry panels of telemetry.png, drawn in the terminal with plotext.

``aegis report show`` draws them from history.json and the training dashboard from the
live event stream; both hand :func:`panels_from_columns` the same columns (the names of
history.json's ``entries``), so the two views and the PNG show the same series:

1. training loss, raw (gray) and smoothed (orange, the PNG's EMA); 2. learning rate;
3. peak VRAM; 4. GPU utilization; 5. power, the interval mean with its min and max;
6. temperature. Without a GPU, panels 3-6 carry a message instead of a chart (never a
line of zeros). Long runs are bucketed to about two points per terminal column (the
braille resolution), which keeps a 100,000-step chart as fast as a 100-step one.

plotext 6 draws through a C++ kernel that aborts the whole process on a NaN, so only
finite numbers ever reach it: unknown values split a line into separate runs (a gap
stays a gap). Its figure is one global object: drawing is serialised by a lock.

Imports neither torch nor textual; numpy and plotext are imported when drawing.
"""

from __future__ import annotations

import math
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aegis_cli.report.charts import PANEL_TITLES

#: xterm-256 colours of the series (the PNG's gray, orange, blue, red)
GRAY, ORANGE, BLUE, RED, DIM_ORANGE = 245, 208, 75, 167, 130
NO_GPU = "no GPU in this run: not measured"
WAITING_GPU = "waiting for the training to start"
NOT_REPORTED = "not reported by the GPU"
#: the GPU panels (3-6) by index into PANEL_TITLES
GPU_PANELS = (2, 3, 4, 5)

_LOCK = threading.Lock()
#: the largest magnitude drawn (beyond it a chart says nothing and plotext's kernel misbehaves)
LIMIT = 1e15


@dataclass(frozen=True)
class Line:
    """One series: y values aligned with the panel's x (None where unknown)."""

    label: str
    color: int
    y: Sequence[float | None]


@dataclass(frozen=True)
class Panel:
    """A chart to draw, or ``message`` (shown instead of a chart) when there is nothing to draw."""

    title: str
    x: Sequence[float] = ()
    lines: tuple[Line, ...] = ()
    message: str | None = None
    ylim: tuple[float, float] | None = None
    latest: str | None = None  # the newest value, for a title ("6.4857", "1,204 MB")
    legend: tuple[tuple[str, int], ...] = field(default=())

    @property
    def drawable(self) -> bool:
        return self.message is None


def _fmt(value: float | None, fmt: str) -> str | None:
    return None if value is None else format(value, fmt)


def _last_finite(values: Sequence[Any]) -> float | None:
    for v in reversed(values):
        if type(v) in (int, float) and math.isfinite(v):
            return float(v)
    return None


def panels_from_columns(cols: dict[str, Sequence[Any]], *, has_gpu: bool | None,
                        max_points: int = 240) -> list[Panel]:
    """The six panels from history-style columns (``step``, ``loss``, ``lr``, ``vram_peak_mb``,
    ``util_pct``, ``power_min_w``, ``power_mean_w``, ``power_max_w``, ``temp_max_c``).

    ``has_gpu``: False → GPU panels say there was no GPU; None → not known yet (no
    hardware sample); True → drawn (or "not reported by the GPU" where NVML said nothing).
    ``max_points``: buckets per series (2 per column of the narrowest chart is enough).
    """
    import numpy as np

    from aegis_cli.report.charts import _series, downsample, ema

    steps = list(cols.get("step") or ())
    n = len(steps)
    raw = {
        "loss": _series(cols, "loss", n), "lr": _series(cols, "lr", n),
        "vram": _series(cols, "vram_peak_mb", n), "util": _series(cols, "util_pct", n),
        "power": _series(cols, "power_mean_w", n), "power_lo": _series(cols, "power_min_w", n),
        "power_hi": _series(cols, "power_max_w", n), "temp": _series(cols, "temp_max_c", n),
    }
    for a in raw.values():
        a[~np.isfinite(a)] = np.nan  # inf is no more drawable than NaN
    raw["loss_smooth"] = ema(raw["loss"]) if n else raw["loss"]
    x, d = downsample(np.array(steps, dtype=float), raw, max(2, max_points))

    def ys(a) -> list[float | None]:
        return [None if v != v else float(v) for v in a.tolist()]  # NaN → None

    def known(*keys: str) -> bool:
        return any(np.isfinite(d[k]).any() for k in keys)

    xs = [float(v) for v in np.asarray(x).tolist()]
    panels: list[Panel] = []
    loss_now = _last_finite(cols.get("loss") or ())
    if known("loss"):
        # a bucket of many steps keeps its min and max, so a spike still shows
        lines = [Line("raw", GRAY, ys(d["loss"]))]
        if n > max_points:
            lines = [Line("raw max", GRAY, ys(d["loss_max"])), Line("raw min", GRAY, ys(d["loss_min"]))]
        lines.append(Line("smoothed", ORANGE, ys(d["loss_smooth"])))
        panels.append(Panel(PANEL_TITLES[0], xs, tuple(lines), latest=_fmt(loss_now, ".4f"),
                            legend=(("raw", GRAY), ("smoothed", ORANGE))))
    else:
        panels.append(Panel(PANEL_TITLES[0], message="no loss logged yet"))
    if known("lr"):
        panels.append(Panel(PANEL_TITLES[1], xs, (Line("lr", BLUE, ys(d["lr"])),),
                            latest=_fmt(_last_finite(cols.get("lr") or ()), ".2e")))
    else:
        panels.append(Panel(PANEL_TITLES[1], message="no learning rate logged yet"))

    gpu = (
        (PANEL_TITLES[2], (("peak", BLUE, "vram_max"),), None, "vram_peak_mb", ",.0f", " MB"),
        (PANEL_TITLES[3], (("mean", BLUE, "util"),), (0.0, 100.0), "util_pct", ".0f", " %"),
        (PANEL_TITLES[4], (("max", DIM_ORANGE, "power_hi_max"), ("min", DIM_ORANGE, "power_lo_min"),
                           ("mean", ORANGE, "power")), None, "power_mean_w", ",.0f", " W"),
        (PANEL_TITLES[5], (("max", RED, "temp_max"),), None, "temp_max_c", ".0f", " °C"),
    )
    for title, spec, ylim, column, fmt, unit in gpu:
        if has_gpu is False:
            panels.append(Panel(title, message=NO_GPU))
            continue
        if has_gpu is None:
            panels.append(Panel(title, message=WAITING_GPU))
            continue
        if not known(*(key for _, _, key in spec)):
            panels.append(Panel(title, message=NOT_REPORTED if n else "no step logged yet"))
            continue
        now = _last_finite(cols.get(column) or ())
        legend = (("mean", ORANGE), ("min/max", DIM_ORANGE)) if column == "power_mean_w" else ()
        panels.append(Panel(title, xs, tuple(Line(label, color, ys(d[key])) for label, color, key in spec),
                            ylim=ylim, latest=None if now is None else format(now, fmt) + unit, legend=legend))
    return panels


# ------------------------------------------------------------------ drawing


def _runs(x: Sequence[float], y: Sequence[float | None]) -> list[tuple[list[float], list[float]]]:
    """Contiguous stretches of finite points (unknown values end a stretch)."""
    out: list[tuple[list[float], list[float]]] = []
    cur_x: list[float] = []
    cur_y: list[float] = []
    for xv, yv in zip(x, y, strict=False):
        if yv is None or not math.isfinite(yv) or not math.isfinite(xv):
            if cur_x:
                out.append((cur_x, cur_y))
                cur_x, cur_y = [], []
            continue
        cur_x.append(float(xv))
        cur_y.append(float(yv))
    if cur_x:
        out.append((cur_x, cur_y))
    return out


def _nice_step(span: float, count: int) -> float:
    raw = span / max(1, count)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def compact(value: float) -> str:
    """1234 → '1.2k', 250000 → '250k' (step axis labels)."""
    v = abs(value)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            text = f"{value / div:.1f}".rstrip("0").rstrip(".")
            return text + suffix
    return f"{value:.0f}"


def step_ticks(lo: float, hi: float, width: int) -> tuple[list[float], list[str]]:
    """Whole-number step ticks about every 12 columns."""
    if hi <= lo:
        return [lo], [compact(lo)]
    step = max(1.0, _nice_step(hi - lo, max(2, width // 12)))
    first = math.ceil(lo / step) * step
    ticks = []
    t = first
    while t <= hi + 1e-9 and len(ticks) < 50:
        ticks.append(t)
        t += step
    return ticks, [compact(t) for t in ticks]


def value_ticks(lo: float, hi: float, count: int) -> tuple[list[float], list[str]]:
    """About ``count`` round ticks within [lo, hi] and labels that tell them apart:
    ``12,600`` rather than ``1.26e4``, ``2.5e-4`` for learning rates."""
    if not hi > lo:
        return [lo], [f"{lo:.3g}"]
    step = _nice_step(hi - lo, max(1, count))
    for _ in range(4):  # at least two labels on the axis
        first = math.ceil(lo / step - 1e-9) * step
        ticks = []
        t = first
        while t <= hi + step * 1e-9 and len(ticks) < 20:
            ticks.append(0.0 if abs(t) < step * 1e-9 else t)
            t += step
        if len(ticks) >= 2:
            break
        step /= 2
    big = max(abs(lo), abs(hi))
    if big >= 1e6:
        return ticks, [compact(t) if abs(t) >= 1000 else f"{t:.0f}" for t in ticks]
    sci = big < 1e-2 or step < 1e-4 * big
    # the fewest digits that show the step (0.25 needs two) and tell every tick apart
    digits = 0
    while digits < 6 and abs(round(step, digits) - step) > step * 1e-6:
        digits += 1
    for extra in range(7):
        if sci:
            labels = [f"{t:.{1 + extra}e}".replace("e-0", "e-").replace("e+0", "e") if t else "0" for t in ticks]
        else:
            labels = [f"{t:,.{digits + extra}f}" for t in ticks]
        if len(set(labels)) == len(labels):
            break
    return ticks, labels


def message_lines(text: str, width: int, height: int) -> list[str]:
    """``text`` centred in a width×height block (a panel with nothing to draw)."""
    width, height = max(1, width), max(1, height)
    if len(text) > width * height and ": " in text:
        text = text.split(": ", 1)[0]  # "no GPU in this run: not measured" → "no GPU in this run"
    body = textwrap.wrap(text, width) or [""]
    top = max(0, (height - len(body)) // 2)
    lines = [""] * top + [line.center(width) for line in body]
    lines += [""] * (height - len(lines))
    return [line.ljust(width) for line in lines[:height]]


def render_panel(panel: Panel, width: int, height: int, *, color: bool = True) -> str:
    """The panel's chart as text (ANSI colours unless ``color`` is False), ``width`` × ``height`` cells.
    Titles and legends are the caller's (a Rich panel title, a widget border)."""
    width, height = int(width), int(height)
    if not panel.drawable or width < 12 or height < 4:
        return "\n".join(message_lines(panel.message or "(too small to draw)", width, height))
    # plotext draws lines point to point on its canvas and allocates for the whole stretch: a
    # point far outside the axis range (or an absurd magnitude) aborts the process, so values
    # are clipped to the panel's fixed range and to ±LIMIT
    lo_clip, hi_clip = panel.ylim if panel.ylim is not None else (-LIMIT, LIMIT)
    clipped = [(line, Line(line.label, line.color, [None if v is None else min(hi_clip, max(lo_clip, v)) for v in line.y]))
               for line in panel.lines]
    runs = [(line, run) for line, safe in clipped for run in _runs(panel.x, safe.y)]
    runs = [(line, run) for line, run in runs if all(abs(x) <= LIMIT for x in run[0])]
    if not runs:
        return "\n".join(message_lines("nothing to draw yet", width, height))
    import plotext as plt

    xs = [v for _, (rx, _) in runs for v in rx]
    ys = [v for _, (_, ry) in runs for v in ry]
    lo, hi = (panel.ylim if panel.ylim is not None else (min(ys), max(ys)))
    if hi - lo < 1e-12 * max(1.0, abs(hi)):  # a flat line: give it room instead of a zero range
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    with _LOCK:
        fig = plt.figure
        fig.clear()
        plt.terminal.limit(False, False)  # our size, not the size of the terminal plotext runs in
        fig.theme("simple")
        fig.plot_size(width, height)
        for line, (rx, ry) in runs:
            signal = fig.signal(rx, ry, marker=plt.marker("braille", pixel=plt.pixel(foreground=line.color)))
            if len(rx) > 1:
                signal.lines()
            fig.draw(signal)
        positions, labels = step_ticks(min(xs), max(xs), width)
        fig.ruler("x").ticks(positions, labels)
        fig.ruler("y").lim(lo, hi)
        fig.ruler("y").ticks(*value_ticks(lo, hi, max(2, min(5, (height - 2) // 2))))
        if min(xs) == max(xs):
            fig.ruler("x").lim(min(xs) - 1, max(xs) + 1)
        text = fig.build().string(colorless=not color)
        fig.clear()
    lines = text.rstrip("\n").split("\n")[:height]
    return "\n".join(lines + [" " * width] * (height - len(lines)))


__all__ = ["GPU_PANELS", "NO_GPU", "Line", "Panel", "compact", "message_lines", "panels_from_columns",
           "render_panel", "step_ticks"]
