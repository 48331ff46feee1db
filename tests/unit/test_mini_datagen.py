"""The aegis-mini data generator: exact labels, variety, held-out separation, determinism."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from aegis_cli.mini import datagen, vocab
from aegis_cli.mini.background import load_background, reserved_for_heldout, stdlib_dir
from aegis_cli.mini.datagen import CWE_CATALOG, Sample, SampleError, generate, validate_sample, write_dataset
from aegis_cli.mini.templates import load_kits
from aegis_cli.mini.vocab import WORD_POOLS, pool_words
from aegis_cli.scan.findings import SEVERITIES

REQUIRED_LANGUAGES = {"python", "javascript", "typescript", "java", "php", "go"}


@pytest.fixture(scope="module")
def train() -> list[Sample]:
    return list(generate(2000, seed=11, split="train"))


@pytest.fixture(scope="module")
def heldout() -> list[Sample]:
    return list(generate(900, seed=11, split="heldout"))


@pytest.fixture(scope="module")
def validation() -> list[Sample]:
    return list(generate(300, seed=11, split="validation"))


# --- exact labels ------------------------------------------------------------------------------
def test_every_label_sits_on_its_sink(train, heldout, validation):
    for sample in train + heldout + validation:
        validate_sample(sample)
    findings = [f for s in train for f in s.findings]
    assert findings, "no vulnerable samples at all"
    assert any(f["end_line"] > f["line"] for f in findings), "no multi-line sink was generated"


def test_sink_text_is_on_the_labelled_line(train):
    """Re-derive the check independently of validate_sample: the sink starts on `line`."""
    checked = 0
    for sample in train:
        lines = sample.text.split("\n")
        for finding, sink in zip(sample.findings, sample.meta["sinks"], strict=True):
            first = sink.split("\n")[0]
            assert first in lines[finding["line"] - 1]
            last = sink.split("\n")[-1]
            assert last in lines[finding["end_line"] - 1]
            checked += 1
    assert checked > 500


def test_spans_locate_each_sink_exactly(train):
    for sample in train:
        for finding, sink, (start, end) in zip(sample.findings, sample.meta["sinks"], sample.meta["spans"], strict=True):
            assert sample.text[start:end] == sink
            assert sample.text.count("\n", 0, start) + 1 == finding["line"]
            assert sample.text.count("\n", 0, end) + 1 == finding["end_line"]


def test_validator_rejects_a_shifted_label(train):
    sample = next(s for s in train if s.findings and s.text.count("\n") > 20)
    lines = sample.text.split("\n")
    finding = sample.findings[0]
    # move the label to a line that does not hold the sink
    other = next(i for i in range(1, len(lines) + 1)
                 if sample.meta["sinks"][0].split("\n")[0] not in lines[i - 1] and lines[i - 1].strip())
    bad = dataclasses.replace(sample, findings=[{**finding, "line": other, "end_line": other}, *sample.findings[1:]])
    with pytest.raises(SampleError):
        validate_sample(bad)
    with pytest.raises(SampleError):
        validate_sample(dataclasses.replace(sample, vulnerable=False))
    with pytest.raises(SampleError):
        validate_sample(dataclasses.replace(sample, text=sample.text + "«id»\n"))


def test_findings_have_exactly_the_eval_keys(train):
    for sample in train:
        for finding in sample.findings:
            assert set(finding) == {"cwe", "line", "end_line"}
            assert 1 <= finding["line"] <= finding["end_line"]
        assert sample.vulnerable == bool(sample.findings)


# --- coverage and variety ------------------------------------------------------------------------
def test_catalog_describes_at_least_twenty_cwes():
    assert len(CWE_CATALOG) >= 20
    for cwe, entry in CWE_CATALOG.items():
        assert re.fullmatch(r"CWE-\d+", cwe)
        assert entry["name"] and entry["recommendation"]
        assert entry["severity"] in SEVERITIES


def test_at_least_twenty_cwes_and_the_required_languages_are_produced(train):
    cwes = Counter(f["cwe"] for s in train for f in s.findings)
    assert len(cwes) >= 20, cwes
    assert set(cwes) <= set(CWE_CATALOG)
    languages = {s.language for s in train}
    assert languages >= REQUIRED_LANGUAGES
    assert languages & {"c", "cpp"}
    for lang in REQUIRED_LANGUAGES:
        per_lang = {f["cwe"] for s in train if s.language == lang for f in s.findings}
        assert len(per_lang) >= 8, (lang, per_lang)


def test_roughly_half_the_files_are_safe(train):
    safe = sum(not s.vulnerable for s in train) / len(train)
    assert 0.38 <= safe <= 0.55, safe


def test_file_sizes_span_small_to_large(train):
    sizes = [s.text.count("\n") for s in train]
    assert min(sizes) <= 25
    assert max(sizes) >= 200
    assert sum(1 for n in sizes if n > 120) > len(sizes) * 0.1


def test_every_template_set_has_vulnerable_and_safe_variants():
    for lang, kit in load_kits().items():
        for spec in kit.specs:
            usable = [v for v in spec.variants if not v.held]
            assert any(not v.safe for v in usable), (lang, spec.cwe)
            assert any(v.safe for v in usable), (lang, spec.cwe)
            for v in spec.variants:
                assert ("⟦" in v.code + v.block) != v.safe, f"{v.key}: markers only on vulnerable variants"


def test_safe_lookalikes_are_generated_for_most_cwes(train):
    safe_units = Counter(u["cwe"] for s in train for u in s.meta["units"] if not u["vulnerable"])
    vuln = {f["cwe"] for s in train for f in s.findings}
    assert len(set(safe_units) & vuln) >= 20
    # look-alikes come both as safe templates and as vulnerable templates behind the right sanitizer
    flows = Counter(u["flow"].split("/")[1] for s in train for u in s.meta["units"] if not u["vulnerable"])
    assert flows["sanitized"] > 50 and flows["raw"] > 200


def test_cross_function_and_wrong_variable_flows(train):
    units = [u for s in train for u in s.meta["units"]]
    vulnerable_helpers = [u for u in units if u["vulnerable"] and u["flow"].startswith("helper/")]
    wrong_variable = [u for u in units if u["flow"].endswith("/wrongvar")]
    assert len(vulnerable_helpers) > 100
    assert len(wrong_variable) > 50 and all(u["vulnerable"] for u in wrong_variable)
    assert all(not u["vulnerable"] for u in units if u["flow"].endswith("/sanitized"))
    multi = [s for s in train if len(s.findings) >= 2]
    assert len(multi) > 50


def test_identifiers_are_randomised(train):
    python = [s for s in train if s.language == "python" and s.meta["units"]]
    names = Counter(m for s in python for m in re.findall(r"^def (\w+)", s.text, re.M))
    assert len(names) > 300 and names.most_common(1)[0][1] < 15


# --- held-out separation -------------------------------------------------------------------------
def test_word_pools_are_disjoint():
    assert not (pool_words("train") & pool_words("heldout"))
    assert WORD_POOLS["train"]["domains"] != WORD_POOLS["heldout"]["domains"]
    for other in ("train", "heldout"):
        assert not (pool_words("calibration") & pool_words(other))
        assert not set(WORD_POOLS["calibration"]["domains"]) & set(WORD_POOLS[other]["domains"])


def test_calibration_split_has_new_names_and_training_settings():
    """The split the ship step can choose a threshold on: every word from its own pool, never a setting
    reserved for the held-out split (templates, frameworks, sanitizers, fillers)."""
    variants, frameworks, sanitizers, fillers = _held_keys()
    calib_words = pool_words("calibration")
    samples = list(generate(200, seed=11, split="calibration"))
    assert sum(s.vulnerable for s in samples) > 60
    for sample in samples:
        validate_sample(sample)
        assert set(sample.meta["words"]) <= calib_words, set(sample.meta["words"]) - calib_words
        assert (sample.language, sample.meta.get("framework")) not in frameworks
        for unit in sample.meta["units"]:
            assert unit["template"] not in variants and unit["sanitizer"] not in sanitizers
        assert not set(sample.meta["fillers"]) & fillers


def _held_keys():
    variants, frameworks, sanitizers, fillers = set(), set(), set(), set()
    for lang, kit in load_kits().items():
        frameworks |= {(lang, f.name) for f in kit.frameworks if f.held}
        fillers |= {f.key for f in kit.fillers if f.held}
        for spec in kit.specs:
            variants |= {v.key for v in spec.variants if v.held}
            sanitizers |= {s.key for s in spec.sanitizers if s.held}
    return variants, frameworks, sanitizers, fillers


def test_reserved_settings_exist_for_every_language():
    variants, frameworks, _, _ = _held_keys()
    langs = set(load_kits())
    assert {lang for lang, _ in frameworks} == langs
    assert {key.split("/")[0] for key in variants} == langs


def test_train_and_validation_never_use_reserved_settings(train, validation):
    variants, frameworks, sanitizers, fillers = _held_keys()
    train_words, held_words = pool_words("train"), pool_words("heldout")
    all_made_up: set[str] = set()
    for sample in train + validation:
        assert (sample.language, sample.meta.get("framework")) not in frameworks, sample.path
        for unit in sample.meta["units"]:
            assert unit["template"] not in variants, unit
            assert unit["sanitizer"] not in sanitizers, unit
        assert not set(sample.meta["fillers"]) & fillers
        made_up = set(sample.meta["words"]) - train_words  # pseudo_word draws: never a held-out word
        all_made_up |= made_up
        assert not made_up & held_words, made_up & held_words
        assert not made_up & vocab._RESERVED, made_up & vocab._RESERVED  # `pass = ...` does not parse
        assert all(w.isalpha() and w.islower() and 4 <= len(w) <= 12 for w in made_up), made_up
    # fresh made-up words, not a list a model could learn: most are seen once
    assert len(all_made_up) > 200, len(all_made_up)


def test_heldout_uses_its_own_vocabulary_and_mostly_reserved_templates(heldout):
    variants, frameworks, sanitizers, _ = _held_keys()
    held_words = pool_words("heldout")
    reserved = 0
    for sample in heldout:
        assert set(sample.meta["words"]) <= held_words, set(sample.meta["words"]) - held_words
        uses_reserved = (sample.language, sample.meta.get("framework")) in frameworks or any(
            u["template"] in variants or u["sanitizer"] in sanitizers for u in sample.meta["units"])
        reserved += uses_reserved
    assert reserved / len(heldout) > 0.6
    assert len({f["cwe"] for s in heldout for f in s.findings}) >= 20


def test_heldout_text_contains_no_train_identifiers(heldout):
    """Spot-check the text itself, not just the metadata: train-only nouns never appear as names."""
    train_nouns = set(WORD_POOLS["train"]["nouns"]) - {"user"}
    for sample in heldout[:300]:
        names = set(re.findall(r"\b[a-z]+_[a-z_]+\b", sample.text))
        for name in names:
            parts = set(name.split("_"))
            assert not (parts & train_nouns and parts & set(WORD_POOLS["heldout"]["nouns"])), name


# --- determinism and speed --------------------------------------------------------------------
def test_same_seed_gives_identical_samples():
    a = [s.to_json() for s in generate(80, seed=5, split="heldout")]
    b = [s.to_json() for s in generate(80, seed=5, split="heldout")]
    c = [s.to_json() for s in generate(80, seed=6, split="heldout")]
    assert a == b
    assert a != c
    # sample i depends only on (seed, split, i): a longer run extends a shorter one
    assert [s.to_json() for s in generate(40, seed=5, split="heldout")] == a[:40]


def test_write_dataset_is_byte_identical_across_runs(tmp_path):
    first = write_dataset(tmp_path / "a", train=40, validation=10, heldout=30, seed=3)
    second = write_dataset(tmp_path / "b", train=40, validation=10, heldout=30, seed=3)
    assert first == second
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_generation_is_fast():
    list(generate(20, seed=1))  # import and warm-up
    start = time.perf_counter()
    list(generate(1000, seed=2))
    # ~1.5 ms per file on an idle 2-core machine (20,000 files in ~30 s); the bound leaves room for a busy CI box
    assert time.perf_counter() - start < 20


def test_unknown_split_is_rejected():
    with pytest.raises(ValueError):
        next(generate(1, seed=0, split="test"))


# --- the files on disk --------------------------------------------------------------------------
def test_labels_json_matches_the_heldout_folder(tmp_path):
    stats = write_dataset(tmp_path, train=30, validation=10, heldout=60, seed=9)
    labels = json.loads((tmp_path / "heldout" / "labels.json").read_text())
    rows = [json.loads(line) for line in (tmp_path / "heldout.jsonl").read_text().splitlines()]
    assert len(labels) == len(rows) == 60
    for label, row in zip(labels, rows, strict=True):
        assert set(label) == {"path", "vulnerable", "findings"}
        assert label["path"] == row["path"]
        assert (tmp_path / "heldout" / label["path"]).read_text() == row["text"]
        assert label["vulnerable"] == bool(label["findings"])
        for finding in label["findings"]:
            assert set(finding) == {"cwe", "line", "end_line"}
    assert len({label["path"] for label in labels}) == len(labels)
    for split, n in (("train", 30), ("validation", 10), ("heldout", 60)):
        assert stats["splits"][split]["samples"] == n
        assert sum(stats["splits"][split]["languages"].values()) == n
        assert sum(1 for _ in (tmp_path / f"{split}.jsonl").open()) == n
    assert json.loads((tmp_path / "stats.json").read_text()) == json.loads(json.dumps(stats))


def test_sample_json_round_trips(train):
    sample = train[3]
    data = json.loads(sample.to_json())
    assert Sample(**data) == sample


# --- the code is code -----------------------------------------------------------------------------
def test_python_samples_parse(train, heldout):
    python = [s for s in train + heldout if s.language == "python"]
    assert len(python) > 300
    for sample in python:
        ast.parse(sample.text, filename=sample.path)


_STRINGS = {
    "default": r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'',
    "javascript": r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`(?:[^`\\]|\\.)*`'
                  r"|(?<=[(,=!:&|?{};\s])/(?![/*])(?:\[(?:[^\]\\\n]|\\.)*\]|[^/\\\n\[]|\\.)+/[gimsuy]*",
    "go": r'"(?:[^"\\\n]|\\.)*"|`[^`]*`|\'(?:[^\'\\\n]|\\.)*\'',
    "csharp": r'@"(?:[^"]|"")*"|\$?"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'',
    "ruby": r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|/(?:[^/\\\n]|\\.)+/(?=[\s)]|$)|`[^`]*`',
}
_COMMENTS = {"default": r"//[^\n]*|/\*[\s\S]*?\*/", "php": r"//[^\n]*|/\*[\s\S]*?\*/|#[^\n]*", "ruby": r"#(?!\{)[^\n]*"}


def _balanced(text: str, lang: str) -> bool:
    key = "javascript" if lang == "typescript" else lang
    strings = _STRINGS.get(key, _STRINGS["default"])
    comments = _COMMENTS.get(lang, _COMMENTS["default"])
    if lang == "cpp" or lang == "c":
        text = re.sub(r"^#include[^\n]*", "", text, flags=re.M)
    code = re.sub(f"{strings}|{comments}" if key == "javascript" else f"{comments}|{strings}", " ", text)
    stack = []
    for ch in code:
        if ch in "([{":
            stack.append(ch)
        elif ch in ")]}" and (not stack or "([{"[")]}".index(ch)] != stack.pop()):
            return False
    return not stack


@pytest.mark.parametrize("lang", ["javascript", "typescript", "java", "c", "cpp", "php", "go", "csharp", "ruby"])
def test_brackets_balance(lang, train, heldout):
    samples = [s for s in train + heldout if s.language == lang and s.meta["kind"] != "background"]
    assert len(samples) > 40
    for sample in samples:
        assert _balanced(sample.text, lang), sample.path


def test_ruby_blocks_close(train, heldout):
    opener = re.compile(r"^\s*(def|class|module|if|unless|begin|case|while)\b|\bdo(\s*\|[^|]*\|)?\s*$")
    for sample in (s for s in train + heldout if s.language == "ruby"):
        code = re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', sample.text)
        opens = sum(1 for line in code.split("\n") if opener.search(line))
        ends = sum(1 for line in code.split("\n") if re.fullmatch(r"\s*end", line))
        assert opens == ends, sample.path


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_javascript_samples_pass_node_check(train, heldout, tmp_path):
    samples = [s for s in train + heldout if s.language == "javascript"][:15]
    for i, sample in enumerate(samples):
        esm = re.search(r"^(import|export) ", sample.text, re.M)
        path = tmp_path / f"s{i}.{'mjs' if esm else 'cjs'}"
        path.write_text(sample.text)
        result = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, (sample.path, result.stderr[-400:])


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
def test_c_samples_compile(train, tmp_path):
    checked = 0
    for i, sample in enumerate(s for s in train if s.language == "c"):
        if i >= 30:
            break
        path = tmp_path / f"s{i}.c"
        path.write_text(sample.text)
        result = subprocess.run(["gcc", "-fsyntax-only", "-w", str(path)], capture_output=True, text=True)
        if "No such file or directory" in result.stderr:
            continue  # a library header (sqlite3, openssl) is not installed here
        assert result.returncode == 0, (sample.path, result.stderr[-600:])
        checked += 1
    assert checked >= 10


# --- real code as background ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def with_background() -> list[Sample]:
    return list(generate(400, seed=4, split="train", background_dir=stdlib_dir()))


def test_stdlib_background_is_mixed_in_and_still_labelled_exactly(with_background):
    python = [s for s in with_background if s.language == "python"]
    mixed = [s for s in python if s.meta["background"] and s.meta["kind"] == "units"]
    whole = [s for s in with_background if s.meta["kind"] == "background"]
    assert mixed and whole
    assert all(not s.vulnerable for s in whole)
    for sample in with_background:
        validate_sample(sample)
    for sample in python:
        ast.parse(sample.text)
    for sample in mixed + whole:
        assert not any(reserved_for_heldout(rel) for rel in sample.meta["background"])


def test_heldout_background_comes_from_reserved_files():
    samples = list(generate(300, seed=4, split="heldout", background_dir=stdlib_dir()))
    used = {rel for s in samples for rel in s.meta["background"]}
    assert used and all(reserved_for_heldout(rel) for rel in used)


def test_background_is_deterministic_and_optional(tmp_path):
    (tmp_path / "pkg").mkdir()
    for k in range(10):
        (tmp_path / "pkg" / f"util_{k}.py").write_text("\n".join(
            f"def helper_{k}_{i}(value):\n    total = value + {i}\n    if total > {k}:\n        total -= 1\n    return total * 2\n"
            for i in range(12)))
    background = load_background(str(tmp_path))
    assert background.python_snippets("train") and background.python_snippets("heldout")
    a = [s.to_json() for s in generate(120, seed=2, background_dir=tmp_path)]
    b = [s.to_json() for s in generate(120, seed=2, background_dir=tmp_path)]
    assert a == b
    used = {rel for x in a for rel in json.loads(x)["meta"]["background"]}
    assert used and not any(reserved_for_heldout(rel) for rel in used)
    plain = [json.loads(s.to_json()) for s in generate(120, seed=2)]
    assert not any(x["meta"]["background"] for x in plain)


def test_language_weights_cover_every_kit():
    assert set(datagen.LANGUAGE_WEIGHTS) == set(load_kits())
    assert Path(datagen.__file__).name == "datagen.py"
