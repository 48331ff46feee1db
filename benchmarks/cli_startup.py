"""CLI start-up: median wall time of `aegis --help` in a fresh process. Last line:
    help_s=X
Goal (issue 2): X <= 0.5 on a 2-core machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=11)
    args = ap.parse_args()
    exe = shutil.which("aegis")
    cmd = [exe, "--help"] if exe else [sys.executable, "-m", "aegis_cli", "--help"]
    subprocess.run(cmd, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    print(f"{' '.join(cmd)}: min {min(times):.3f}s max {max(times):.3f}s over {args.runs} runs")
    print(f"help_s={statistics.median(times):.3f}")


if __name__ == "__main__":
    main()
