"""How aegis-mini's line-level F1 depends on its threshold, on familiar and on unfamiliar code.

One scan per set through the real pipeline at a low threshold (``aegis_cli.mini.ship.scan_findings``),
then findings below each threshold are dropped and the rest scored with the ``aegis eval`` scorer
(±3 lines). The sets:

* ``validation``: the generator's validation split (training's templates and vocabulary);
* ``held-out`` and ``held-out python``: the held-out split (settings training never used) and its
  Python part. Read only: choosing a threshold here would make it a tuning set;
* ``new names``: the calibration split (training's templates and frameworks, every name and
  literal from a third vocabulary neither training nor held-out uses; the ship step chooses the
  shipped threshold on its first ``CALIBRATION_FILES`` files, as scanned here);
* ``shop``: examples/vulnerable-shop (hand-written, 17 sinks);
* ``hand-written``: the shop plus the nine hand-written cases and two safe files of
  tests/functional/data/aegis_mini_cases (26 sinks).

Scans apply the preset's sink check (``labels.sink_check``) unless ``--no-sink-check``.
Filtered scores can differ a little from a scan run at that threshold (localisation keeps the lines
that still cross it). Prints one row per threshold, then the best threshold of each set (ties: the
lowest); the shipped threshold gets a row of its own. Last line:
``shipped=T validation_best=A new_names_best=N heldout_best=B handwritten_best=C``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "functional" / "data" / "aegis_mini_cases"
CASE_LABELS = CASES.parent / "aegis_mini_cases.labels.json"  # the hand-written cases' sinks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the shipped aegis-mini)")
    parser.add_argument("--validation", type=int, default=400)
    parser.add_argument("--heldout", type=int, default=600)
    parser.add_argument("--calibration", type=int, default=None, help="default: as many as the ship step uses")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-sink-check", action="store_true", help="keep findings whose lines do not look like a sink")
    args = parser.parse_args(argv)
    check = False if args.no_sink_check else None  # None: as the preset says

    import dataclasses

    from aegis_cli.evaluate import load_labels
    from aegis_cli.mini.dataset import write_split
    from aegis_cli.mini.ship import CALIBRATION_FILES, best_threshold, scan_findings
    from aegis_cli.providers.hf_common import builtin_dir
    from aegis_cli.providers.presets import load_presets

    model = args.model or builtin_dir("aegis-mini")
    shipped = load_presets()["aegis-mini"].labels.threshold
    thresholds = sorted({round(0.30 + 0.05 * i, 2) for i in range(11)} | {round(shipped, 2)})
    calibration = args.calibration or CALIBRATION_FILES
    sets: dict[str, tuple[list, list]] = {}
    with tempfile.TemporaryDirectory(prefix="aegis-sweep-") as tmp:
        val = write_split(Path(tmp) / "validation", split="validation", n=args.validation, seed=args.seed,
                          background="stdlib")
        held = write_split(Path(tmp) / "heldout", split="heldout", n=args.heldout, seed=args.seed, background="stdlib")
        names = write_split(Path(tmp) / "calibration", split="calibration", n=calibration, seed=args.seed,
                            background="stdlib")
        sets["validation"] = (scan_findings(val, model, 0.02, check)[0], load_labels(val / "labels.json"))
        held_found = scan_findings(held, model, 0.02, check)[0]
        held_labels = load_labels(held / "labels.json")
        sets["held-out"] = (held_found, held_labels)
        sets["held-out python"] = ([f for f in held_found if f.path.endswith(".py")],
                                   [lab for lab in held_labels if lab.path.endswith(".py")])
        sets["new names"] = (scan_findings(names, model, 0.02, check)[0], load_labels(names / "labels.json"))
    shop = ROOT / "examples" / "vulnerable-shop.zip"
    shop_found, shop_labels = scan_findings(shop, model, 0.02, check)[0], load_labels(shop.with_suffix(".labels.json"))
    sets["shop"] = (shop_found, shop_labels)
    case_found = [dataclasses.replace(f, path=f"cases/{f.path}") for f in scan_findings(CASES, model, 0.02, check)[0]]
    case_labels = [lab.model_copy(update={"path": f"cases/{lab.path}"}) for lab in load_labels(CASE_LABELS)]
    sets["hand-written"] = (shop_found + case_found, shop_labels + case_labels)

    sweeps = {name: best_threshold(found, labels, thresholds) for name, (found, labels) in sets.items()}
    checking = "off" if check is False else "as the preset"
    print(f"model {model}; shipped threshold {shipped:.2f}; sink check {checking}; "
          "line F1 (sinks found/labelled) per threshold")
    print("| threshold | " + " | ".join(sets) + " |")
    print("|---|" + "---|" * len(sets))
    for t in thresholds:
        cells = []
        for name in sets:
            s = sweeps[name][1][t]
            cells.append(f"{s.lines.f1 or 0.0:.2f} ({s.lines.tp}/{s.lines.tp + s.lines.fn})")
        mark = " (shipped)" if t == round(shipped, 2) else ""
        print(f"| {t:.2f}{mark} | " + " | ".join(cells) + " |")
    print("best: " + ", ".join(f"{name} {sweeps[name][0]:.2f}" for name in sets))
    print(f"shipped={shipped:.2f} validation_best={sweeps['validation'][0]:.2f} "
          f"new_names_best={sweeps['new names'][0]:.2f} heldout_best={sweeps['held-out'][0]:.2f} handwritten_best={sweeps['hand-written'][0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
