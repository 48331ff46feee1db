"""The scan dashboard driven by events published on a real EventBus (Pilot tests)."""

from __future__ import annotations

import threading
import time
from contextlib import asynccontextmanager

import pytest
from rich.console import Console

from aegis_cli.scan.findings import Finding
from aegis_cli.scan.result import ScanResult
from aegis_cli.telemetry.bus import EventBus
from aegis_cli.telemetry.events import (
    FindingFound,
    HardwareSample,
    ModelCall,
    ModelCompleted,
    ModelFailed,
    ModelLoading,
    ModelStarted,
    RunStarted,
    ScanProgress,
)
from aegis_cli.tui.scan_app import ScanDashboard, dashboard_outcome
from aegis_cli.tui.screens import ExportScreen, HelpScreen
from aegis_cli.tui.widgets.badges import BadgeRow
from aegis_cli.tui.widgets.event_log import EventLog
from aegis_cli.tui.widgets.finding_detail import FindingDetail
from aegis_cli.tui.widgets.findings_table import FindingsTable
from aegis_cli.tui.widgets.hardware_strip import HardwareStrip
from aegis_cli.tui.widgets.model_panel import ModelPanel
from aegis_cli.tui.widgets.stat_grid import StatGrid
from aegis_cli.tui.widgets.token_breakdown import TokenBreakdown

from .helpers import screen_text, wait_for

pytestmark = pytest.mark.anyio

SIZE = (120, 50)
#: most tests look at what is drawn, not when: no redraw CPU budget (one test checks it)
FAST = {"redraw_cpu_budget": 1.0}


class GatedJob:
    """A scan job that runs until the test releases it (the test publishes the events)."""

    def __init__(self, result: ScanResult | None = None, error: BaseException | None = None):
        self.release = threading.Event()
        self.result = result or ScanResult(target="t", findings=[], models=[])
        self.error = error

    def __call__(self) -> ScanResult:
        assert self.release.wait(10), "test never released the job"
        if self.error is not None:
            raise self.error
        return self.result


@asynccontextmanager
async def drive(app: ScanDashboard, job: GatedJob, size=SIZE, **kwargs):
    """run_test, releasing the job however the test ends (a failed assert must not hang the job)."""
    try:
        async with app.run_test(size=size, **kwargs) as pilot:
            yield pilot
    finally:
        job.release.set()


@pytest.fixture
def bus():
    b = EventBus()
    yield b
    b.close(timeout=5)


def started(model_id="m1", name="codebert-base", device="cuda:0", provider="hf", **kw):
    values = {"vram_mb": 2048.0, "load_time_ms": 3421.0, "quantization": "int8", "precision": "bf16"}
    values.update(kw)
    return ModelStarted(model_id=model_id, name=name, provider=provider, device=device, **values)


def stats_of(panel: ModelPanel) -> dict[str, str]:
    return {s.label: s.value for group in panel.query_one(StatGrid).groups for s in group}


def finding(path, severity, line=3, message="flaw", confidence=0.8, cwe="CWE-89"):
    return Finding(path=path, start_line=line, end_line=line + 1, cwe=cwe, severity=severity,
                   confidence=confidence, message=message, snippet="x = 1\ny = 2", models=["codebert-base"])


def plain(renderable, width=100) -> str:
    console = Console(width=width, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text()


async def test_panel_badges_appear_only_after_model_started(bus):
    job = GatedJob()
    app = ScanDashboard(bus, job, title="scan", **FAST)
    async with drive(app, job, SIZE) as pilot:
        bus.publish(RunStarted(run_id="r", kind="scan", meta={"target": "x.zip", "models": ["codebert-base"]}))
        bus.publish(ModelLoading(model_id="m1", name="codebert-base"))
        await wait_for(pilot, lambda: app.query(ModelPanel) and app.query_one(ModelPanel).has_class("-loading"))
        panel = app.query_one(ModelPanel)
        badges = panel.query_one(BadgeRow)
        assert badges.badges == ()  # no device badge (no badge at all) while loading
        assert "loading model" in screen_text(app)

        bus.publish(started())
        await wait_for(pilot, lambda: badges.badges)
        assert badges.badges == (("CUDA:0", "cuda"), ("BF16", "precision"), ("INT8", "quant"))
        assert " CUDA:0   BF16   INT8 " in screen_text(app)
        stats = stats_of(panel)
        # before the first call: zeros (not N/A, not blank) and the hint
        assert stats["Calls"] == "0" and stats["Avg Latency"] == "0 ms" and stats["Tokens"] == "0"
        assert "Speed" not in stats  # not measured yet
        assert stats["VRAM"] == "2,048 MB" and stats["Load Time"] == "3,421 ms"
        assert "waiting for first chunk" in screen_text(app)
        job.release.set()


async def test_stats_follow_model_calls_and_status_follows_completion(bus):
    job = GatedJob()
    statuses: list[tuple[str, str]] = []

    def hook(message):
        if isinstance(message, ModelPanel.StatusChanged):
            statuses.append((message.model_id, message.status))

    app = ScanDashboard(bus, job, title="scan", **FAST)
    async with drive(app, job, SIZE, message_hook=hook) as pilot:
        bus.publish(ModelLoading(model_id="m1", name="codebert-base"))
        bus.publish(started())
        bus.publish(ModelCall(model_id="m1", latency_ms=40.0, input_tokens=3000, output_tokens=0, items=8))
        bus.publish(ModelCall(model_id="m1", latency_ms=60.0, input_tokens=2000, output_tokens=0, items=8))
        await wait_for(pilot, lambda: app.query(ModelPanel) and stats_of(app.query_one(ModelPanel)).get("Calls") == "2")
        panel = app.query_one(ModelPanel)
        stats = stats_of(panel)
        assert stats["Avg Latency"] == "50.0 ms"
        assert stats["Tokens"] == "5,000"
        assert stats["Speed"] == "50,000.0 tok/s processed"  # 5000 tokens / 0.1 s of calls
        tokens = panel.query_one(TokenBreakdown)
        assert (tokens.input_tokens, tokens.output_tokens) == (5000, 0)
        assert "Input: 5,000 tokens │ Output: 0 tokens" in screen_text(app)
        assert "waiting for first chunk" not in screen_text(app)

        bus.publish(ModelCompleted(model_id="m1", calls=2, avg_latency_ms=50.0, findings=4, input_tokens=5000,
                                   output_tokens=0, total_tokens=5000, tokens_per_s=48000.0, elapsed_ms=104.0))
        await wait_for(pilot, lambda: panel.has_class("-completed"))
        assert stats_of(panel)["Findings"] == "4"
        assert stats_of(panel)["Speed"] == "48,000.0 tok/s processed"  # the pipeline's figure wins
        assert "✓ completed" in screen_text(app)
        assert "[SUCCESS] Model completed: codebert-base (104ms, 4 findings, 5000 tokens, 48000.0 tok/s)" \
            in screen_text(app)

        bus.publish(ModelLoading(model_id="m2", name="remote-llm", provider="http"))
        bus.publish(started("m2", "remote-llm", device=None, provider="http", vram_mb=None, precision=None,
                            quantization=None))
        bus.publish(ModelFailed(model_id="m2", error="HTTP 503 [bold red]pwned[/]"))
        await wait_for(pilot, lambda: ("m2", "failed") in statuses)
        failed = next(p for p in app.query(ModelPanel) if p.model_id == "m2")
        assert failed.query_one(BadgeRow).labels == ["REMOTE"]
        assert "VRAM" not in stats_of(failed)
        text = screen_text(app)
        assert "[ERROR] Model failed: remote-llm (HTTP 503 [bold red]pwned[/])" in text
        job.release.set()
    # (loading and started arrived within one redraw: coalesced into "running")
    assert statuses.index(("m1", "running")) < statuses.index(("m1", "completed"))


async def test_cpu_model_shows_cpu_badge_without_vram_and_generative_speed_label(bus):
    job = GatedJob()
    app = ScanDashboard(bus, job, title="scan", **FAST)
    async with drive(app, job, SIZE) as pilot:
        bus.publish(started("c", "tiny-cpu", device="cpu", vram_mb=None, quantization=None, precision="fp32"))
        bus.publish(started("g", "tiny-gen", device="mps", vram_mb=None, quantization="int4", precision="fp16"))
        bus.publish(ModelCall(model_id="g", latency_ms=500.0, input_tokens=900, output_tokens=100, items=1))
        bus.publish(HardwareSample(cpu_pct=55.0, rss_mb=900.0, ram_used_mb=4096.0, ram_total_mb=16384.0))
        await wait_for(pilot, lambda: len(app.query(ModelPanel)) == 2 and app.query_one(HardwareStrip).sample)
        await wait_for(pilot, lambda: stats_of(next(p for p in app.query(ModelPanel) if p.model_id == "g"))
                       .get("Calls") == "1")
        cpu, gen = sorted(app.query(ModelPanel), key=lambda p: p.model_id)
        assert cpu.query_one(BadgeRow).badges == (("CPU", "cpu"), ("FP32", "precision"))
        assert "VRAM" not in stats_of(cpu) and stats_of(cpu)["Load Time"] == "3,421 ms"
        assert gen.query_one(BadgeRow).labels == ["MPS", "FP16", "INT4"]
        assert stats_of(gen)["Speed"] == "200.0 generated tok/s"  # 100 generated tokens in 0.5 s
        text = screen_text(app)
        assert "CPU 55%" in text and "RAM 4.0/16.0 GB" in text and "GPU" not in text.split("\n")[2]
        job.release.set()


async def test_lossless_under_a_burst_and_redraws_are_coalesced(bus):
    job = GatedJob()
    app = ScanDashboard(bus, job, title="scan")  # the product's redraw budget
    async with drive(app, job, SIZE) as pilot:
        bus.publish(started())
        for _ in range(5000):
            bus.publish(ModelCall(model_id="m1", latency_ms=1.0, input_tokens=10, output_tokens=0, items=1))
        bus.publish(ModelCompleted(model_id="m1", calls=5000, avg_latency_ms=1.0, findings=0, input_tokens=50000,
                                   output_tokens=0, total_tokens=50000, tokens_per_s=10000.0))
        await wait_for(pilot, lambda: app.query(ModelPanel) and app.query_one(ModelPanel).has_class("-completed"))
        assert stats_of(app.query_one(ModelPanel))["Calls"] == "5,000"
        assert app.state.version >= 5002  # every event reached the state …
        assert app.redraws < 60  # … but the screen was drawn a handful of times
        job.release.set()


def _result_with_sources():
    findings = [
        finding("app/db.py", "critical", line=6, message="SQL built from input [bold red]pwned[/]", confidence=0.7),
        finding("web/[link=x]a.js", "high", line=2, confidence=0.95),
        finding("app/util.py", "low", line=1, confidence=0.5),
        finding("app/old.py", "medium", line=4, confidence=0.6),
    ]
    sources = {"app/db.py": "\n".join(f"line {i}" for i in range(1, 13)),
               "web/[link=x]a.js": "a\nel.innerHTML = x;\nb\n"}
    return ScanResult(target="t", findings=findings, models=[], sources=sources)


async def test_filter_sort_and_selection_show_the_code(bus):
    result = _result_with_sources()
    job = GatedJob(result)
    app = ScanDashboard(bus, job, title="scan", **FAST)
    async with drive(app, job, SIZE) as pilot:
        # during the scan the table shows live findings and the model's snippet
        bus.publish(FindingFound(finding=result.findings[0].to_dict()))
        table = app.query_one(FindingsTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        detail = app.query_one(FindingDetail)
        await wait_for(pilot, lambda: detail.finding is not None)
        assert "the model's snippet" in detail.text

        bus.publish(FindingFound(finding=result.findings[2].to_dict()))  # low: sorts below, cursor stays
        await wait_for(pilot, lambda: table.row_count == 2)
        table.move_cursor(row=1)
        await wait_for(pilot, lambda: detail.finding["path"] == "app/util.py")

        job.release.set()
        await wait_for(pilot, lambda: app.job_done and table.row_count == 4)
        assert [table.findings[i]["severity"] for i in table.shown] == ["critical", "high", "medium", "low"]
        # the result replaces the live rows: cursor and code view start again at the top
        await wait_for(pilot, lambda: detail.finding["path"] == "app/db.py")
        assert table.cursor_row == 0
        await pilot.press("f")  # critical only
        assert table.row_count == 1
        await pilot.press("f")  # high and worse
        assert [table.findings[i]["severity"] for i in table.shown] == ["critical", "high"]
        for _ in range(3):
            await pilot.press("f")  # medium+, low+, back to all
        assert table.min_severity is None and table.row_count == 4

        await pilot.press("s")  # by file
        assert [table.findings[i]["path"] for i in table.shown][:2] == ["app/db.py", "app/old.py"]
        await pilot.press("s")  # by confidence
        assert [table.findings[i]["confidence"] for i in table.shown] == [0.95, 0.7, 0.6, 0.5]
        await pilot.press("s")
        assert table.sort_by == "severity"

        table.move_cursor(row=0)
        await wait_for(pilot, lambda: detail.finding and detail.finding["path"] == "app/db.py")
        text = detail.text
        # the file's own lines around the finding, flagged lines marked
        assert "▶  6 line 6" in text and "▶  7 line 7" in text and "   3 line 3" in text
        assert "the model's snippet" not in text
        assert "SQL built from input [bold red]pwned[/]" in text  # shown literally, not as markup
        await pilot.press("down")
        await wait_for(pilot, lambda: detail.finding["path"] == "web/[link=x]a.js")
        assert "▶ 2 el.innerHTML = x;" in detail.text
        assert "web/[link=x]a.js:2-3" in screen_text(app)


async def test_quit_twice_while_running_cancels_and_reports_interrupt(bus):
    job = GatedJob()
    cancel = threading.Event()
    app = ScanDashboard(bus, job, title="scan", cancel=cancel, **FAST)
    async with drive(app, job, SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and not cancel.is_set()
        await pilot.press("q")
        await pilot.pause()
        assert cancel.is_set()
        job.release.set()
    assert app.abandoned
    with pytest.raises(KeyboardInterrupt):
        dashboard_outcome(app)


async def test_ctrl_c_interrupts_at_once(bus):
    job = GatedJob()
    cancel = threading.Event()
    app = ScanDashboard(bus, job, title="scan", cancel=cancel, **FAST)
    async with drive(app, job) as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert cancel.is_set()
    with pytest.raises(KeyboardInterrupt):
        dashboard_outcome(app)


async def test_stays_open_after_the_job_and_quit_returns_the_result(bus):
    result = _result_with_sources()
    job = GatedJob(result)
    app = ScanDashboard(bus, job, title="scan", **FAST)
    async with drive(app, job, SIZE) as pilot:
        job.release.set()
        await wait_for(pilot, lambda: app.job_done)
        await pilot.pause(0.3)
        assert app.is_running  # still open for browsing
        assert "completed" in screen_text(app).split("\n")[0]
        await pilot.press("q")
        await pilot.pause()
    assert dashboard_outcome(app) is result


async def test_a_failing_job_closes_the_app_and_its_error_is_raised(bus):
    job = GatedJob(error=ValueError("bad target"))
    app = ScanDashboard(bus, job, title="scan", **FAST)
    async with drive(app, job, SIZE) as pilot:
        job.release.set()
        await wait_for(pilot, lambda: app.job_done)
        await pilot.pause()
    with pytest.raises(ValueError, match="bad target"):
        dashboard_outcome(app)


async def test_export_chooser_calls_export_with_the_format(bus, tmp_path):
    result = _result_with_sources()
    calls: list[str] = []

    def export(r: ScanResult, fmt: str) -> str:
        assert r is result
        path = tmp_path / f"out.{fmt}"
        path.write_text("x")
        calls.append(fmt)
        return str(path)

    job = GatedJob(result)
    app = ScanDashboard(bus, job, title="scan", export=export, **FAST)
    async with drive(app, job, SIZE) as pilot:
        await pilot.press("e")  # not yet: the scan still runs
        assert not isinstance(app.screen, ExportScreen)
        job.release.set()
        await wait_for(pilot, lambda: app.job_done)
        await pilot.press("e")
        assert isinstance(app.screen, ExportScreen)
        await pilot.press("down", "enter")  # second option: sarif
        await wait_for(pilot, lambda: calls == ["sarif"])
        assert not isinstance(app.screen, ExportScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


@pytest.mark.parametrize(("width", "columns"), [(60, 2), (100, 3), (120, 4), (160, 5)])
async def test_stat_grid_columns_follow_the_terminal_width(bus, width, columns):
    job = GatedJob()
    app = ScanDashboard(bus, job, title="scan", **FAST)
    async with drive(app, job, (width, 50)) as pilot:
        bus.publish(started())
        await wait_for(pilot, lambda: bool(app.query(ModelPanel)))
        await pilot.pause()
        assert app.query_one(ModelPanel).query_one(StatGrid).columns == columns
        job.release.set()


async def test_log_shows_the_plain_output_lines(bus):
    job = GatedJob()
    app = ScanDashboard(bus, job, title="scan", **FAST)
    async with drive(app, job, (160, 50)) as pilot:
        bus.publish(started("m1", "codebert-base", device="cuda:0", vram_mb=2048.0, load_time_ms=3421.0))
        bus.publish(started("m2", "tiny", device="cpu", vram_mb=None, load_time_ms=120.4))
        bus.publish(ScanProgress(done=3, total=10, unit="files"))
        log = app.query_one(EventLog)
        await wait_for(pilot, lambda: log.lines_written >= 2)
        text = screen_text(app)
        assert "[INFO] Model started: codebert-base on cuda:0 (2048MB VRAM, loaded in 3421ms)" in text
        assert "[INFO] Model started: tiny on cpu (loaded in 120ms)" in text
        job.release.set()


async def test_redraws_back_off_when_drawing_costs_cpu_but_never_go_stale(bus):
    job = GatedJob()
    app = ScanDashboard(bus, job, title="scan", redraw_cpu_budget=0.01, max_stale_s=4.0)
    async with drive(app, job) as pilot:
        await wait_for(pilot, lambda: app.job_started)
        bus.publish(started())
        # the scan's first news is drawn at once, whatever the budget
        await wait_for(pilot, lambda: app.redraws_in_scan == 1 and "Load Time" in stats_of(app.query_one(ModelPanel)))
        await pilot.pause(0.3)
        # the dashboard's thread burns 100 ms of CPU, then there is something new to draw
        end = time.thread_time() + 0.1
        while time.thread_time() < end:
            pass
        before = app.redraws
        bus.publish(ModelCall(model_id="m1", latency_ms=5.0, input_tokens=10, output_tokens=0, items=1))
        await wait_for(pilot, lambda: app.state.version >= 2)
        await pilot.pause(0.5)
        assert app.redraws == before  # 100 ms of CPU in under 4 s is over a 1 % budget: not yet
        await wait_for(pilot, lambda: app.redraws > before, timeout=8.0)  # … but within max_stale_s
        assert stats_of(app.query_one(ModelPanel))["Calls"] == "1"


async def test_first_panel_is_built_before_the_scan_starts_and_the_first_model_takes_it(bus):
    """The screen, with one empty model panel, is on screen before the job starts (building
    it does not compete with the scan); the first model to report takes that panel over, a
    second model gets a new one."""
    gate = GatedJob()
    at_start: dict = {}
    app: ScanDashboard

    def job() -> ScanResult:
        panels = list(app.query(ModelPanel))
        at_start.update(panels=panels, pending=[p.has_class("-pending") for p in panels],
                        mounted=[p.is_mounted for p in panels], regions=[p.region for p in panels])
        return gate()

    app = ScanDashboard(bus, job, title="scan", **FAST)
    async with drive(app, gate, SIZE) as pilot:
        await wait_for(pilot, lambda: "panels" in at_start)
        assert at_start["pending"] == [True] and at_start["mounted"] == [True]
        assert at_start["regions"][0].height > 0 and at_start["regions"][0].width > 0  # laid out and drawn
        built = at_start["panels"][0]
        assert "waiting for the first model" in screen_text(app)
        bus.publish(ModelLoading(model_id="m1", name="codebert-base"))
        await wait_for(pilot, lambda: built.has_class("-loading"))
        assert list(app.query(ModelPanel)) == [built] and not built.has_class("-pending") and built.model_id == "m1"
        assert "codebert-base" in screen_text(app) and "waiting for the first model" not in screen_text(app)
        bus.publish(ModelLoading(model_id="m2", name="other-model"))
        await wait_for(pilot, lambda: len(app.query(ModelPanel)) == 2)
        assert [p.model_id for p in app.query(ModelPanel)] == ["m1", "m2"]
        gate.release.set()


async def test_a_scan_where_no_model_reported_leaves_no_empty_panel(bus):
    job = GatedJob()
    app = ScanDashboard(bus, job, title="scan", **FAST)
    async with drive(app, job, SIZE) as pilot:
        job.release.set()
        await wait_for(pilot, lambda: app.job_done)
        await wait_for(pilot, lambda: not app.query(ModelPanel))
        assert "waiting for the first model" not in screen_text(app)


async def test_the_scan_starts_once_the_screen_is_settled(bus):
    """Textual keeps building the screen for a few frames after the first (focus moves to the
    table, the footer rebuilds its keys for it); the job starts after that, so that work does
    not compete with the scan: the footer the job starts with is the one that stays."""
    gate = GatedJob()
    at_start: dict = {}
    app: ScanDashboard

    def job() -> ScanResult:
        at_start.update(keys=list(app.query("FooterKey")), focused=type(app.focused).__name__)
        return gate()

    app = ScanDashboard(bus, job, title="scan", **FAST)
    async with drive(app, gate, SIZE) as pilot:
        await wait_for(pilot, lambda: "keys" in at_start)
        await pilot.pause(0.3)
        assert len(at_start["keys"]) >= 5 and at_start["focused"] == "FindingsTable"
        assert list(app.query("FooterKey")) == at_start["keys"]


@pytest.mark.parametrize("width", [60, 100, 160])
async def test_a_typical_model_fills_the_first_panel_without_moving_the_screen(bus, width):
    """The panel built before the scan keeps room for an HF model's figures, so its first
    figures repaint the panel and leave everything below it where it was."""
    job = GatedJob()
    app = ScanDashboard(bus, job, title="scan", **FAST)
    async with drive(app, job, (width, 60)) as pilot:
        panel = app.query_one(ModelPanel)
        table = app.query_one(FindingsTable)
        await wait_for(pilot, lambda: app.job_started and table.region.height > 0)
        before = (panel.region, table.region)
        bus.publish(started(device="cpu", vram_mb=None, quantization=None, precision="fp32"))
        await wait_for(pilot, lambda: stats_of(panel).get("Load Time"))
        await pilot.pause()
        assert (panel.region, table.region) == before
        bus.publish(ModelCall(model_id="m1", latency_ms=30.0, input_tokens=500, output_tokens=0, items=1))
        bus.publish(ScanProgress(done=1, total=40, unit="chunks", model_id="m1"))
        await wait_for(pilot, lambda: "Speed" in stats_of(panel) and "chunk 1/40" in screen_text(app))
        await pilot.pause()
        assert (panel.region, table.region) == before


async def test_findings_arriving_during_the_scan_do_not_lay_out_the_screen(bus):
    """New rows, the scrollbar and the code of the highlighted finding repaint their own
    widgets; a screen layout (every widget measured and placed again) would cost the scan."""
    job = GatedJob()
    app = ScanDashboard(bus, job, title="scan", **FAST)
    layouts: list[object] = []
    async with drive(app, job, SIZE) as pilot:
        table = app.query_one(FindingsTable)
        detail = app.query_one(FindingDetail)
        bus.publish(started(device="cpu", vram_mb=None, quantization=None, precision="fp32"))
        bus.publish(ModelCall(model_id="m1", latency_ms=30.0, input_tokens=500, output_tokens=0, items=1))
        await wait_for(pilot, lambda: "Speed" in stats_of(app.query_one(ModelPanel)))
        await pilot.pause()
        app.screen.screen_layout_refresh_signal.subscribe(app, layouts.append)
        for i in range(60):  # more rows than the table shows: its scrollbar comes into use
            f = finding(f"src/f{i}.py", ("high", "low")[i % 2], line=3 + i, message=f"flaw {i}")
            bus.publish(FindingFound(finding=f.to_dict()))
        await wait_for(pilot, lambda: table.row_count == 60 and detail.finding is not None)
        await wait_for(pilot, lambda: "flaw" in detail.text)
        await pilot.pause()
        assert table.virtual_size.height == 61 and table.max_scroll_y > 0
        assert layouts == []


async def test_the_code_view_wraps_prose_and_scrolls_long_code_sideways(bus):
    long_line = "query = " + " + ".join(f"part_{i}" for i in range(40))
    message = "A message long enough to wrap at the width of the code view, " * 3
    result = ScanResult(target="t", findings=[finding("app/x.py", "high", line=2, message=message)],
                        models=[], sources={"app/x.py": f"a = 1\n{long_line}\nb = 2\n"})
    job = GatedJob(result)
    app = ScanDashboard(bus, job, title="scan", **FAST)
    async with drive(app, job, SIZE) as pilot:
        job.release.set()
        detail = app.query_one(FindingDetail)
        await wait_for(pilot, lambda: app.job_done and detail.finding is not None)
        await wait_for(pilot, lambda: long_line in detail.text)
        width = detail.scrollable_content_region.width
        lines = detail.text.splitlines()
        prose = [line for line in lines if "A message" in line or "width of the code" in line]
        assert len(prose) >= 3 and all(len(line) <= width for line in prose)  # wrapped to the view
        assert detail.virtual_size.width > width and detail.max_scroll_x > 0  # code scrolls sideways
        detail.scroll_to(x=detail.max_scroll_x, animate=False, immediate=True)
        await pilot.pause()
        assert "part_39" in screen_text(app)


async def test_the_heap_built_before_the_scan_is_frozen_while_it_runs(bus):
    """Objects from start-up (modules, the screen) are frozen while the scan runs, so the
    garbage the redraws make never triggers a collection of the whole heap mid-scan; the heap
    is collectable again once the scan has ended."""
    import gc

    gate = GatedJob()
    during: list[int] = []

    def job() -> ScanResult:
        during.append(gc.get_freeze_count())
        return gate()

    app = ScanDashboard(bus, job, title="scan", **FAST)
    async with drive(app, gate, SIZE) as pilot:
        await wait_for(pilot, lambda: during)
        assert during[0] > 1000
        gate.release.set()
        await wait_for(pilot, lambda: app.job_done)
        assert gc.get_freeze_count() == 0
