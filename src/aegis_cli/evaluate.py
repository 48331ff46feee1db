"""Score findings against labels: the table that lets a user choose between models.

Labels are a JSON list of ``{"path", "vulnerable", "findings": [{"cwe", "line", "end_line"}]}``
(``line`` is the sink). A finding matches a label on the same file when its line span comes
within ±3 lines of the label's span; each label and each finding is matched at most once
(closest pairs first).

* file level: a file is predicted vulnerable when it has at least one finding;
* line level: true positives are matched labels, false positives unmatched findings,
  false negatives unmatched labels;
* CWE accuracy: among matched pairs, the share whose CWEs are equal;
* the same line-level figures per language and per CWE (recall by the label's CWE,
  precision by the finding's CWE).

No torch here: scoring works on findings from any source (a scan, Bandit, a JSON file).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from aegis_cli.errors import InputError
from aegis_cli.scan.findings import Finding, normalize_cwe
from aegis_cli.scan.languages import detect_language

TOLERANCE = 3


class LabelFinding(BaseModel):
    model_config = ConfigDict(extra="ignore")
    cwe: str | None = None
    line: int = Field(ge=1)
    end_line: int | None = None


class FileLabel(BaseModel):
    model_config = ConfigDict(extra="ignore")
    path: str
    vulnerable: bool
    findings: list[LabelFinding] = Field(default_factory=list)


def load_labels(path: str | Path) -> list[FileLabel]:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"labels file {p} not found", "pass the labels JSON with --labels") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"labels file {p} is not valid JSON ({exc})", "see `aegis eval --help` for the format") from None
    try:
        labels = TypeAdapter(list[FileLabel]).validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise InputError(f"labels file {p}: {where}: {first['msg']} ({exc.error_count()} problems)",
                         'expected a list of {"path", "vulnerable", "findings": [{"cwe", "line", "end_line"}]}') from None
    seen: set[str] = set()
    for label in labels:
        if label.path in seen:
            raise InputError(f"labels file {p}: {label.path} is listed twice", "give each path once")
        seen.add(label.path)
    return labels


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return 0.0 if (p == 0 or r == 0) else None
        return 2 * p * r / (p + r)

    def to_dict(self) -> dict[str, Any]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": self.precision,
                "recall": self.recall, "f1": self.f1}


@dataclass
class Score:
    files: PRF = field(default_factory=PRF)
    lines: PRF = field(default_factory=PRF)
    cwe_matches: int = 0
    cwe_correct: int = 0
    by_language: dict[str, PRF] = field(default_factory=dict)
    by_cwe: dict[str, PRF] = field(default_factory=dict)
    unlabelled_findings: int = 0  # findings on files the labels do not list (not scored)

    @property
    def cwe_accuracy(self) -> float | None:
        return self.cwe_correct / self.cwe_matches if self.cwe_matches else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.files.to_dict(), "line": self.lines.to_dict(), "cwe_accuracy": self.cwe_accuracy,
            "cwe_matches": self.cwe_matches, "unlabelled_findings": self.unlabelled_findings,
            "by_language": {k: v.to_dict() for k, v in sorted(self.by_language.items())},
            "by_cwe": {k: v.to_dict() for k, v in sorted(self.by_cwe.items(), key=lambda kv: _cwe_key(kv[0]))},
        }


def _cwe_key(cwe: str) -> tuple[int, str]:
    digits = cwe.removeprefix("CWE-")
    return (int(digits), cwe) if digits.isdigit() else (1_000_000, cwe)


def _gap(f: Finding, label: LabelFinding) -> int:
    """Lines between the finding's span and the label's span (0 when they overlap)."""
    end = label.end_line or label.line
    if f.end_line < label.line:
        return label.line - f.end_line
    if f.start_line > end:
        return f.start_line - end
    return 0


def score(findings: Iterable[Finding], labels: list[FileLabel], tolerance: int = TOLERANCE) -> Score:
    s = Score()
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_path[f.path].append(f)
    labelled = {label.path for label in labels}
    s.unlabelled_findings = sum(len(v) for k, v in by_path.items() if k not in labelled)
    for label in labels:
        found = by_path.get(label.path, [])
        predicted = bool(found)
        if predicted and label.vulnerable:
            s.files.tp += 1
        elif predicted:
            s.files.fp += 1
        elif label.vulnerable:
            s.files.fn += 1
        language = detect_language(label.path) or "other"
        lang = s.by_language.setdefault(language, PRF())
        pairs = sorted(((_gap(f, lf), i, j) for i, f in enumerate(found) for j, lf in enumerate(label.findings)
                        if _gap(f, lf) <= tolerance), key=lambda t: t[0])
        used_f: set[int] = set()
        used_l: set[int] = set()
        for _, i, j in pairs:
            if i in used_f or j in used_l:
                continue
            used_f.add(i)
            used_l.add(j)
            cwe_label = normalize_cwe(label.findings[j].cwe)
            s.lines.tp += 1
            lang.tp += 1
            if cwe_label:
                s.by_cwe.setdefault(cwe_label, PRF()).tp += 1
            s.cwe_matches += 1
            s.cwe_correct += int(cwe_label is not None and found[i].cwe == cwe_label)
        for i, f in enumerate(found):
            if i not in used_f:
                s.lines.fp += 1
                lang.fp += 1
                s.by_cwe.setdefault(f.cwe or "none", PRF()).fp += 1
        for j, lf in enumerate(label.findings):
            if j not in used_l:
                s.lines.fn += 1
                lang.fn += 1
                s.by_cwe.setdefault(normalize_cwe(lf.cwe) or "none", PRF()).fn += 1
    return s


@dataclass
class ModelEval:
    name: str
    status: str
    score: Score
    cost: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.name, "status": self.status, "score": self.score.to_dict(), "cost": self.cost}


def cost_of(summary: Any) -> dict[str, Any]:
    """A model's cost as measured by the scan (None where unknown)."""
    d = asdict(summary) if hasattr(summary, "__dataclass_fields__") else dict(summary)
    return {k: d.get(k) for k in ("device", "precision", "quantization", "elapsed_ms", "load_time_ms", "calls",
                                  "input_tokens", "output_tokens", "total_tokens", "tokens_per_s", "speed_basis",
                                  "peak_vram_mb", "vram_mb", "energy_j", "energy_estimated")}


@dataclass
class EvalResult:
    target: str
    labels: int
    models: list[ModelEval]
    scan: Any = None  # the ScanResult

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "labelled_files": self.labels, "models": [m.to_dict() for m in self.models]}


def run_eval(options: Any, labels_path: str | Path, bus: Any, sampler: Any = None) -> EvalResult:
    """Scan ``options.target`` and score each model (and, with several, their merge)."""
    from aegis_cli.scan.pipeline import run_scan

    labels = load_labels(labels_path)
    result = run_scan(options, bus, sampler=sampler)
    evals = [ModelEval(m.name, m.status, score(result.model_findings.get(m.name, []), labels), cost_of(m))
             for m in result.models]
    if len(result.models) > 1:
        total = {k: None for k in evals[0].cost}
        for key in ("elapsed_ms", "load_time_ms", "calls", "input_tokens", "output_tokens", "total_tokens", "energy_j"):
            values = [e.cost[key] for e in evals if e.cost.get(key) is not None]
            total[key] = sum(values) if values else None
        evals.append(ModelEval(f"merged ({result.consensus})", "completed", score(result.findings, labels), total))
    return EvalResult(target=options.target, labels=len(labels), models=evals, scan=result)


def _pct(x: float | None) -> str:
    return "N/A" if x is None else f"{x:.2f}"


def _num(x: Any, fmt: str = "{:,.0f}") -> str:
    return "N/A" if x is None else fmt.format(x)


def render_eval(ev: EvalResult, fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps(ev.to_dict(), indent=2)
    header = ["model", "file P", "file R", "file F1", "line P", "line R", "line F1", "CWE acc", "time s",
              "tokens", "tok/s", "peak VRAM MB", "energy J"]
    rows = []
    for m in ev.models:
        s, c = m.score, m.cost
        rows.append([m.name, _pct(s.files.precision), _pct(s.files.recall), _pct(s.files.f1), _pct(s.lines.precision),
                     _pct(s.lines.recall), _pct(s.lines.f1), _pct(s.cwe_accuracy),
                     _num(c.get("elapsed_ms") and c["elapsed_ms"] / 1000, "{:.1f}"), _num(c.get("total_tokens")),
                     _num(c.get("tokens_per_s")), _num(c.get("peak_vram_mb")),
                     _num(c.get("energy_j"), "{:,.0f}") + (" (est.)" if c.get("energy_estimated") else "")])
    languages = sorted({lang for m in ev.models for lang in m.score.by_language})
    cwes = sorted({c for m in ev.models for c in m.score.by_cwe}, key=_cwe_key)
    if fmt == "markdown":
        from aegis_cli.textsafe import escape_markdown_cell

        def md(head, body):
            lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            lines += ["| " + " | ".join(escape_markdown_cell(str(x)) for x in row) + " |" for row in body]
            return "\n".join(lines)

        out = [f"# aegis eval of {escape_markdown_cell(ev.target)} ({ev.labels} labelled files)", "", md(header, rows), "",
               "## Line-level F1 per language", "",
               md(["language", *[m.name for m in ev.models]],
                  [[lang, *[_pct(m.score.by_language.get(lang, PRF()).f1) for m in ev.models]] for lang in languages]),
               "", "## Line-level recall per CWE", "",
               md(["CWE", *[m.name for m in ev.models]],
                  [[cwe, *[_pct(m.score.by_cwe.get(cwe, PRF()).recall) for m in ev.models]] for cwe in cwes])]
        return "\n".join(out) + "\n"
    from io import StringIO

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buf = StringIO()
    console = Console(file=buf, width=160, color_system=None, highlight=False)
    t = Table(title=f"aegis eval: {ev.labels} labelled files")
    for h in header:
        t.add_column(h, justify="left" if h == "model" else "right")
    for row in rows:
        t.add_row(*[Text(str(x)) for x in row])
    console.print(t)
    lt = Table(title="line-level F1 per language")
    lt.add_column("language")
    for m in ev.models:
        lt.add_column(Text(m.name), justify="right")
    for lang in languages:
        lt.add_row(lang, *[_pct(m.score.by_language.get(lang, PRF()).f1) for m in ev.models])
    console.print(lt)
    ct = Table(title="line-level recall per CWE (TP / labels)")
    ct.add_column("CWE")
    for m in ev.models:
        ct.add_column(Text(m.name), justify="right")
    for cwe in cwes:
        cells = []
        for m in ev.models:
            prf = m.score.by_cwe.get(cwe, PRF())
            cells.append(f"{_pct(prf.recall)} ({prf.tp}/{prf.tp + prf.fn})")
        ct.add_row(cwe, *cells)
    console.print(ct)
    return buf.getvalue()
