"""telemetry.png: six panels drawn from history.json with matplotlib (Agg, no display).

1. training loss, raw (gray) and smoothed (orange); 2. learning rate; 3. peak VRAM;
4. GPU utilization; 5. power draw, the interval average with the interval's min/max
shaded; 6. temperature. Without GPU figures, panels 3-6 say so instead of drawing
zeros. Long histories are reduced to at most ``max_points`` buckets per series (the raw
loss keeps each bucket's min/max band so spikes stay visible), which keeps a
100,000-step chart readable and fast.

Uses the object-oriented API only (``Figure`` + Agg canvas, never pyplot), so it is safe
to call from a worker thread while training runs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

PANEL_TITLES = (
    "Training loss",
    "Learning rate",
    "Peak VRAM (MB)",
    "GPU utilization (%)",
    "Power draw (W)",
    "Temperature (°C)",
)
MAX_POINTS = 1500
_GRAY, _ORANGE, _BLUE = "#9e9e9e", "#f28e2b", "#4e79a7"


def _series(cols: dict[str, list[Any]], key: str, n: int):
    """A float array of one column; None (unknown) becomes NaN, so it is a gap, never a 0."""
    import numpy as np

    values = cols.get(key)
    if values is None:
        return np.full(n, np.nan)
    try:
        return np.array(values, dtype=float)  # None → nan
    except (TypeError, ValueError):
        return np.array([_f(v) for v in values], dtype=float)


def _f(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return math.nan


def ema(values, alpha: float | None = None):
    """Exponential moving average that skips NaN (gaps stay gaps)."""
    import numpy as np

    n = len(values)
    if alpha is None:
        alpha = 2.0 / (max(5.0, n / 40.0) + 1.0)
    out = np.full(n, np.nan)
    acc = math.nan
    for i, v in enumerate(values.tolist()):
        if v == v:  # not NaN
            acc = v if acc != acc else alpha * v + (1 - alpha) * acc
        out[i] = acc
    return out


def _bucket_mean(b):
    """Row means ignoring NaN (an all-NaN row is NaN), computed on values scaled by the row's
    largest magnitude so that huge finite values (a diverged loss near the float maximum)
    never overflow to inf: the mean of the scaled row lies in [-1, 1]."""
    import numpy as np

    count = np.sum(~np.isnan(b), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.nanmax(np.abs(b), axis=1)
        scale = np.where(scale > 0, scale, 1.0)
        mean = scale * (np.nansum(b / scale[:, None], axis=1) / count)
    return np.where(count > 0, mean, np.nan)


def downsample(x, ys: dict[str, Any], max_points: int = MAX_POINTS):
    """Bucket means (and ``<key>_min`` / ``<key>_max``) of each series; x is the bucket mean step."""
    import numpy as np

    n = len(x)
    if n <= max_points:
        out = {k: v for k, v in ys.items()}
        for k, v in ys.items():
            out[k + "_min"] = v
            out[k + "_max"] = v
        return x, out
    size = math.ceil(n / max_points)
    pad = (-n) % size

    def buckets(a):
        a = np.concatenate([a.astype(float), np.full(pad, np.nan)]) if pad else a.astype(float)
        return a.reshape(-1, size)

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)  # all-NaN buckets are gaps
        xb = _bucket_mean(buckets(np.asarray(x, dtype=float)))
        out = {}
        for k, v in ys.items():
            b = buckets(v)
            out[k] = _bucket_mean(b)
            out[k + "_min"] = np.nanmin(b, axis=1)
            out[k + "_max"] = np.nanmax(b, axis=1)
    return xb, out


def build_figure(history: dict[str, Any], *, max_points: int = MAX_POINTS):
    """The six-panel matplotlib Figure (not saved)."""
    import numpy as np
    from matplotlib.figure import Figure

    cols = history.get("entries") or {}
    n = len(cols.get("step") or [])
    has_gpu = bool((history.get("hardware") or {}).get("gpus"))
    steps = _series(cols, "step", n)
    raw = {
        "loss": _series(cols, "loss", n),
        "lr": _series(cols, "lr", n),
        "vram_peak": _series(cols, "vram_peak_mb", n),
        "vram_mean": _series(cols, "vram_mean_mb", n),
        "util": _series(cols, "util_pct", n),
        "power": _series(cols, "power_mean_w", n),
        "power_lo": _series(cols, "power_min_w", n),
        "power_hi": _series(cols, "power_max_w", n),
        "temp": _series(cols, "temp_max_c", n),
    }
    raw["loss_smooth"] = ema(raw["loss"]) if n else raw["loss"]
    x, d = downsample(steps, raw, max_points)

    fig = Figure(figsize=(14, 10), dpi=100)
    # fixed margins: constrained layout re-measures every text and doubles the drawing time
    fig.subplots_adjust(left=0.055, right=0.985, top=0.93, bottom=0.06, hspace=0.3, wspace=0.13)
    axes = fig.subplots(3, 2).flatten()
    project = history.get("project_name") or ""
    status = str(history.get("status") or "").upper()
    fig.suptitle(f"{project}: training telemetry ({status}, {n:,} logged steps)", fontsize=13)

    def empty(ax, text):
        ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#666666", fontsize=11)
        ax.set_xticks([])
        ax.set_yticks([])

    ax = axes[0]
    ax.set_title(PANEL_TITLES[0])
    if np.isfinite(d["loss"]).any():
        if n > max_points:
            ax.fill_between(x, d["loss_min"], d["loss_max"], color=_GRAY, alpha=0.35, linewidth=0, label="raw (min-max)")
        ax.plot(x, d["loss"], color=_GRAY, linewidth=0.8, label="raw")
        ax.plot(x, d["loss_smooth"], color=_ORANGE, linewidth=1.8, label="smoothed")
        ax.legend(loc="upper right", fontsize=8)
    else:
        empty(ax, "no loss logged yet")

    ax = axes[1]
    ax.set_title(PANEL_TITLES[1])
    if np.isfinite(d["lr"]).any():
        ax.plot(x, d["lr"], color=_BLUE, linewidth=1.4)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    else:
        empty(ax, "no learning rate logged yet")

    gpu_panels = (
        (axes[2], PANEL_TITLES[2], [("vram_peak", "peak per interval", _BLUE), ("vram_mean", "mean of per-step peaks", _GRAY)]),
        (axes[3], PANEL_TITLES[3], [("util", "mean", _BLUE)]),
        (axes[4], PANEL_TITLES[4], [("power", "mean", _ORANGE)]),
        (axes[5], PANEL_TITLES[5], [("temp", "max", "#e15759")]),
    )
    for ax, title, lines in gpu_panels:
        ax.set_title(title)
        if not has_gpu:
            empty(ax, "no GPU in this run: not measured")
            continue
        if not any(np.isfinite(d[key]).any() for key, _, _ in lines):
            empty(ax, "not reported by the GPU")
            continue
        if title == PANEL_TITLES[4] and np.isfinite(d["power_lo"]).any():
            ax.fill_between(x, d["power_lo_min"], d["power_hi_max"], color=_ORANGE, alpha=0.2, linewidth=0, label="min-max")
        for key, label, color in lines:
            # a bucket of intervals keeps its highest peak / temperature, and its mean of means
            series = d[key + "_max"] if key in ("vram_peak", "temp") else d[key]
            ax.plot(x, series, color=color, linewidth=1.3, label=label)
        if title == PANEL_TITLES[3]:
            ax.set_ylim(0, 105)
        if len(lines) > 1 or title == PANEL_TITLES[4]:
            ax.legend(loc="lower right", fontsize=8)
    for ax in axes[4:]:
        ax.set_xlabel("optimizer step")
    for ax in axes:
        ax.grid(True, alpha=0.25)
    return fig


def render_png(history: dict[str, Any], path: str | Path, *, max_points: int = MAX_POINTS) -> Path:
    """Draw the chart and write it atomically to ``path``."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from aegis_cli.fsutil import atomic_write_bytes

    fig = build_figure(history, max_points=max_points)
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write_bytes(Path(path), buf.getvalue(), fsync=False)
    return Path(path)
