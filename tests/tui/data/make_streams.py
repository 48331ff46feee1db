"""Writes the event streams the dashboard tests replay (run it to regenerate them).

    python tests/tui/data/make_streams.py

* ``cpu_stream.jsonl`` — one classifier on the CPU (fp32), hardware samples without a GPU.
* ``gpu_stream.jsonl`` — GPU-style: a bf16 classifier and an int4 generative model on
  cuda:0 with H100-like figures (VRAM, load times, NVML power/temperature), and an HTTP
  model that fails mid-run.
* ``sources.json`` — the scanned files' text (path → text) for the code view.

The figures are shaped like real runs (per-batch latency, tokens per batch, load time and
VRAM deltas of these model sizes) but are synthesised here with fixed timestamps so the
snapshots are deterministic; they were not measured on a GPU.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from aegis_cli.scan.findings import Finding
from aegis_cli.telemetry.events import (
    FileSkipped,
    FindingFound,
    GpuSample,
    HardwareSample,
    LogMessage,
    ModelCall,
    ModelCompleted,
    ModelFailed,
    ModelLoading,
    ModelStarted,
    RunFinished,
    RunStarted,
    ScanProgress,
)
from aegis_cli.telemetry.sinks import event_to_json

HERE = Path(__file__).parent
T0 = 1000.0

SOURCES = {
    "app/db.py": (
        "import sqlite3\n\n\n"
        "def find_user(conn: sqlite3.Connection, name: str):\n"
        "    cur = conn.cursor()\n"
        "    query = \"SELECT * FROM users WHERE name = '\" + name + \"'\"\n"
        "    cur.execute(query)\n"
        "    return cur.fetchone()\n\n\n"
        "def count_users(conn):\n"
        "    return conn.execute(\"SELECT count(*) FROM users\").fetchone()[0]\n"
    ),
    "app/views.py": (
        "import subprocess\n"
        "from flask import Flask, request\n\n"
        "app = Flask(__name__)\n\n\n"
        "@app.route('/ping')\n"
        "def ping():\n"
        "    host = request.args.get('host', 'localhost')\n"
        "    out = subprocess.check_output('ping -c 1 ' + host, shell=True)\n"
        "    return out\n"
    ),
    "web/[link=x]render.js": (
        "export function render(el, comment) {\n"
        "  // comment comes straight from the query string\n"
        "  el.innerHTML = '<p>' + comment.body + '</p>';\n"
        "}\n\n"
        "export function title(el, text) {\n"
        "  el.textContent = text;\n"
        "}\n"
    ),
    "src/main/java/org/demo/FileServlet.java": (
        "package org.demo;\n\n"
        "import java.io.*;\n"
        "import javax.servlet.http.*;\n\n"
        "public class FileServlet extends HttpServlet {\n"
        "    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {\n"
        "        String name = req.getParameter(\"file\");\n"
        "        File f = new File(\"/srv/files/\" + name);\n"
        "        try (InputStream in = new FileInputStream(f)) {\n"
        "            in.transferTo(resp.getOutputStream());\n"
        "        }\n"
        "    }\n"
        "}\n"
    ),
    "native/parse.c": (
        "#include <string.h>\n\n"
        "void copy_name(const char *input) {\n"
        "    char buf[16];\n"
        "    strcpy(buf, input);\n"
        "}\n"
    ),
    "cmd/server/main.go": (
        "package main\n\n"
        "import (\n\t\"crypto/md5\"\n\t\"fmt\"\n)\n\n"
        "func hash(pw string) string {\n"
        "\treturn fmt.Sprintf(\"%x\", md5.Sum([]byte(pw)))\n"
        "}\n"
    ),
}


def _lines(path: str, start: int, end: int) -> str:
    return "\n".join(SOURCES[path].splitlines()[start - 1:end])


FLAWS = [  # path, start, end, cwe, severity, confidence, message
    ("app/db.py", 6, 7, "CWE-89", "critical", 0.97,
     "SQL query built by string concatenation with user input [bold red]pwned[/]"),
    ("app/views.py", 9, 10, "CWE-78", "high", 0.91, "Shell command built from a request parameter"),
    ("web/[link=x]render.js", 3, 3, "CWE-79", "high", 0.88, "User-controlled HTML assigned to innerHTML"),
    ("src/main/java/org/demo/FileServlet.java", 8, 9, "CWE-22", "high", 0.84,
     "File path from a request parameter is not normalised"),
    ("native/parse.c", 4, 5, "CWE-120", "medium", 0.76, "strcpy into a fixed 16-byte buffer"),
    ("cmd/server/main.go", 9, 10, "CWE-328", "low", 0.63, "MD5 used to hash a password"),
]


def finding(flaw, model: str) -> Finding:
    path, start, end, cwe, severity, confidence, message = flaw
    return Finding(path=path, start_line=start, end_line=end, cwe=cwe, severity=severity,
                   confidence=confidence, message=message, snippet=_lines(path, start, end), models=[model])


class Stream:
    def __init__(self) -> None:
        self.t = T0
        self.events: list = []

    def add(self, cls, dt: float = 0.01, **kw) -> None:
        self.t += dt
        self.events.append(cls(ts=round(self.t, 3), **kw))

    def write(self, path: Path) -> None:
        path.write_text("".join(event_to_json(e) + "\n" for e in self.events), encoding="utf-8")


def run_model(s: Stream, rng: random.Random, *, model_id: str, name: str, calls: int, files: int,
              flaws: list, latency: float, tokens: int, output: int = 0, record_files: bool,
              hw, fail_after: int | None = None) -> None:
    total_in = total_out = 0
    latency_sum = 0.0
    per_file = max(1, calls // files)
    for i in range(calls):
        lat = round(latency * rng.uniform(0.85, 1.2), 2)
        tin = int(tokens * rng.uniform(0.8, 1.0))
        tout = int(output * rng.uniform(0.6, 1.0)) if output else 0
        s.add(ModelCall, dt=lat / 1000, model_id=model_id, latency_ms=lat, input_tokens=tin,
              output_tokens=tout, items=8 if not output else 1)
        total_in, total_out, latency_sum = total_in + tin, total_out + tout, latency_sum + lat
        if fail_after is not None and i + 1 == fail_after:
            s.add(ModelFailed, model_id=model_id, name=name,
                  error="HTTP 503 from http://127.0.0.1:8000/v1/chat/completions (service unavailable)")
            return
        if i < len(flaws):
            s.add(FindingFound, finding=finding(flaws[i], name).to_dict())
        s.add(ScanProgress, done=i + 1, total=calls, unit="chunks", model_id=model_id)
        if record_files and (i + 1) % per_file == 0:
            s.add(ScanProgress, done=min(files, (i + 1) // per_file), total=files, unit="files")
        if i % 10 == 0:
            s.add(HardwareSample, **hw(rng))
    if record_files:
        s.add(ScanProgress, done=files, total=files, unit="files")
    basis_tokens = total_out if output else total_in + total_out
    s.add(ModelCompleted, model_id=model_id, name=name, calls=calls, avg_latency_ms=round(latency_sum / calls, 2),
          findings=len(flaws), input_tokens=total_in, output_tokens=total_out, total_tokens=total_in + total_out,
          tokens_per_s=round(basis_tokens / (latency_sum / 1000), 1), speed_basis="output" if output else "processed",
          elapsed_ms=round(latency_sum * 1.04, 1))


def cpu_stream() -> Stream:
    rng = random.Random(7)
    s = Stream()
    s.add(RunStarted, run_id="3f2a9c1d7e01", kind="scan",
          meta={"target": "demo-app.zip", "models": ["codebert-base"], "files_total": 24})
    s.add(FileSkipped, path="web/node_modules/", reason="vendored folder")
    s.add(FileSkipped, path="web/dist/app.min.js", reason="minified or generated code")
    s.add(ModelLoading, model_id="codebert", name="codebert-base")

    def hw(r):
        return {"cpu_pct": round(r.uniform(82, 97), 1), "rss_mb": round(r.uniform(1480, 1530), 1),
                "ram_used_mb": round(r.uniform(6100, 6200), 1), "ram_total_mb": 15988.0}

    s.add(HardwareSample, **hw(rng))
    s.add(ModelStarted, dt=1.874, model_id="codebert", name="codebert-base", provider="hf", device="cpu",
          vram_mb=None, load_time_ms=1873.6, quantization=None, precision="fp32", parameters=124647170,
          context_tokens=512)
    run_model(s, rng, model_id="codebert", name="codebert-base", calls=42, files=24, flaws=FLAWS,
              latency=412.0, tokens=3650, record_files=True, hw=hw)
    s.add(LogMessage, level="warning", text="native/parse.c:1: decoded as latin-1 (not valid UTF-8)",
          source="codebert-base")
    s.add(RunFinished, run_id="3f2a9c1d7e01", status="completed", duration_s=round(s.t - T0 + 0.02, 2))
    return s


def gpu_stream() -> Stream:
    rng = random.Random(11)
    s = Stream()
    models = ["codebert-base", "CodeAstra-7B", "remote-llm"]
    s.add(RunStarted, run_id="9b41d0e2c6aa", kind="scan",
          meta={"target": "demo-app.zip", "models": models, "files_total": 24})
    s.add(FileSkipped, path="web/node_modules/", reason="vendored folder")

    def hw(r):
        gpu = GpuSample(index=0, uuid="GPU-6f1c2a7e-0d55-4b2c-9c1e-2f3d4a5b6c7d", name="NVIDIA H100 80GB HBM3",
                        cuda_index=0, util_pct=round(r.uniform(88, 99)), mem_used_mb=round(r.uniform(6790, 6830), 1),
                        mem_total_mb=81559.0, power_w=round(r.uniform(290, 335), 1),
                        energy_mj=None, temp_c=round(r.uniform(56, 61)), sm_clock_mhz=1980.0)
        return {"gpus": (gpu,), "cpu_pct": round(r.uniform(9, 14), 1), "rss_mb": 3120.5,
                "ram_used_mb": 24310.0, "ram_total_mb": 128810.0}

    s.add(HardwareSample, **hw(rng))
    s.add(ModelLoading, model_id="codebert", name="codebert-base")
    s.add(ModelStarted, dt=1.21, model_id="codebert", name="codebert-base", provider="hf", device="cuda:0",
          vram_mb=478.2, load_time_ms=1204.7, quantization=None, precision="bf16", parameters=124647170,
          context_tokens=512)
    run_model(s, rng, model_id="codebert", name="codebert-base", calls=12, files=24, flaws=FLAWS[:5],
              latency=38.5, tokens=14200, record_files=True, hw=hw)
    s.add(ModelLoading, model_id="codeastra", name="CodeAstra-7B")
    s.add(ModelStarted, dt=18.34, model_id="codeastra", name="CodeAstra-7B", provider="hf", device="cuda:0",
          vram_mb=5124.6, load_time_ms=18342.1, quantization="int4", precision="bf16", parameters=7241732096,
          context_tokens=8192)
    run_model(s, rng, model_id="codeastra", name="CodeAstra-7B", calls=24, files=24,
              flaws=[FLAWS[0], FLAWS[1], FLAWS[3]], latency=2870.0, tokens=1900, output=190,
              record_files=False, hw=hw)
    s.add(ModelLoading, model_id="remote", name="remote-llm", provider="http")
    s.add(ModelStarted, dt=0.05, model_id="remote", name="remote-llm", provider="http", device=None,
          vram_mb=None, load_time_ms=48.3, quantization=None, precision=None)
    run_model(s, rng, model_id="remote", name="remote-llm", calls=5, files=24, flaws=[], latency=1450.0,
              tokens=1800, output=160, record_files=False, hw=hw, fail_after=3)
    s.add(RunFinished, run_id="9b41d0e2c6aa", status="completed", duration_s=round(s.t - T0 + 0.02, 2))
    return s


def main() -> None:
    cpu_stream().write(HERE / "cpu_stream.jsonl")
    gpu_stream().write(HERE / "gpu_stream.jsonl")
    (HERE / "sources.json").write_text(json.dumps(SOURCES, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
