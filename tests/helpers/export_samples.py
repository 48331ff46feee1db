"""ScanResults for the export tests: ordinary ones and ones full of hostile text."""

from __future__ import annotations

from aegis_cli.scan.findings import Finding
from aegis_cli.scan.result import ModelSummary, ScanResult, SkippedFile

HOSTILE = "[bold red]x[/] \x1b[5;35mblink\x1b[0m <script>alert(1)</script> | pipes | `tick` *a* _b_ & c\x00\x07\nnext"
HOSTILE_PATH = "dir with space/ü#1%\x1b[31m.js"


def model(name: str = "codebert", **kw) -> ModelSummary:
    base = dict(model_id=f"org/{name}", name=name, provider="hf", status="completed", device="cpu",
                precision="fp32", quantization="none", load_time_ms=812.0, calls=4, avg_latency_ms=25.5,
                findings=2, input_tokens=1500, output_tokens=0, total_tokens=1500, tokens_per_s=14705.9)
    base.update(kw)
    return ModelSummary(**base)


def finding(path: str = "app/db.py", start: int = 10, end: int = 12, cwe: str | None = "CWE-89",
            severity: str = "critical", **kw) -> Finding:
    base = dict(confidence=0.93, message="SQL query built from request data", snippet="cur.execute(q % name)",
                models=["codebert"], language="python")
    base.update(kw)
    return Finding(path=path, start_line=start, end_line=end, cwe=cwe, severity=severity, **base)


def result(findings=None, models=None, skipped=None, **kw) -> ScanResult:
    base = dict(target="/srv/repo", files_scanned=12, chunks=30, languages={"python": 8, "javascript": 4},
                started_at="2025-03-01T10:00:00+00:00", finished_at="2025-03-01T10:00:07+00:00",
                duration_s=7.25, tool_version="0.1.0")
    base.update(kw)
    return ScanResult(
        findings=[finding()] if findings is None else findings,
        models=[model()] if models is None else models,
        skipped=[] if skipped is None else skipped,
        **base,
    )


def rich_result() -> ScanResult:
    """Several findings (with and without CWE), skips, a failed model and a warning."""
    findings = [
        finding("app/db.py", 10, 12, "CWE-89", "critical", models=["codebert", "other"]),
        finding("web/view.js", 3, 3, "CWE-79", "high", language="javascript", message="reflected input"),
        finding("web/view.js", 40, 41, "CWE-79", "medium", language="javascript", message="maybe reflected"),
        finding("lib/util.c", 7, 9, None, "low", language="c", message="looks risky", snippet="strcpy(d, s);"),
        finding("lib/log.py", 1, 1, None, "info", message="note", snippet=""),
    ]
    skipped = [SkippedFile("node_modules/", "vendored (node_modules)"), SkippedFile("img/logo.png", "binary"),
               SkippedFile("dist/app.min.js", "minified")]
    models = [model("codebert"), model("other", status="failed", device=None, precision=None, quantization=None,
                                       load_time_ms=None, calls=0, avg_latency_ms=None, findings=0,
                                       input_tokens=0, total_tokens=0, tokens_per_s=None,
                                       error="CUDA out of memory")]
    return result(findings, models, skipped, warnings=["1 line longer than the context was split"])


def hostile_result() -> ScanResult:
    """Every field a file or a model controls carries markup, escapes or control characters."""
    findings = [
        finding(HOSTILE_PATH, 2, 4, None, "high", message=HOSTILE, title="<b>title</b> [link](http://x)",
                snippet="a = `x`\n```\nrm -rf / \x1b[31m# ansi\n````\nend", models=["[red]m[/] | x"],
                recommendation="Use <i>params</i> | *always*", flags=["flag\x1b[0m"]),
        finding("src/\u202eevil.py", 1, 1, "CWE-78", "critical", message="bidi \u202e reversed"),
    ]
    skipped = [SkippedFile("bad\x1b[2Jname.py", "reason with [bold]markup[/] | pipe <x>")]
    models = [model("[bold]evil[/]\x1b[31m", device="cuda:0 | <b>"),
              model("failing", status="failed", error="boom \x1b[31m[red]x[/] <script>", calls=0,
                    tokens_per_s=None, avg_latency_ms=None, load_time_ms=None)]
    return result(findings, models, skipped, warnings=["warn [x](y) <z>"], target="/tmp/t [x] <y>")
