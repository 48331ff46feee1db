"""Scan dashboard overhead: the same scan job with and without the Textual dashboard.

Runs ``SCAN_JOB`` in pairs of fresh processes: (a) plain — the bus with the console
sink that ``--no-tui`` uses (output to /dev/null) — and (b) under the dashboard, and
compares the job's own wall time (measured inside the job, so app start-up and teardown
are not counted). The result is the median over pairs of (dashboard / plain − 1), so a
busy neighbour on the machine disturbs single pairs, not the figure. Last line:

    overhead_pct=X

Goal (issue 5): X <= 2. The dashboard first builds its screen (Textual's import, layout, the
first frame, the first model panel) and then starts the scan; that one-off cost comes before
the job and is printed on its own line (``startup_extra_s``). Also printed: the share of one
core the display threads took (dashboard: its main thread and sink thread; plain: the console
sink's thread), and the job thread's own CPU time and the share of its wall time it spent
waiting (for the GIL or a core). Those are what the dashboard costs, and unlike the wall
clock they stay readable on a busy shared machine, where the wall clock of identical runs
can swing by 30 % or more.

The dashboard runs in a real pseudo-terminal by default (``--driver pty``: Textual's
own terminal driver renders and writes every frame, a reader drains it), or headless
(``--driver headless``: everything but the terminal write).

The job: by default ``SCAN_JOB`` = :func:`synthetic_scan`, real CPU work per chunk (a
torch matmul, the shape of inference; calibrated once to ``--work-ms``) around the event
stream a scan publishes — ModelCall, ScanProgress (chunks and files), FindingFound,
HardwareSample — at about a thousand events a second, far above a real scan's rate.
``--target X.zip --model PATH`` runs the real pipeline (:func:`real_scan`) instead.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

from aegis_cli.scan.findings import Finding
from aegis_cli.scan.result import ModelSummary, ScanResult
from aegis_cli.telemetry.bus import EventBus
from aegis_cli.telemetry.events import (
    FindingFound,
    HardwareSample,
    ModelCall,
    ModelCompleted,
    ModelLoading,
    ModelStarted,
    RunFinished,
    RunStarted,
    ScanProgress,
)

CHUNKS = 6000
CHUNKS_PER_FILE = 6


WORK_MS = 2.0


def _one_thread() -> None:
    """One intra-op thread: on a small shared machine torch's spinning OpenMP workers make
    timings swing tenfold with the neighbours' load, which would drown the comparison.
    OpenMP keeps this setting per thread, so the job calls it on the thread it runs on
    (plain: the main thread; dashboard: a worker thread)."""
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass


def _work_fn(work_ms: float = WORK_MS, reps: int | None = None):
    """About ``work_ms`` of real compute per chunk, releasing the GIL as inference does.
    ``reps`` fixes the amount of work (the parent calibrates once; every run does the same)."""
    try:
        import torch

        _one_thread()
        a = torch.randn(160, 160)
        b = torch.randn(160, 160)

        def step() -> None:
            torch.mm(a, b)
        name = "torch.mm"
    except ImportError:  # pragma: no cover - torch is a dependency
        blob = os.urandom(64 * 1024)

        def step() -> None:
            hashlib.sha256(blob).digest()
        name = "sha256"
    for _ in range(50):  # warm up (thread pools, caches) before calibrating
        step()
    if reps is None:
        t0 = time.perf_counter()
        for _ in range(500):
            step()
        reps = max(1, round(work_ms / 1000.0 / ((time.perf_counter() - t0) / 500)))

    def work() -> None:
        for _ in range(reps):
            step()
    work.reps = reps  # type: ignore[attr-defined]
    return work, f"{name} ×{reps} (~{work_ms:g} ms)"


def synthetic_scan(bus, chunks: int = CHUNKS, work=None) -> ScanResult:
    """A scan's event stream around real per-chunk compute. Returns its ScanResult."""
    _one_thread()
    if work is None:
        work, _ = _work_fn()
    files = chunks // CHUNKS_PER_FILE
    model_id, name = "codebert", "codebert-base"
    bus.publish(RunStarted(run_id="bench", kind="scan",
                           meta={"target": "bench.zip", "models": [name], "files_total": files}))
    bus.publish(ModelLoading(model_id=model_id, name=name))
    bus.publish(ModelStarted(model_id=model_id, name=name, provider="hf", device="cpu", vram_mb=None,
                             load_time_ms=1500.0, quantization=None, precision="fp32"))
    findings: list[Finding] = []
    latency_total = 0.0
    tokens = 0
    next_sample = time.monotonic()
    t_start = time.perf_counter()
    for i in range(chunks):
        t0 = time.perf_counter()
        work()
        latency = (time.perf_counter() - t0) * 1000.0
        latency_total += latency
        tokens += 510
        bus.publish(ModelCall(model_id=model_id, latency_ms=latency, input_tokens=510, output_tokens=0, items=1))
        bus.publish(ScanProgress(done=i + 1, total=chunks, unit="chunks", model_id=model_id))
        if i % 10 == 3:
            f = Finding(path=f"src/module_{i // CHUNKS_PER_FILE}.py", start_line=10 + i % 40, end_line=12 + i % 40,
                        cwe=("CWE-89", "CWE-78", "CWE-79", None)[i % 4],
                        severity=("critical", "high", "medium", "low")[i % 4], confidence=0.5 + (i % 50) / 100,
                        message=f"suspicious code in chunk {i}", snippet="query = 'SELECT' + x\ncur.execute(query)",
                        models=[name])
            findings.append(f)
            bus.publish(FindingFound(finding=f.to_dict()))
        if (i + 1) % CHUNKS_PER_FILE == 0:
            bus.publish(ScanProgress(done=(i + 1) // CHUNKS_PER_FILE, total=files, unit="files"))
        if time.monotonic() >= next_sample:  # the sampler's 2 Hz
            bus.publish(HardwareSample(cpu_pct=95.0, rss_mb=1500.0, ram_used_mb=6000.0, ram_total_mb=16000.0))
            next_sample += 0.5
    elapsed_ms = (time.perf_counter() - t_start) * 1000.0
    bus.publish(ModelCompleted(model_id=model_id, name=name, calls=chunks, avg_latency_ms=latency_total / chunks,
                               findings=len(findings), input_tokens=tokens, output_tokens=0, total_tokens=tokens,
                               tokens_per_s=tokens / (latency_total / 1000.0), elapsed_ms=elapsed_ms))
    bus.publish(RunFinished(run_id="bench", status="completed", duration_s=elapsed_ms / 1000.0))
    summary = ModelSummary(model_id=model_id, name=name, provider="hf", status="completed", device="cpu",
                           calls=chunks, findings=len(findings), total_tokens=tokens)
    return ScanResult(target="bench.zip", findings=findings, models=[summary], files_scanned=files, chunks=chunks)


def real_scan(bus, target: str, models: list[str]) -> ScanResult:
    """The real pipeline (``--target ZIP --model PATH``): what `aegis scan` runs, sampler included."""
    from aegis_cli.scan.pipeline import ScanOptions, run_scan
    from aegis_cli.telemetry.sampler import HardwareSampler

    sampler = HardwareSampler(bus=bus, hz=2.0)
    sampler.start()
    try:
        return run_scan(ScanOptions(target=target, models=models), bus, sampler=sampler)
    finally:
        sampler.stop()


#: the job both runs execute (``--target/--model`` switch it to :func:`real_scan`)
SCAN_JOB = synthetic_scan


def _ui_threads_cpu() -> float:
    """CPU seconds of the threads that only display: the sinks' threads, and the main thread
    when the job is not on it (the dashboard runs there)."""
    import threading

    total = 0.0
    for t in threading.enumerate():
        display = t.name.startswith("aegis-sink-") or (
            t is threading.main_thread() and threading.current_thread() is not t)
        if display and t.ident is not None:
            try:
                total += time.clock_gettime(time.pthread_getcpuclockid(t.ident))
            except (OSError, AttributeError):  # pragma: no cover - not Linux
                pass
    return total


def _timed(job, bus, out: dict):
    def run() -> ScanResult:
        out["job_start_wall"] = time.time()
        u0, c0, t0 = _ui_threads_cpu(), time.process_time(), time.perf_counter()
        j0 = time.thread_time()  # this is the job's thread (plain: main; dashboard: the worker)
        result = job(bus)
        out["job_s"] = time.perf_counter() - t0
        out["job_thread_cpu_s"] = time.thread_time() - j0
        out["cpu_s"] = time.process_time() - c0  # every thread of the process: job, sinks, dashboard
        out["ui_cpu_s"] = _ui_threads_cpu() - u0
        return result
    return run


def _plain_sinks():
    """The sinks of ``--no-tui``: the console sink, writing to /dev/null."""
    try:
        from rich.console import Console

        from aegis_cli.telemetry.console import ConsoleSink
    except ImportError:
        return [], "none"
    console = Console(file=open(os.devnull, "w"), force_terminal=False, width=120)  # noqa: SIM115
    return [ConsoleSink(console=console)], "console"


def child_plain(job) -> dict:
    sinks, _ = _plain_sinks()
    bus = EventBus(sinks)
    out: dict = {}
    _timed(job, bus, out)()
    bus.close()
    return out


def child_dashboard(job, headless: bool, size=(160, 50)) -> dict:
    from aegis_cli.tui.scan_app import ScanDashboard

    bus = EventBus()
    out: dict = {}
    app = ScanDashboard(bus, _timed(job, bus, out), title="aegis scan bench.zip")

    async def auto(pilot) -> None:
        while not app.job_done:  # a plain sleep: Pilot.pause would add work to the app's loop
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.2)
        app.exit()

    if headless:
        async def drive() -> None:
            async with app.run_test(size=size, headless=True) as pilot:
                await auto(pilot)
        asyncio.run(drive())
    else:
        app.run(auto_pilot=auto)  # Textual's real terminal driver, on the pty the parent made
    bus.close()
    out["redraws"] = app.redraws
    return out


def run_child(mode: str, chunks: int, reps: int, size=(160, 50)) -> dict:
    """One run in a fresh process: plain, dashboard on a pty, or dashboard headless."""
    import fcntl
    import pty
    import struct
    import subprocess
    import tempfile
    import termios

    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(size[0]), LINES=str(size[1]))
        spawned = time.time()
        proc = subprocess.Popen([sys.executable, __file__, "--child", mode, str(chunks), str(reps), str(result)],
                                stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        tail = b""
        while True:  # drain the terminal like a terminal emulator would
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            tail = (tail + data)[-4000:]
        proc.wait()
        os.close(master)
        if proc.returncode != 0 or not result.exists():
            sys.stderr.write(tail.decode(errors="replace"))
            raise SystemExit(f"{mode} run failed (rc={proc.returncode})")
        out = json.loads(result.read_text())
        out["startup_s"] = out["job_start_wall"] - spawned  # interpreter, imports, app start-up, first frame
        return out


def child_main(mode: str, chunks: int, reps: int, result_path: str) -> None:
    real = os.environ.get("AEGIS_BENCH_REAL")
    if real:
        spec = json.loads(real)

        def job(bus):
            return real_scan(bus, spec["target"], spec["models"])
    else:
        work, _ = _work_fn(reps=reps)

        def job(bus):
            return SCAN_JOB(bus, chunks=chunks, work=work)

    out = child_plain(job) if mode == "plain" else child_dashboard(job, headless=mode == "headless")
    Path(result_path).write_text(json.dumps(out))


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=9, help="pairs of runs (plain, dashboard), alternating")
    ap.add_argument("--chunks", type=int, default=CHUNKS)
    ap.add_argument("--work-ms", type=float, default=WORK_MS, help="compute per chunk (one ModelCall)")
    ap.add_argument("--driver", choices=("pty", "headless"), default="pty")
    ap.add_argument("--target", help="scan this ZIP or folder with the real pipeline instead")
    ap.add_argument("--model", action="append", help="model for --target (repeatable)")
    args = ap.parse_args()
    if args.target:
        os.environ["AEGIS_BENCH_REAL"] = json.dumps({"target": args.target, "models": args.model or []})
    _, baseline = _plain_sinks()
    work_fn, work = _work_fn(args.work_ms)
    pairs: list[tuple[dict, dict]] = []
    for i in range(args.repeats):
        # alternate which goes first, so a slow drift of the machine hits both sides
        order = ("plain", args.driver) if i % 2 == 0 else (args.driver, "plain")
        runs = {mode: run_child(mode, args.chunks, work_fn.reps) for mode in order}
        pairs.append((runs["plain"], runs[args.driver]))
    plain = [p["job_s"] for p, _ in pairs]
    tui = [t["job_s"] for _, t in pairs]
    ratios = [t / p - 1.0 for p, t in zip(plain, tui, strict=True)]
    # what displaying costs, in share of one core: dashboard (main + sink threads) vs console sink
    ui_plain = statistics.median(p["ui_cpu_s"] / p["job_s"] for p, _ in pairs)
    ui_tui = statistics.median(t["ui_cpu_s"] / t["job_s"] for _, t in pairs)
    redraws = statistics.median(t["redraws"] / t["job_s"] for _, t in pairs)
    p_med = statistics.median(plain)
    events = args.chunks * 2.1 + args.chunks / CHUNKS_PER_FILE
    what = (f"real scan of {args.target} with {', '.join(args.model or [])}" if args.target
            else f"synthetic scan, {args.chunks} chunks of {work}, ~{events / p_med:,.0f} events/s")
    print(f"job: {what}; "
          f"baseline sinks: {baseline}; dashboard driver: {args.driver}; {os.cpu_count()} CPUs")
    print(f"plain     s: {' '.join(f'{x:.3f}' for x in plain)}  median {p_med:.3f}")
    print(f"dashboard s: {' '.join(f'{x:.3f}' for x in tui)}  median {statistics.median(tui):.3f}"
          f"  ({redraws:.1f} redraws/s)")
    spread = max(plain) / min(plain) - 1.0
    print(f"per pair %: {' '.join(f'{r * 100:+.1f}' for r in ratios)}; plain runs spread {spread * 100:.0f}%"
          + ("  (a noisy machine: the wall-clock figure cannot resolve 2%)" if spread > 0.1 else ""))
    print(f"display threads used {ui_tui * 100:.2f}% of one core with the dashboard, "
          f"{ui_plain * 100:.2f}% with the console sink: ui_cpu_extra_pct={(ui_tui - ui_plain) * 100:.2f}")
    # the job thread's wall time = its own CPU + time it waited (for the GIL, or for a core)
    cpu_p = statistics.median(p["job_thread_cpu_s"] for p, _ in pairs)
    cpu_t = statistics.median(t["job_thread_cpu_s"] for _, t in pairs)
    wait_p = statistics.median((p["job_s"] - p["job_thread_cpu_s"]) / p["job_s"] for p, _ in pairs)
    wait_t = statistics.median((t["job_s"] - t["job_thread_cpu_s"]) / t["job_s"] for _, t in pairs)
    print(f"job thread (medians): own CPU plain {cpu_p:.3f} s, dashboard {cpu_t:.3f} s "
          f"({(cpu_t / cpu_p - 1) * 100:+.1f} %); waiting (GIL or a core) {wait_p * 100:.2f} % vs "
          f"{wait_t * 100:.2f} % of its wall time")
    s_plain = statistics.median(p["startup_s"] for p, _ in pairs)
    s_tui = statistics.median(t["startup_s"] for _, t in pairs)
    print(f"start-up before the scan begins (process start to job start, medians): plain {s_plain:.2f} s, "
          f"dashboard {s_tui:.2f} s: the dashboard's one-off cost startup_extra_s={s_tui - s_plain:.2f}")
    print(f"overhead_pct={statistics.median(ratios) * 100:.2f}")


if __name__ == "__main__":
    main()
