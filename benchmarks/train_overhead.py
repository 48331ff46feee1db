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
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
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


if __name__ == "__main__":
    main()
