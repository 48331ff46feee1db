"""The terminal charts: the six panels from history-style columns, and drawing that never
hands plotext a number it cannot take (its C++ kernel aborts the process on a NaN)."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aegis_cli.report.charts import PANEL_TITLES
from aegis_cli.report.plots import (
    NO_GPU,
    NOT_REPORTED,
    WAITING_GPU,
    message_lines,
    panels_from_columns,
    render_panel,
)


def columns(n: int, *, gpu: bool) -> dict[str, list]:
    cols: dict[str, list] = {"step": [10 * (i + 1) for i in range(n)],
                             "loss": [6.0 - i * 0.01 for i in range(n)], "lr": [1e-3 * (1 - i / n) for i in range(n)]}
    for key in ("vram_peak_mb", "util_pct", "power_min_w", "power_mean_w", "power_max_w", "temp_max_c"):
        cols[key] = [None] * n
    if gpu:
        cols.update(vram_peak_mb=[12000.0 + i for i in range(n)], util_pct=[90.0] * n, power_min_w=[300.0] * n,
                    power_mean_w=[400.0] * n, power_max_w=[500.0] * n, temp_max_c=[60.0 + i % 3 for i in range(n)])
    return cols


def test_six_panels_in_the_order_of_telemetry_png():
    panels = panels_from_columns(columns(30, gpu=True), has_gpu=True)
    assert [p.title for p in panels] == list(PANEL_TITLES)
    assert all(p.drawable for p in panels)
    loss = panels[0]
    assert [line.label for line in loss.lines] == ["raw", "smoothed"]
    assert loss.latest == "5.7100"
    power = panels[4]
    assert {line.label for line in power.lines} == {"mean", "min", "max"}
    assert panels[2].latest == "12,029 MB"


def test_without_a_gpu_the_gpu_panels_say_so_and_draw_nothing():
    panels = panels_from_columns(columns(30, gpu=False), has_gpu=False)
    assert [p.message for p in panels[2:]] == [NO_GPU] * 4
    assert all(not p.lines for p in panels[2:])
    text = render_panel(panels[3], 40, 6, color=False)
    assert "no GPU in this run" in text and "0" not in text  # a message, not a line of zeros


def test_gpu_figures_unknown_or_run_not_started():
    assert {p.message for p in panels_from_columns(columns(5, gpu=False), has_gpu=None)[2:]} == {WAITING_GPU}
    assert {p.message for p in panels_from_columns(columns(5, gpu=False), has_gpu=True)[2:]} == {NOT_REPORTED}
    empty = panels_from_columns({}, has_gpu=None)
    assert empty[0].message == "no loss logged yet"


def test_long_runs_are_bucketed_and_keep_spikes():
    n = 10_000
    cols = columns(n, gpu=False)
    cols["loss"][5000] = 50.0  # one spike
    panels = panels_from_columns(cols, has_gpu=False, max_points=100)
    loss = panels[0]
    assert len(loss.x) <= 100
    raw_max = next(line for line in loss.lines if line.label == "raw max")
    assert max(v for v in raw_max.y if v is not None) == 50.0


def test_chart_fills_the_requested_size():
    panel = panels_from_columns(columns(40, gpu=False), has_gpu=False)[0]
    text = render_panel(panel, 50, 12, color=False)
    lines = text.split("\n")
    assert len(lines) == 12
    assert max(len(line) for line in lines) <= 50
    assert any(ch in text for ch in "⠁⠂⠄⡀⢀⠈⠐⠠") and "┤" in text  # braille points and a y axis
    assert "400" in text  # the last step on the x axis


def test_message_lines_fit_any_box():
    assert message_lines(NO_GPU, 20, 1) == [" no GPU in this run "]  # centred, the reason dropped to fit
    block = message_lines("nothing", 11, 3)
    assert block == ["           ", "  nothing  ", "           "]


finite_or_not = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                          st.floats(min_value=-1e12, max_value=1e12), st.just(0.0))


@settings(max_examples=60, deadline=None)
@given(values=st.lists(finite_or_not, min_size=0, max_size=40), width=st.integers(0, 90), height=st.integers(0, 20))
@example(values=[8.98846567431158e+307, None, None], width=0, height=0)  # a bucket mean overflowed to inf
@example(values=[1.7976931348623157e+308, None, None, None, None], width=0, height=0)
def test_any_values_draw_without_crashing(values, width, height):
    n = len(values)
    cols = {"step": list(range(1, n + 1)), "loss": values, "lr": list(reversed(values)),
            "util_pct": values, "power_min_w": values, "power_mean_w": values, "power_max_w": values,
            "temp_max_c": values, "vram_peak_mb": values}
    for panel in panels_from_columns(cols, has_gpu=True, max_points=max(2, width)):
        for line in panel.lines:
            assert all(v is None or math.isfinite(v) for v in line.y)
        text = render_panel(panel, width, height, color=False)
        assert isinstance(text, str)


def test_modules_import_neither_torch_nor_textual_nor_plotext():
    code = ("import sys, aegis_cli.report.plots, aegis_cli.report.browse, aegis_cli.tui.train_state, "
            "aegis_cli.cli.report; "
            "print(','.join(sorted(m for m in ('torch', 'textual', 'transformers', 'matplotlib', 'plotext') "
            "if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_values_become_gaps(bad):
    cols = columns(10, gpu=False)
    cols["loss"][4] = bad
    loss = panels_from_columns(cols, has_gpu=False)[0]
    assert loss.lines[0].y[4] is None
    render_panel(loss, 40, 8)  # would abort the process if a NaN reached plotext


@pytest.mark.parametrize(("lo", "hi", "labels"), [
    (12_600, 13_000, ["12,600", "12,800", "13,000"]),  # not 1.26e4
    (5.84, 6.49, ["6.00", "6.25"]),  # enough digits for the step
    (2e-7, 3e-3, ["1.0e-3", "2.0e-3", "3.0e-3"]),  # learning rates
    (0, 100, ["0", "50", "100"]),
    (5.0, 5.0001, ["5.00000e0", "5.00005e0", "5.00010e0"]),  # every label different
])
def test_axis_labels_are_readable_and_distinct(lo, hi, labels):
    from aegis_cli.report.plots import value_ticks

    assert value_ticks(lo, hi, 3)[1] == labels


def test_step_axis_uses_whole_steps():
    from aegis_cli.report.plots import step_ticks

    assert step_ticks(10, 200, 60) == ([50.0, 100.0, 150.0, 200.0], ["50", "100", "150", "200"])
    assert step_ticks(0, 250_000, 40)[1] == ["0", "100k", "200k"]
