"""JSON, Markdown and table exports, atomic writes, and a property over arbitrary text:
whatever a file or a model says, every export stays valid and inert."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aegis_cli.errors import AegisError
from aegis_cli.redact import is_secret_name
from aegis_cli.scan.export import FORMATS, format_for_path, render, write
from aegis_cli.scan.export.markdown import FINDING_COLUMNS, TELEMETRY_COLUMNS
from aegis_cli.scan.result import SkippedFile
from aegis_cli.textsafe import safe_text
from helpers.export_samples import HOSTILE, finding, hostile_result, model, result, rich_result

TESTS = Path(__file__).resolve().parents[1]
_SCHEMA = json.loads((TESTS / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
SARIF_VALIDATOR = jsonschema.validators.validator_for(_SCHEMA)(_SCHEMA)
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(autouse=True)
def _no_secrets_in_env(monkeypatch):
    for name in list(os.environ):
        if is_secret_name(name):
            monkeypatch.delenv(name)


def strict_loads(text: str):
    def reject(constant):
        raise ValueError(f"non-strict JSON constant {constant}")

    return json.loads(text, parse_constant=reject)


def split_row(line: str) -> list[str]:
    """Cells of a GFM table row: pipes split cells unless backslash-escaped."""
    assert line.startswith("| ") and line.endswith(" |"), line
    body, cells, cell, i = line[1:-1], [], [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            cell.append(body[i:i + 2])
            i += 2
            continue
        if body[i] == "|":
            cells.append("".join(cell).strip())
            cell = []
        else:
            cell.append(body[i])
        i += 1
    cells.append("".join(cell).strip())
    return cells


def section(md: str, heading: str) -> list[str]:
    """The lines of one ``## heading`` section (without the heading)."""
    lines = md.split("\n")
    start = next(i for i, line in enumerate(lines) if line == heading or line.startswith(heading + " ("))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start + 1:end]


def table_rows(lines: list[str]) -> list[list[str]]:
    return [split_row(line) for line in lines
            if line.startswith("|") and not re.fullmatch(r"\|(?:-+:?\|)+", line)]  # not the |---| row


def html_tags(md: str) -> list[str]:
    """The tag sequence of ``md`` rendered by a CommonMark + GFM-tables renderer (markdown-it,
    which Rich already depends on): hostile text must not add or remove a single element."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)
    return re.findall(r"</?[a-z][a-z0-9]*", html)


def fenced_blocks(md: str) -> list[tuple[str, str]]:
    """(fence, content) of every fenced code block."""
    lines, out, i = md.split("\n"), [], 0
    while i < len(lines):
        m = re.match(r"^(`{3,})[A-Za-z0-9+#.\-]*$", lines[i])
        if m:
            fence = m.group(1)
            end = lines.index(fence, i + 1)
            out.append((fence, "\n".join(lines[i + 1:end])))
            i = end
        i += 1
    return out


# ---------------------------------------------------------------------------------- JSON


def test_json_round_trips_the_result_and_is_strict():
    res = rich_result()
    data = strict_loads(render(res, "json"))
    assert data == {"format": "aegis-scan", "format_version": 1, **res.to_dict()}
    assert list(data)[:4] == ["format", "format_version", "tool", "target"]  # stable order
    assert render(res, "json") == render(res, "json")


def test_json_maps_non_finite_numbers_to_null():
    res = result(models=[model(tokens_per_s=float("nan"), vram_mb=float("inf"), load_time_ms=float("-inf"))],
                 duration_s=float("nan"))
    text = render(res, "json")
    data = strict_loads(text)
    m = data["models"][0]
    assert m["tokens_per_s"] is None and m["vram_mb"] is None and m["load_time_ms"] is None
    assert data["duration_s"] is None
    assert m["avg_latency_ms"] == 25.5  # finite figures untouched


def test_json_keeps_text_faithful_but_writes_no_raw_escape_or_bidi_character():
    res = result([finding(message=HOSTILE + " \x9b31m c1 \u202e bidi \u2028 ls", snippet="x\x1b[2J\ny")])
    text = render(res, "json")
    assert not RAW_CONTROL.search(text)
    assert "\u2028" not in text
    f = strict_loads(text)["findings"][0]
    assert f["message"] == HOSTILE + " \x9b31m c1 \u202e bidi \u2028 ls"
    assert f["snippet"] == "x\x1b[2J\ny"


def test_json_replaces_lone_surrogates_so_the_text_encodes():
    res = result([finding(message="a\udcffb")])
    text = render(res, "json")
    text.encode("utf-8")
    assert strict_loads(text)["findings"][0]["message"] == "a\ufffdb"


# ------------------------------------------------------------------------------ Markdown


def test_markdown_escapes_hostile_text_in_table_cells_exactly():
    md = render(hostile_result(), "markdown")
    rows = table_rows(section(md, "## Findings"))
    assert rows[0] == list(FINDING_COLUMNS)
    assert rows[1] == [
        "1", "high", "dir with space/ü\\#1%.js:2-4", "—", "\\[red\\]m\\[/\\] \\| x", "0.93",
        "\\[bold red\\]x\\[/\\] blink &lt;script&gt;alert(1)&lt;/script&gt; \\| pipes \\| \\`tick\\` "
        "\\*a\\* \\_b\\_ &amp; c next",
    ]
    assert rows[2][2] == "src/\\\\u202eevil.py:1"  # bidi override shown as text, never applied
    assert rows[2][6] == "bidi \\\\u202e reversed"
    assert not RAW_CONTROL.search(md)
    assert "<script>" not in md and "<b>" not in md and "<i>" not in md
    tags = html_tags(md)
    assert "<script" not in tags and "<b" not in tags and "<i" not in tags and "<em" not in tags[6:]
    assert tags.count("<a") == 1  # only the CWE-78 link aegis writes itself


def test_markdown_details_headings_and_lists_are_escaped():
    md = render(hostile_result(), "markdown")
    assert "### 1. HIGH: &lt;b&gt;title&lt;/b&gt; \\[link\\](http://x)" in md.split("\n")
    assert "- **Recommendation:** Use &lt;i&gt;params&lt;/i&gt; \\| \\*always\\*" in md.split("\n")
    assert "- **Flags:** flag" in md.split("\n")
    skipped = section(md, "## Skipped files")
    assert table_rows(skipped)[1] == ["reason with \\[bold\\]markup\\[/\\] \\| pipe &lt;x&gt;", "1"]
    assert "- badname.py — reason with \\[bold\\]markup\\[/\\] \\| pipe &lt;x&gt;" in skipped
    assert "> **Warning:** warn \\[x\\](y) &lt;z&gt;" in md.split("\n")
    assert "- **Target:** /tmp/t \\[x\\] &lt;y&gt;" in md.split("\n")


def test_markdown_fence_outlasts_backticks_in_the_snippet():
    md = render(hostile_result(), "markdown")
    blocks = fenced_blocks(md)
    fence, content = blocks[0]
    assert fence == "`````"  # the snippet holds a run of four
    assert content == "a = `x`\n```\nrm -rf / # ansi\n````\nend"
    assert md.split("\n")[md.split("\n").index(fence + "python")] == "`````python"
    assert blocks[1] == ("```", "cur.execute(q % name)")


def test_markdown_says_na_for_unknown_figures_and_keeps_real_zeros():
    md = render(rich_result(), "markdown")
    rows = table_rows(section(md, "## Model telemetry"))
    assert rows[0] == list(TELEMETRY_COLUMNS)
    header = rows[0]
    ok, failed = (dict(zip(header, row, strict=True)) for row in rows[1:])
    assert ok["Device"] == "cpu" and ok["Load ms"] == "812" and ok["Avg latency ms"] == "25.5"
    assert ok["Tokens/s (basis)"] == "14705.9 (processed)"
    assert ok["VRAM MB"] == "N/A" and ok["Energy J"] == "N/A"  # CPU: no VRAM figure, no energy counter
    assert ok["Output tokens"] == "0"  # a classifier generates nothing: a real 0
    for column in ("Device", "Precision", "VRAM MB", "Load ms", "Avg latency ms", "Tokens/s (basis)"):
        assert failed[column] == "N/A", column
    assert "> **Model failed:** other — CUDA out of memory" in md.split("\n")


def test_markdown_labels_generated_and_estimated_speeds():
    md = render(result(models=[model("gen", speed_basis="output", tokens_estimated=True, output_tokens=80,
                                     total_tokens=1580, tokens_per_s=40.0, energy_j=12.5,
                                     energy_estimated=True)]), "markdown")
    row = dict(zip(TELEMETRY_COLUMNS, table_rows(section(md, "## Model telemetry"))[1], strict=True))
    assert row["Tokens/s (basis)"] == "40.0 (generated, estimated)"
    assert row["Output tokens"] == "~80"
    assert row["Energy J"] == "12.5 (estimated)"


def test_markdown_summary_and_severity_counts():
    md = render(rich_result(), "markdown")
    lines = md.split("\n")
    assert lines[0] == "# aegis scan report"
    assert "- **Files scanned:** 12 · **Files skipped:** 3 · **Chunks:** 30" in lines
    assert "- **Duration:** 7.2 s" in lines
    assert table_rows(section(md, "## Summary"))[1:] == [
        ["critical", "1"], ["high", "1"], ["medium", "1"], ["low", "1"], ["info", "1"]]


def test_markdown_groups_skip_reasons_and_caps_the_list():
    skipped = [SkippedFile(f"vendor/{i}.js", "vendored (vendor)") for i in range(230)]
    skipped += [SkippedFile(f"bin/{i}.so", "binary") for i in range(20)]
    md = render(result(skipped=skipped), "markdown")
    lines = section(md, "## Skipped files")
    assert table_rows(lines)[1:] == [["vendored (vendor)", "230"], ["binary", "20"]]
    assert sum(1 for line in lines if line.startswith("- ")) == 200
    assert "… and 50 more" in lines
    assert "## Skipped files (250)" in md.split("\n")


def test_markdown_without_findings_says_so():
    md = render(result([]), "markdown")
    assert section(md, "## Findings")[1] == "No findings."
    assert "## Skipped files" not in md


# ---------------------------------------------------------------------------------- table


def test_table_prints_markup_literally_and_strips_escapes():
    out = render(hostile_result(), "table", width=220)
    assert "[bold red]x[/]" in out
    assert "[red]m[/] | x" in out
    assert "<script>alert(1)</script>" in out
    assert "\x1b" not in out
    assert not RAW_CONTROL.search(out)
    assert "[bold]evil[/] [hf] on cuda:0 | <b>" in out
    assert "failing [hf]: FAILED (boom [red]x[/] <script>)" in out


def test_table_in_color_styles_severity_but_never_replays_file_escapes():
    out = render(hostile_result(), "table", color=True, width=220)
    assert "\x1b[" in out  # severity colours
    assert "\x1b[5;35m" not in out and "\x1b[2J" not in out  # the file's own sequences are gone
    assert "[bold red]x[/]" in out


def test_table_lists_findings_summary_and_model_lines_within_width():
    out = render(rich_result(), "table", width=100)
    assert all(len(line) <= 100 for line in out.split("\n"))
    assert "CRITICAL" in out and "app/db.py:10-12" in out and "CWE-89" in out
    assert "5 findings (1 critical, 1 high, 1 medium, 1 low, 1 info) in 12 files scanned, 3 skipped, 7.2 s" in out
    assert "Skipped: 1 × binary; 1 × minified; 1 × vendored (node_modules)" in out
    flat = " ".join(out.split())
    assert "codebert [hf] on cpu · precision fp32 · quantization none · VRAM N/A · load 812 ms" in flat
    assert "14705.9 tok/s (processed)" in flat
    assert "other [hf]: FAILED (CUDA out of memory)" in flat
    assert "Warning: 1 line longer than the context was split" in out


def test_table_model_line_on_gpu_with_estimated_energy():
    out = render(result(models=[model(device="cuda:0", precision="bf16", vram_mb=2048.4, energy_j=31.25,
                                      energy_estimated=True)]), "table", width=400)
    assert "on cuda:0 · precision bf16 · quantization none · VRAM 2048 MB · load 812 ms · 4 calls" in out
    assert "energy 31.2 J (estimated)" in out


def test_table_without_findings_says_so():
    out = render(result([]), "table")
    assert "No findings." in out
    assert "0 findings" in out


# ------------------------------------------------------------------------ paths and writes


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("out.sarif", "sarif"), ("out.SARIF.json", "sarif"), ("r.json", "json"), ("r.md", "markdown"),
     ("r.markdown", "markdown"), ("r.txt", "table"), ("r.html", None), ("noext", None)],
)
def test_format_for_path(name, fmt):
    assert format_for_path(Path("some/dir") / name) == fmt
    assert format_for_path(str(name)) == fmt


def test_render_rejects_an_unknown_format():
    with pytest.raises(AegisError, match="unknown export format"):
        render(result(), "html")
    assert FORMATS == ("table", "json", "sarif", "markdown")


@pytest.mark.parametrize("fmt", FORMATS)
def test_write_puts_exactly_the_rendered_text_and_leaves_no_temp_file(tmp_path, fmt):
    path = tmp_path / f"out.{fmt}"
    write(rich_result(), fmt, path)
    assert path.read_text(encoding="utf-8") == render(rich_result(), fmt)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_write_keeps_the_mode_of_the_file_it_replaces_and_honours_umask(tmp_path):
    path = tmp_path / "r.sarif"
    path.write_text("old")
    path.chmod(0o600)
    write(result(), "sarif", path)
    assert path.stat().st_mode & 0o777 == 0o600
    fresh = tmp_path / "fresh.json"
    old = os.umask(0o027)
    try:
        write(result(), "json", fresh)
    finally:
        os.umask(old)
    assert fresh.stat().st_mode & 0o777 == 0o640


def test_write_accepts_the_longest_file_name(tmp_path):
    path = tmp_path / ("x" * 249 + ".sarif")
    write(result(), "sarif", path)
    assert strict_loads(path.read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_write_to_a_directory_fails_cleanly(tmp_path):
    target = tmp_path / "adir"
    target.mkdir()
    with pytest.raises(AegisError, match="could not write"):
        write(result(), "json", target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE behaviour is Linux's")
def test_a_write_that_fails_midway_leaves_the_previous_file_intact(tmp_path):
    path = tmp_path / "r.sarif"
    path.write_text("previous report")
    code = (
        "import resource, signal, sys\n"
        "from pathlib import Path\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))\n"
        "from helpers.export_samples import rich_result\n"
        "from aegis_cli.errors import AegisError\n"
        "from aegis_cli.scan.export import write\n"
        "try:\n"
        "    write(rich_result(), 'sarif', Path(sys.argv[1]))\n"
        "    print('WROTE')\n"
        "except AegisError as e:\n"
        "    print('ERROR', e.message)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env,
                         check=True, timeout=60)
    assert out.stdout.startswith("ERROR could not write"), out.stdout + out.stderr
    assert path.read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.sarif"]


def test_export_modules_import_neither_torch_nor_textual():
    code = (
        "import sys\n"
        "import aegis_cli.scan.export, aegis_cli.scan.export.sarif, aegis_cli.scan.export.json_export\n"
        "import aegis_cli.scan.export.markdown, aegis_cli.scan.export.table, aegis_cli.textsafe\n"
        "print(','.join(m for m in ('torch', 'textual', 'transformers') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""


# ---------------------------------------------------------------------- property: any text

SPECIALS = "`|<>&*_[]\\#~$-+=.:%? \n\r\t\x00\x07\x1b\x7f\x85\x9b\u2028\u202e\u200b\ud800"
ANY_TEXT = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(SPECIALS)), max_size=40)
ESCAPE_SEQUENCE = st.sampled_from(["", "\x1b[31m", "\x1b]8;;http://x\x07", "[bold red]", "```", "| x |"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=ANY_TEXT, snippet=ANY_TEXT, path=ANY_TEXT, name=ANY_TEXT, reason=ANY_TEXT, extra=ESCAPE_SEQUENCE)
def test_arbitrary_text_keeps_every_export_valid(message, snippet, path, name, reason, extra):
    f = finding(path=path + extra, message=extra + message, snippet=snippet + extra, models=[name])
    res = result([f], [model(name + extra)], [SkippedFile(path, reason + extra)], warnings=[extra + reason])

    sarif = render(res, "sarif")
    sarif.encode("utf-8")
    assert not list(SARIF_VALIDATOR.iter_errors(strict_loads(sarif)))
    assert not RAW_CONTROL.search(sarif)

    data = strict_loads(render(res, "json"))
    assert data["findings"][0]["message"] == re.sub("[\ud800-\udfff]", "\ufffd", extra + message)

    md = render(res, "markdown")
    md.encode("utf-8")
    assert not RAW_CONTROL.search(md)
    findings = table_rows(section(md, "## Findings"))
    assert len(findings) == 2 and all(len(row) == len(FINDING_COLUMNS) for row in findings)
    telemetry = table_rows(section(md, "## Model telemetry"))
    assert len(telemetry) == 2 and all(len(row) == len(TELEMETRY_COLUMNS) for row in telemetry)
    skipped = section(md, "## Skipped files")
    assert all(len(row) == 2 for row in table_rows(skipped)) and len(table_rows(skipped)) == 2
    assert sum(1 for line in skipped if line.startswith("- ")) == 1
    code = safe_text(snippet + extra).rstrip("\n")
    if code.strip():
        fence, content = fenced_blocks(md)[0]
        assert content == code
        assert len(fence) > max((len(r) for r in re.findall("`+", code)), default=0)

    plain = result([finding(path="p", message="m" if extra + message else "", snippet="s" if code.strip() else "", models=["n"])],
                   [model("n")], [SkippedFile("p", "r")], warnings=["w"])
    assert html_tags(md) == html_tags(render(plain, "markdown"))

    table = render(res, "table", width=100)
    assert not RAW_CONTROL.search(table)
