"""The quickstart's two timings with the default model (aegis-mini), as a person would run them.

1. ``aegis scan examples/vulnerable-shop.zip --no-tui`` (goal: < 30 s on a 2-core CPU);
2. ``aegis scan hundred.zip --format sarif --output x.sarif --no-tui`` on 100 files of mixed
   languages from the generated held-out split (goal: < 20 s).

Each is a fresh ``aegis`` process timed from start to exit: interpreter start, imports,
model load, scan and output all included. Last line:

    shop_s=A sarif_100_files_s=B sarif_results=N
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def hundred_files_zip(out: Path, n: int = 100, seed: int = 0) -> Counter:
    """``n`` held-out files (all ten languages, real background code included) zipped to ``out``."""
    from aegis_cli.mini.dataset import write_split

    with tempfile.TemporaryDirectory() as tmp:
        folder = write_split(Path(tmp) / "h", split="heldout", n=n, seed=seed, background="stdlib")
        labels = json.loads((folder / "labels.json").read_text())
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for label in labels:
                zf.write(folder / label["path"], label["path"])
    from aegis_cli.scan.languages import detect_language

    return Counter(detect_language(label["path"]) or "other" for label in labels)


def timed(args: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    exe = shutil.which("aegis") or sys.executable
    cmd = [exe, *args] if exe.endswith("aegis") else [exe, "-m", "aegis_cli", *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):  # 1: findings at or above the threshold
        raise SystemExit(f"{' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return seconds, proc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each command (the best is reported)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        shop = ROOT / "examples" / "vulnerable-shop.zip"
        hundred = Path(tmp) / "hundred.zip"
        langs = hundred_files_zip(hundred)
        sarif = Path(tmp) / "x.sarif"
        shop_s = min(timed(["scan", str(shop), "--no-tui"])[0] for _ in range(args.repeat))
        runs = [timed(["scan", str(hundred), "--format", "sarif", "--output", str(sarif), "--no-tui"])
                for _ in range(args.repeat)]
        sarif_s = min(s for s, _ in runs)
        results = sum(len(run.get("results", [])) for run in json.loads(sarif.read_text())["runs"])
        print(f"100 files: {dict(sorted(langs.items()))}")
        print(runs[-1][1].stderr.strip().splitlines()[-1] if runs[-1][1].stderr.strip() else "")
    print(f"shop_s={shop_s:.1f} sarif_100_files_s={sarif_s:.1f} sarif_results={results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
