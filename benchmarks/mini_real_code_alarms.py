"""How often aegis-mini raises an alarm on real, ordinary code, with and without its sink check.

Real library code is mostly not vulnerable, so findings on it are close to a false-alarm count (an
upper bound: a crypto benchmark's built-in test keys do look like hard-coded keys). The files: the
local Python standard library's files that training never used as background (one in five, reserved
for the held-out split) and, with ``--dir``, code in other languages found under those folders
(for example ``--dir /usr/lib/node_modules --dir /usr/share/doc``), at most ``--per-language`` files
of 1-40 KB each per language, picked by a seeded shuffle of the sorted paths. Copies go to a
temporary folder; nothing is written elsewhere.

Both scans run through the real pipeline at the shipped threshold (``--threshold`` to try another).
Prints findings per language and per CWE for each; where Bandit is installed, Bandit's findings on
the same Python files too (for scale: every Bandit finding, and those of medium or high severity).
Last line: ``files=N lines=L alarms_unchecked=A alarms_checked=B per_kloc=X/Y``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path


def pick_files(dirs: list[Path], per_language: int, seed: int) -> dict[str, list[Path]]:
    from aegis_cli.mini.background import reserved_for_heldout, stdlib_dir
    from aegis_cli.mini.datagen import LANGUAGE_WEIGHTS
    from aegis_cli.scan.languages import LANGUAGES

    # the ten languages aegis-mini was trained on
    ext_lang = {ext: lang for lang, exts in LANGUAGES.items() if lang in LANGUAGE_WEIGHTS for ext in exts}
    found: dict[str, list[Path]] = {}
    std = stdlib_dir()
    found["python"] = sorted(p for p in std.glob("*.py")
                             if reserved_for_heldout(str(p.relative_to(std))) and 1024 < p.stat().st_size < 40960)
    for d in dirs:
        for p in sorted(d.rglob("*")):
            lang = ext_lang.get(p.suffix.lower())
            if (lang is None or lang == "python" or ".min." in p.name or not p.is_file() or p.is_symlink()
                    or not 1024 < p.stat().st_size < 40960):
                continue
            found.setdefault(lang, []).append(p)
    rng = random.Random(seed)
    picked = {}
    for lang, paths in sorted(found.items()):
        paths = list(paths)
        rng.shuffle(paths)
        picked[lang] = paths[:per_language]
    return picked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, action="append", default=[], help="a folder of real code in other languages")
    parser.add_argument("--per-language", type=int, default=40)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the shipped aegis-mini)")
    parser.add_argument("--threshold", type=float, default=None, help="default: the aegis-mini preset's")
    args = parser.parse_args(argv)

    from aegis_cli.mini.ship import scan_findings
    from aegis_cli.providers.hf_common import builtin_dir
    from aegis_cli.providers.presets import load_presets

    model = args.model or builtin_dir("aegis-mini")
    threshold = args.threshold if args.threshold is not None else load_presets()["aegis-mini"].labels.threshold
    picked = pick_files([d for d in args.dir if d.is_dir()], args.per_language, args.seed)
    with tempfile.TemporaryDirectory(prefix="aegis-real-") as tmp:
        root = Path(tmp)
        lines = 0
        for lang, paths in picked.items():
            for i, p in enumerate(paths):
                target = root / lang / f"{i:03d}_{p.name}"
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(p, target)
                lines += target.read_bytes().count(b"\n")
        files = sum(len(v) for v in picked.values())
        print(f"{files} files, {lines} lines: " + ", ".join(f"{lang} {len(v)}" for lang, v in picked.items()))
        counts, python_alarms = {}, 0
        for name, check in (("unchecked", False), ("checked", True)):
            found, cost = scan_findings(root, model, threshold, sink_check=check)
            counts[name] = len(found)
            by_lang = Counter(f.path.split("/")[0] for f in found)
            python_alarms = by_lang["python"]  # the checked scan's, once the loop ends
            print(f"sink check {'on ' if check else 'off'} at {threshold:.2f}: {len(found)} findings in "
                  f"{len({f.path for f in found})} files ({cost['seconds']:.0f} s); per language {dict(sorted(by_lang.items()))}; "
                  f"per CWE {dict(Counter(f.cwe for f in found).most_common(6))}")
        if (root / "python").is_dir() and shutil.which("bandit"):
            from eval_bandit import bandit_findings  # benchmarks/ is this script's folder

            python_lines = sum(p.read_bytes().count(b"\n") for p in (root / "python").iterdir())
            bandit, _ = bandit_findings(root / "python")
            print(f"bandit on the {len(picked['python'])} Python files ({python_lines} lines): {len(bandit)} findings, "
                  f"{sum(1 for f in bandit if f.severity in ('medium', 'high'))} of medium or high severity; "
                  f"aegis-mini with its sink check: {python_alarms}")
    kloc = lines / 1000
    print(f"files={files} lines={lines} alarms_unchecked={counts['unchecked']} alarms_checked={counts['checked']} "
          f"per_kloc={counts['unchecked'] / kloc:.2f}/{counts['checked'] / kloc:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
