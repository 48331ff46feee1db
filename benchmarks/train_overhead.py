"""What the AutomatedReportCallback (with the hardware sampler at 2 Hz) costs a training run.

One process, one model, the same Trainer settings: runs of N optimizer steps with the
callback (+ token counting + sampler at --poll-hz, report rewritten every --report-every
logs) alternate with runs without it. Step time is measured between consecutive
``on_step_end`` calls, so it includes everything the loop does (data, forward, backward,
optimizer, logging, callbacks). The overhead of a round is mean step time with / without
- 1 in wall time; ``overhead_pct`` (the last line) is the median over the paired rounds.
Short rounds, adjacent in time and alternating in order, keep other processes' noise out
of the pairs; the interquartile range is printed so the noise can be judged. Two checks
beside it: process CPU time (every thread, so the sampler and writer are charged in full)
and a direct accounting (time inside the hooks + sampler and writer work as if serial),
which other processes cannot disturb. The final report write (after the last step) is
timed separately.

    python benchmarks/train_overhead.py [--steps 300] [--rounds 4] [--hidden 128]

``--tui`` measures the live training dashboard instead (issue 7; goal ≤ 1 %): pairs of
fresh processes run the same ``run_training`` job (callback, sampler and all, as ``aegis
train`` runs it), (a) headless with the console sink that ``--no-tui`` uses (to /dev/null)
and (b) under the Textual dashboard on a real pseudo-terminal (Textual's own driver
renders every frame, a reader drains it like a terminal emulator). The figure per pair is
the mean optimizer-step time with / without - 1 (the steps after a warm-up, measured
inside the job, so start-up and teardown do not count); ``overhead_pct`` is the median
over pairs, which alternate in order. Beside it, the direct accounting: the CPU time of
the display threads (the app's thread and its sink's; headless: the console sink's
thread) as a share of the training time — what drawing costs, readable even when other
processes make the wall clock swing.

    python benchmarks/train_overhead.py --tui [--pairs 6] [--steps 300]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "--tui-child":
        tui_child(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
        return
    if "--tui" in sys.argv[1:]:
        tui_main()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--logging-steps", type=int, default=10)
    parser.add_argument("--report-every", type=int, default=2,
                        help="logs between report rewrites (the config default is 10; 2 is harsher)")
    parser.add_argument("--poll-hz", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1: steady timings on small CPUs)")
    args = parser.parse_args()

    import torch
    from transformers import Trainer, TrainerCallback

    from aegis_cli.config.loader import validate
    from aegis_cli.config.train import TrainConfig
    from aegis_cli.report.callback import AutomatedReportCallback, CountingDataset, TokenCounter
    from aegis_cli.train.builtin import build_tiny_model, sample_corpus, write_jsonl
    from aegis_cli.train.data import PaddingCollator, TokenizedDataset, load_examples, tokenize
    from aegis_cli.train.recipe import apply_lora, load_model_and_tokenizer, training_arguments
    from aegis_cli.train.runner import quiet_libraries

    quiet_libraries()
    torch.set_num_threads(args.threads)
    tmp = Path(tempfile.mkdtemp(prefix="aegis-overhead-"))
    model_dir = build_tiny_model("tiny-causal-lm", tmp / "model", hidden=args.hidden, layers=2, max_positions=256)
    data = write_jsonl(sample_corpus(400), tmp / "data.jsonl")
    cfg = validate({
        "project_name": "overhead", "model": {"base": str(model_dir)},
        "dataset": {"source": str(data), "max_length": 128},
        "training": {"max_steps": args.steps, "per_device_batch_size": args.batch, "logging_steps": args.logging_steps,
                     "learning_rate": 1e-3, "output_dir": str(tmp / "ckpt")},
        "reporting": {"use_comet_ml": False},
    }, TrainConfig)
    examples = load_examples(cfg)
    model, tokenizer = load_model_and_tokenizer(cfg, str(model_dir), None)
    model = apply_lora(cfg, model)
    items = TokenizedDataset(tokenize(cfg, examples.train, tokenizer, None))
    collator = PaddingCollator(tokenizer.pad_token_id, task="causal_lm")
    training_args = training_arguments(cfg, has_eval=False)

    class StepTimer(TrainerCallback):
        """Wall and process CPU time (all threads: sampler and writer included) between step ends."""

        def __init__(self):
            self.last: tuple[float, float] | None = None
            self.wall: list[float] = []
            self.cpu: list[float] = []

        def on_step_end(self, a, state, control, **kw):
            now = (time.perf_counter(), time.process_time())
            if self.last is not None:
                self.wall.append(now[0] - self.last[0])
                self.cpu.append(now[1] - self.last[1])
            self.last = now

    hook_time = [0.0]

    def timed(fn):
        def wrapper(*a, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                hook_time[0] += time.perf_counter() - t0
        return wrapper

    def run(with_report: bool, steps: int) -> tuple[float, float]:
        training_args.max_steps = steps
        timer = StepTimer()
        callbacks: list = [timer]
        dataset: object = items
        report = None
        if with_report:
            counter = TokenCounter()
            dataset = CountingDataset(items, counter)
            report = AutomatedReportCallback(tmp / "reports", "overhead", poll_hz=args.poll_hz,
                                             report_every=args.report_every, token_counter=counter)
            for hook in ("on_step_begin", "on_step_end", "on_log", "on_save"):
                setattr(report, hook, timed(getattr(report, hook)))
            callbacks.append(report)
        trainer = Trainer(model=model, args=training_args, train_dataset=dataset, data_collator=collator,
                          callbacks=callbacks)
        from transformers import PrinterCallback, ProgressCallback

        trainer.remove_callback(PrinterCallback)
        trainer.remove_callback(ProgressCallback)
        trainer.train()
        return statistics.fmean(timer.wall), statistics.fmean(timer.cpu)

    run(False, 30)  # warm-up: allocator, first-call costs, imports
    run(True, 30)
    wall_ratios, cpu_ratios = [], []
    base_steps, base_time = 0, 0.0
    hook_time[0] = 0.0
    for r in range(args.rounds):
        order = (False, True) if r % 2 == 0 else (True, False)
        wall, cpu = {}, {}
        for flag in order:
            wall[flag], cpu[flag] = run(flag, args.steps)
        base_steps += args.steps - 1
        base_time += wall[False] * (args.steps - 1)
        wall_ratios.append(wall[True] / wall[False])
        cpu_ratios.append(cpu[True] / cpu[False])
        print(f"round {r + 1:2d}: wall {wall[False] * 1e3:6.2f} → {wall[True] * 1e3:6.2f} ms/step "
              f"({100 * (wall_ratios[-1] - 1):+6.2f} %), cpu {cpu[False] * 1e3:6.2f} → {cpu[True] * 1e3:6.2f} ms/step "
              f"({100 * (cpu_ratios[-1] - 1):+6.2f} %)", flush=True)

    # direct accounting, immune to other processes: time inside the callback's hooks on the
    # training thread, plus the sampler's and the writer's work as if it were all serial
    from aegis_cli.telemetry.sampler import HardwareSampler

    sampler = HardwareSampler(hz=args.poll_hz).start()
    t0 = time.perf_counter()
    for _ in range(50):
        sampler._sample_once()
    per_sample = (time.perf_counter() - t0) / 50
    sampler.stop()
    # the end-of-run write (history.json + report.md + telemetry.png), not part of any step
    from aegis_cli.report.history import History
    from aegis_cli.report.writer import ReportWriter

    history = History.load(tmp / "reports" / "overhead" / "history.json")
    t0 = time.perf_counter()
    ReportWriter(tmp / "final", charts=False).write(history)
    periodic_write_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ReportWriter(tmp / "final").write(history, chart=True)
    final_s = time.perf_counter() - t0
    with_steps = base_steps  # same number of timed steps ran with the callback
    writes = with_steps / (args.logging_steps * args.report_every)
    direct = hook_time[0] + per_sample * args.poll_hz * base_time + periodic_write_s * writes
    direct_pct = 100 * direct / base_time
    print(f"steps={args.steps} rounds={args.rounds} hidden={args.hidden} threads={args.threads} "
          f"poll_hz={args.poll_hz:g} report_every={args.report_every} logging_steps={args.logging_steps}")
    print(f"final_report_s={final_s:.2f} (after the last step; chart included)")
    print(f"direct_cost_pct={direct_pct:.2f} (hooks {1e3 * hook_time[0] / with_steps:.3f} ms/step, "
          f"sampler {1e3 * per_sample:.2f} ms/sample at {args.poll_hz:g} Hz, periodic write {1e3 * periodic_write_s:.1f} ms "
          f"every {args.logging_steps * args.report_every} steps)")
    wall_pct = 100 * (statistics.median(wall_ratios) - 1)
    cpu_pct = 100 * (statistics.median(cpu_ratios) - 1)
    q = statistics.quantiles([100 * (x - 1) for x in wall_ratios], n=4)
    print(f"cpu_overhead_pct={cpu_pct:.2f} (process CPU time, every thread of the process)")
    print(f"wall rounds: median {wall_pct:+.2f} %, interquartile {q[0]:+.2f} .. {q[2]:+.2f} %")
    # the headline: with vs without, wall time, same process, median of paired rounds
    print(f"overhead_pct={wall_pct:.2f}")
    sys.stdout.flush()


# ------------------------------------------------------------------ --tui


_DISPLAY_THREADS = ("aegis-sink-train-dashboard", "aegis-sink-train-console", "textual-output", "textual-input")


def _display_threads_cpu(by_thread: dict | None = None) -> float:
    """CPU seconds of the threads that only display: the sinks' threads (dashboard, console),
    Textual's output and input threads, and the main thread when training runs elsewhere (the
    dashboard's loop is the main thread)."""
    import threading

    total = 0.0
    for t in threading.enumerate():
        main = t is threading.main_thread() and threading.current_thread() is not t
        if (t.name in _DISPLAY_THREADS or main) and t.ident is not None:
            try:
                cpu = time.clock_gettime(time.pthread_getcpuclockid(t.ident))
            except (OSError, AttributeError):  # pragma: no cover - not Linux
                continue
            total += cpu
            if by_thread is not None:
                by_thread["app" if main else t.name] = cpu
    return total


def _tui_config(spec: dict, tmp: Path):
    from aegis_cli.config.loader import validate
    from aegis_cli.config.train import TrainConfig

    return validate({
        "project_name": "overhead-tui", "model": {"base": spec["model"]},
        "dataset": {"source": spec["data"], "max_length": 128},
        "lora": {"enabled": True, "r": 8, "alpha": 16},
        "training": {"max_steps": spec["steps"], "per_device_batch_size": spec["batch"],
                     "logging_steps": spec["logging_steps"], "learning_rate": 1e-3, "cpu_threads": 1,
                     "output_dir": str(tmp / "ckpt")},
        "reporting": {"output_dir": str(tmp / "reports"), "use_comet_ml": False, "poll_hz": spec["poll_hz"],
                      "report_every": spec["report_every"]},
    }, TrainConfig)


def tui_child(mode: str, result_path: str, spec: dict) -> None:
    """One training run in this fresh process: ``plain`` (console sink) or ``tui`` (dashboard)."""
    import asyncio
    import tempfile as _tempfile

    from transformers import TrainerCallback

    from aegis_cli.telemetry.bus import EventBus
    from aegis_cli.train.runner import run_training

    warmup = spec["warmup"]
    marks: dict = {}
    dashboard: list = []  # the app, once made: its redraw counters are read at the marks

    def redraws() -> tuple[int, int]:
        return (dashboard[0].redraws, dashboard[0].chart_redraws) if dashboard else (0, 0)

    class StepTimer(TrainerCallback):
        def __init__(self):
            self.times: list[float] = []

        def on_step_end(self, a, state, control, **kw):
            now = time.perf_counter()
            self.times.append(now)
            if len(self.times) == warmup + 1:
                marks["threads0"] = {}
                marks["ui0"], marks["cpu0"] = _display_threads_cpu(marks["threads0"]), time.process_time()
                marks["redraws0"] = redraws()
            elif len(self.times) == spec["steps"]:
                marks["threads1"] = {}
                marks["ui1"], marks["cpu1"] = _display_threads_cpu(marks["threads1"]), time.process_time()
                marks["redraws1"] = redraws()

    timer = StepTimer()
    tmp = Path(_tempfile.mkdtemp(prefix="aegis-tui-overhead-"))
    cfg = _tui_config(spec, tmp)

    def job(bus, stop=None):
        return run_training(cfg, bus=bus, stop=stop, handle_sigint=False, callbacks=[timer])

    out: dict = {}
    if mode == "plain":
        from rich.console import Console

        from aegis_cli.train.console import TrainConsoleSink

        console = Console(file=open(os.devnull, "w"), force_terminal=False, width=120)  # noqa: SIM115
        bus = EventBus([TrainConsoleSink(console=console)])
        job(bus)
        bus.close()
    else:
        from aegis_cli.tui.train_app import TrainDashboard

        bus = EventBus()
        app = TrainDashboard(bus, lambda stop: job(bus, stop), title="aegis train overhead-tui")
        dashboard.append(app)

        async def auto(pilot) -> None:
            while not app.job_done:  # a plain sleep: Pilot.pause would add work to the app's loop
                await asyncio.sleep(0.2)
            await asyncio.sleep(0.2)
            app.exit()

        app.run(auto_pilot=auto)  # Textual's real terminal driver, on the pty the parent made
        bus.close()
        (r0, c0), (r1, c1) = marks["redraws0"], marks["redraws1"]
        out.update(redraws=r1 - r0, chart_redraws=c1 - c0)  # in the timed steps only
    timed = timer.times[warmup:]
    span = timed[-1] - timed[0]
    out.update(step_s=span / (len(timed) - 1), span_s=span, ui_cpu_s=marks["ui1"] - marks["ui0"],
               cpu_s=marks["cpu1"] - marks["cpu0"],
               threads={k: v - marks["threads0"].get(k, 0.0) for k, v in marks["threads1"].items()})
    Path(result_path).write_text(json.dumps(out))


def _run_tui_child(mode: str, spec: dict, size=(140, 45)) -> dict:
    import fcntl
    import pty
    import struct
    import subprocess
    import termios

    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(size[0]), LINES=str(size[1]))
        proc = subprocess.Popen([sys.executable, __file__, "--tui-child", mode, str(result), json.dumps(spec)],
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
        return json.loads(result.read_text())


def tui_main() -> None:
    parser = argparse.ArgumentParser(description="training dashboard overhead (--tui)")
    parser.add_argument("--tui", action="store_true")
    parser.add_argument("--pairs", type=int, default=6, help="pairs of runs (headless, dashboard), alternating")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30, help="steps left out of the timing")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--logging-steps", type=int, default=10)
    parser.add_argument("--report-every", type=int, default=5)
    parser.add_argument("--poll-hz", type=float, default=2.0)
    args = parser.parse_args()

    from aegis_cli.train.builtin import build_tiny_model, sample_corpus, write_jsonl

    tmp = Path(tempfile.mkdtemp(prefix="aegis-tui-overhead-"))
    model_dir = build_tiny_model("tiny-causal-lm", tmp / "model", hidden=args.hidden, layers=2, max_positions=256)
    data = write_jsonl(sample_corpus(400), tmp / "data.jsonl")
    spec = {"model": str(model_dir), "data": str(data), "steps": args.steps, "warmup": args.warmup,
            "batch": args.batch, "logging_steps": args.logging_steps, "report_every": args.report_every,
            "poll_hz": args.poll_hz}
    pairs: list[tuple[dict, dict]] = []
    for i in range(args.pairs):
        order = ("plain", "tui") if i % 2 == 0 else ("tui", "plain")  # a drifting machine hits both sides
        runs = {mode: _run_tui_child(mode, spec) for mode in order}
        pairs.append((runs["plain"], runs["tui"]))
        p, t = runs["plain"], runs["tui"]
        threads = ", ".join(f"{name} {100 * cpu / t['span_s']:.2f} %" for name, cpu in sorted(t["threads"].items()))
        print(f"pair {i + 1}: headless {p['step_s'] * 1e3:6.2f} → dashboard {t['step_s'] * 1e3:6.2f} ms/step "
              f"({100 * (t['step_s'] / p['step_s'] - 1):+6.2f} %); display threads "
              f"{100 * p['ui_cpu_s'] / p['span_s']:.2f} % → {100 * t['ui_cpu_s'] / t['span_s']:.2f} % of a core; "
              f"{t['redraws'] / t['span_s']:.1f} redraws/s, {t['chart_redraws'] / t['span_s']:.2f} chart redraws/s "
              f"({threads})",
              flush=True)
    ratios = [t["step_s"] / p["step_s"] - 1.0 for p, t in pairs]
    cpu_ratios = [t["cpu_s"] / p["cpu_s"] - 1.0 for p, t in pairs]
    ui_plain = statistics.median(p["ui_cpu_s"] / p["span_s"] for p, _ in pairs)
    ui_tui = statistics.median(t["ui_cpu_s"] / t["span_s"] for _, t in pairs)
    plain = [p["step_s"] for p, _ in pairs]
    spread = max(plain) / min(plain) - 1.0
    print(f"steps={args.steps} (timed after {args.warmup}) pairs={args.pairs} hidden={args.hidden} "
          f"batch={args.batch} logging_steps={args.logging_steps} poll_hz={args.poll_hz:g}; {os.cpu_count()} CPUs")
    print(f"headless runs spread {spread * 100:.0f} %"
          + ("  (a noisy machine: the wall-clock figure cannot resolve 1 %)" if spread > 0.05 else ""))
    print(f"cpu_overhead_pct={statistics.median(cpu_ratios) * 100:.2f} (process CPU per step, every thread)")
    print(f"display threads used {ui_tui * 100:.2f} % of one core with the dashboard, {ui_plain * 100:.2f} % "
          f"with the console sink: direct_cost_pct={(ui_tui - ui_plain) * 100:.2f} (as if it were serial)")
    print(f"overhead_pct={statistics.median(ratios) * 100:.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
