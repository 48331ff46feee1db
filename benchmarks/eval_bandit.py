"""aegis-mini against Bandit on the generated held-out split, both scored by the same scorer.

Writes the held-out split (``aegis_cli.mini.dataset.write_split``: the generator's files and
labels, with the real background code under ``lib/`` rather than ``vendor/`` so that the
scan reads it instead of skipping it as vendored) into a temporary folder,
runs ``bandit -f json -r DIR`` (Bandit must be installed: ``pip install bandit``; it is not
an aegis dependency) and ``aegis scan`` with aegis-mini over the same files, maps Bandit's
results to Findings (path, line, CWE from ``issue_cwe``, severity) and scores both with
``aegis_cli.evaluate.score`` (±3 lines, the ``aegis eval`` scorer). Two sets of rows:

* the Python part of the held-out split (the only language Bandit reads);
* the whole held-out split, all ten languages (Bandit finds nothing outside Python).

``--labelled DIR`` scores a hand-labelled folder instead (``DIR/labels.json`` in the ``aegis eval``
format), e.g. benchmarks/data/python_spot: three Python files written by hand in Bandit's own
territory (Flask, Django and a command-line tool), 20 labelled sinks. One table, its Python files.

Last line: ``bandit_python_line_f1=A aegis_mini_python_line_f1=B bandit_all_line_f1=C aegis_mini_all_line_f1=D``
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aegis_cli.evaluate import FileLabel, Score, load_labels, score
from aegis_cli.scan.findings import Finding

_SEVERITY = {"HIGH": "high", "MEDIUM": "medium", "LOW": "low", "UNDEFINED": "info"}
_CONFIDENCE = {"HIGH": 0.9, "MEDIUM": 0.6, "LOW": 0.3}


def bandit_findings(directory: Path) -> tuple[list[Finding], float]:
    """Bandit over ``directory``: its results as Findings with paths relative to the folder, and the seconds taken."""
    exe = shutil.which("bandit")
    if exe is None:
        raise SystemExit("bandit is not installed: pip install bandit")
    t0 = time.perf_counter()
    proc = subprocess.run([exe, "-f", "json", "-q", "-r", str(directory)], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):  # 1: issues found
        raise SystemExit(f"bandit failed ({proc.returncode}): {proc.stderr[-500:]}")
    data = json.loads(proc.stdout)
    out = []
    for r in data.get("results", []):
        rel = Path(r["filename"]).resolve().relative_to(directory.resolve()).as_posix()
        cwe = (r.get("issue_cwe") or {}).get("id")
        lines = r.get("line_range") or [r["line_number"]]
        out.append(Finding(path=rel, start_line=int(r["line_number"]), end_line=int(max(lines)),
                           cwe=f"CWE-{cwe}" if cwe else None, severity=_SEVERITY.get(r.get("issue_severity"), "info"),
                           confidence=_CONFIDENCE.get(r.get("issue_confidence"), 0.5),
                           message=f"{r.get('test_id')}: {r.get('issue_text')}", models=["bandit"],
                           rule_id=str(r.get("test_id") or "")))
    return out, seconds


def aegis_findings(directory: Path, model: str) -> tuple[list[Finding], float]:
    """``aegis scan`` of ``directory`` with ``model`` (in-process, the real pipeline); seconds include the model load."""
    from aegis_cli.scan.pipeline import ScanOptions, run_scan
    from aegis_cli.telemetry.bus import NullBus

    t0 = time.perf_counter()
    result = run_scan(ScanOptions(target=str(directory), models=[model], exclude=["labels.json"]), NullBus())
    seconds = time.perf_counter() - t0
    summary = result.models[0]
    if summary.status != "completed":
        raise SystemExit(f"{model} failed: {summary.error}")
    return list(result.model_findings.get(summary.name, [])), seconds


def _f(x: float | None) -> str:
    return "N/A" if x is None else f"{x:.2f}"


def row(name: str, s: Score, seconds: float) -> str:
    return (f"| {name} | {_f(s.files.precision)} | {_f(s.files.recall)} | {_f(s.files.f1)} | {_f(s.lines.precision)} | "
            f"{_f(s.lines.recall)} | {_f(s.lines.f1)} | {_f(s.cwe_accuracy)} | {s.lines.tp}/{s.lines.tp + s.lines.fn} | "
            f"{seconds:.1f} |")


HEADER = ("| tool | file P | file R | file F1 | line P | line R | line F1 | CWE acc | sinks found | seconds |\n"
          "|---|---|---|---|---|---|---|---|---|---|")


def python_only(src: Path, labels: list[FileLabel], dest: Path) -> list[FileLabel]:
    """Copy the Python files of a labelled folder to ``dest``; their labels."""
    kept = [lab for lab in labels if lab.path.endswith(".py")]
    for lab in kept:
        target = dest / lab.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / lab.path, target)
    return kept


def labelled_folder(folder: Path, model: str) -> int:
    """Bandit and ``model`` on the Python files of a hand-labelled folder."""
    labels = load_labels(folder / "labels.json")
    with tempfile.TemporaryDirectory(prefix="aegis-bandit-") as tmp:
        py_dir = Path(tmp) / "python"
        py_labels = python_only(folder, labels, py_dir)
        b, b_s = bandit_findings(py_dir)
        a, a_s = aegis_findings(py_dir, model)
    s_b, s_a = score(b, py_labels), score(a, py_labels)
    print(f"{folder}: {len(py_labels)} Python files, {sum(len(lab.findings) for lab in py_labels)} labelled sinks\n")
    print("\n".join([HEADER, row("bandit", s_b, b_s), row(model, s_a, a_s), ""]))
    print(f"bandit_line_f1={_f(s_b.lines.f1)} aegis_mini_line_f1={_f(s_a.lines.f1)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--heldout", type=int, default=600, help="held-out files to generate (default 600)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (configs/aegis_mini.yaml uses 0)")
    parser.add_argument("--background", choices=("none", "stdlib"), default="stdlib",
                        help="real background code, as in configs/aegis_mini.yaml (default stdlib)")
    parser.add_argument("--model", default="aegis-mini", help="aegis model to compare (default aegis-mini)")
    parser.add_argument("--keep", type=Path, default=None, help="write the held-out folder here and keep it")
    parser.add_argument("--labelled", type=Path, default=None,
                        help="score this hand-labelled folder (its labels.json) instead of the held-out split")
    args = parser.parse_args(argv)
    if args.labelled is not None:
        return labelled_folder(args.labelled, args.model)

    from aegis_cli.mini.dataset import write_split

    with tempfile.TemporaryDirectory(prefix="aegis-bandit-") as tmp:
        heldout = write_split(args.keep or Path(tmp) / "heldout", split="heldout", n=args.heldout, seed=args.seed,
                              background=args.background)
        labels = load_labels(heldout / "labels.json")
        py_dir = Path(tmp) / "python"
        py_labels = python_only(heldout, labels, py_dir)

        lines = [f"held-out split: {len(labels)} files (seed {args.seed}, background {args.background}); "
                 f"Python part: {len(py_labels)} files, "
                 f"{sum(len(lab.findings) for lab in py_labels)} labelled sinks", ""]
        b_py, b_py_s = bandit_findings(py_dir)
        a_py, a_py_s = aegis_findings(py_dir, args.model)
        s_b_py, s_a_py = score(b_py, py_labels), score(a_py, py_labels)
        lines += ["Python part", "", HEADER, row("bandit", s_b_py, b_py_s), row(args.model, s_a_py, a_py_s), ""]
        b_all, b_all_s = bandit_findings(heldout)
        a_all, a_all_s = aegis_findings(heldout, args.model)
        s_b_all, s_a_all = score(b_all, labels), score(a_all, labels)
        lines += ["All languages", "", HEADER, row("bandit", s_b_all, b_all_s), row(args.model, s_a_all, a_all_s), ""]
        print("\n".join(lines))
        print(f"bandit_python_line_f1={_f(s_b_py.lines.f1)} aegis_mini_python_line_f1={_f(s_a_py.lines.f1)} "
              f"bandit_all_line_f1={_f(s_b_all.lines.f1)} aegis_mini_all_line_f1={_f(s_a_all.lines.f1)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
