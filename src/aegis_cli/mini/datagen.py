"""Labelled training data for aegis-mini: vulnerable code, safe look-alikes, exact line labels.

Every sample is a whole source file in one of ten languages (Python, JavaScript, TypeScript,
Java, C, C++, PHP, Go, C#, Ruby) built from templates (``aegis_cli.mini.templates``): one to
three *units* (a sink or its safe look-alike, placed with a flow) among ordinary code.
Roughly 45% of files are safe. A finding is ``{"cwe", "line", "end_line"}`` (1-based; ``line``
is the line of the sink), computed from the final text by the engine's sink markers, and
:func:`validate_sample` proves each label sits on the sink.

Variety: several vulnerable and safe templates per CWE and language; frameworks per language;
flows inline in a request handler or across two functions (source in the handler, sink in a
helper), with the input passed raw, through a harmless transform, through the right sanitizer
(safe) or with the sanitizer applied to the wrong variable (still vulnerable); randomised
identifiers, literals, comments, docstrings, indentation and quote styles; files of ~10 to
~300 lines; optional real code from the local standard library as background.

Held-out split (``split="heldout"``) is built so a score on it measures generalisation:

* identifiers and literals always come from a disjoint vocabulary (``vocab.WORD_POOLS``
  "heldout": its own nouns, verbs, adjectives, secret names, class suffixes, domains and
  directories), so no function, variable, table, key or message is shared with training;
* about a fifth of the template variants (330 of 1,511), sanitizers (24 of 125) and filler
  blocks (38 of 218) are marked ``held=True`` in the templates: train and validation never
  use them, held-out picks them first (70%) wherever a template set has them;
* one framework per language is reserved: Python bottle, JavaScript/TypeScript fastify,
  Java JAX-RS, PHP Slim, Go echo, C/C++ socket servers (recv), C# minimal APIs, Ruby Sinatra.
  60% of held-out files of a language use it; train and validation never do;
* background code: one standard-library file in five (by a hash of its path) is reserved.

``validation`` shares train's settings but draws from its own seed stream. ``calibration`` (the
split the ship step chooses the threshold on) shares train's templates, frameworks and
background but takes every name and literal from a third vocabulary (``vocab.WORD_POOLS``
"calibration") that neither training nor held-out uses: validation shares training's words
and makes the model look surer than it is on code it has not seen. The output is a
pure function of (n, seed, split) and, with background, of the background directory's files.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from aegis_cli.mini.background import Background, compiles, load_background
from aegis_cli.mini.compose import FilePlan, UnitPlan, compose
from aegis_cli.mini.engine import Framework, Kit, Spec, Variant
from aegis_cli.mini.templates import load_kits
from aegis_cli.mini.vocab import Namer, pool_for_split
from aegis_cli.scan.cwe import CWE_INFO
from aegis_cli.scan.sinks import fits_sink

SPLITS = ("train", "validation", "heldout", "calibration")
SAFE_FRACTION = 0.45
HELD_PREFERENCE = 0.7  # held-out files pick reserved variants first with this probability
HELD_FRAMEWORK_PREFERENCE = 0.6

LANGUAGE_WEIGHTS: dict[str, float] = {
    "python": 0.25, "javascript": 0.11, "typescript": 0.08, "java": 0.13, "c": 0.07, "cpp": 0.06,
    "php": 0.11, "go": 0.10, "csharp": 0.07, "ruby": 0.07,
}

_RECOMMENDATIONS: dict[str, str] = {
    "CWE-22": "Resolve the path and check it stays under the intended base directory; use the file name only.",
    "CWE-78": "Pass arguments as a list without a shell, or quote them (shlex.quote / escapeshellarg).",
    "CWE-79": "Escape untrusted data for the HTML context or render it through an auto-escaping template.",
    "CWE-89": "Use parameterised queries (placeholders and bound values), never string building.",
    "CWE-90": "Escape untrusted data with an LDAP filter escaper before building the filter.",
    "CWE-94": "Never execute or compile code or templates built from untrusted input.",
    "CWE-95": "Do not eval untrusted input; parse it with a data-only parser (literal_eval, JSON).",
    "CWE-117": "Strip or encode CR/LF in untrusted values before logging them, or log them with repr.",
    "CWE-120": "Bound every copy by the destination size (snprintf, strlcpy, std::string).",
    "CWE-134": "Use a constant format string and pass untrusted data as an argument (\"%s\").",
    "CWE-190": "Check the arithmetic for overflow before allocating or indexing with the result.",
    "CWE-209": "Log exception details on the server and return a generic error message.",
    "CWE-295": "Keep certificate and host name verification enabled.",
    "CWE-312": "Store a salted password hash (bcrypt, scrypt, Argon2), never the cleartext secret.",
    "CWE-327": "Use an authenticated modern cipher (AES-GCM, ChaCha20-Poly1305); never ECB, DES or RC4.",
    "CWE-328": "Hash passwords with a slow salted KDF (bcrypt, scrypt, PBKDF2, Argon2); never MD5 or SHA-1.",
    "CWE-338": "Generate tokens and codes with a cryptographic RNG (secrets, crypto.randomBytes, SecureRandom).",
    "CWE-352": "Keep CSRF protection enabled for state-changing requests.",
    "CWE-319": "Use TLS for credentials and tokens (HTTPS, FTP_TLS, SMTP with STARTTLS), never a cleartext protocol.",
    "CWE-326": "Use RSA or DSA keys of at least 2048 (better 3072) bits, or an elliptic curve such as P-256 or Ed25519.",
    "CWE-377": "Create temporary files atomically with mkstemp/NamedTemporaryFile, never predictable names.",
    "CWE-416": "Do not use memory after freeing it; set the pointer to NULL and restructure ownership.",
    "CWE-434": "Check the type and extension of uploads and store them under a generated name.",
    "CWE-489": "Never enable debug mode in deployable code; read it from the environment and default to off.",
    "CWE-476": "Check pointers returned by allocation and lookup functions before using them.",
    "CWE-502": "Never deserialize untrusted data with a code-capable format; use JSON or a safe loader.",
    "CWE-532": "Never log secrets; log that a credential was used, or a masked form.",
    "CWE-601": "Redirect only to relative paths or an allow-list of hosts.",
    "CWE-611": "Disable DTDs and external entity resolution in the XML parser.",
    "CWE-614": "Set the Secure and HttpOnly flags on session cookies.",
    "CWE-643": "Use XPath variables or strictly validate the value before building the expression.",
    "CWE-676": "Replace the unsafe function (gets, strcpy, scanf %s) with a bounded alternative.",
    "CWE-732": "Create files and directories with owner-only permissions (0o600/0o700), never world-writable.",
    "CWE-787": "Check the index against the buffer length before writing.",
    "CWE-798": "Load credentials from the environment or a secret store at runtime.",
    "CWE-918": "Fetch only allow-listed hosts; never a URL taken from the request as is.",
    "CWE-943": "Never pass request data as a query object or into $where; compare it as a plain value.",
    "CWE-1321": "Skip __proto__, constructor and prototype keys when merging untrusted objects.",
    "CWE-1333": "Escape untrusted regex input and avoid nested quantifiers; bound input length.",
}

CWE_CATALOG: dict[str, dict] = {
    cwe: {"name": CWE_INFO[cwe][0], "severity": CWE_INFO[cwe][1], "recommendation": rec}
    for cwe, rec in _RECOMMENDATIONS.items()
}

@dataclass
class Sample:
    """One generated file; ``findings`` hold ``{"cwe", "line", "end_line"}`` (1-based).

    ``meta`` says how it was made: ``split``, ``index``, ``kind`` (units / ordinary /
    background), ``framework``, ``units`` (template key, CWE, vulnerable, flow, sanitizer),
    ``sinks`` and ``spans`` (each finding's sink text and its [start, end) character offsets in
    ``text``, parallel to ``findings``: token labels can cover exactly the sink), ``fillers``, ``background``
    (stdlib files used) and ``words`` (vocabulary drawn; left out of the written JSONL).
    """

    path: str
    language: str
    text: str
    vulnerable: bool
    findings: list[dict]
    meta: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=False)


class SampleError(AssertionError):
    """A generated sample is inconsistent (a label not on its sink, markup left in the text …)."""


def validate_sample(sample: Sample) -> None:
    """Raise SampleError unless every label sits on its sink and the sample is self-consistent."""
    lines = sample.text.split("\n")
    if any(c in sample.text for c in "\x01\x02\x03«»⟦⟧"):
        raise SampleError(f"{sample.path}: template markup left in the text")
    if sample.vulnerable != bool(sample.findings):
        raise SampleError(f"{sample.path}: vulnerable={sample.vulnerable} but {len(sample.findings)} findings")
    sinks = sample.meta.get("sinks")
    if sinks is not None and len(sinks) != len(sample.findings):
        raise SampleError(f"{sample.path}: {len(sinks)} sink texts for {len(sample.findings)} findings")
    for i, finding in enumerate(sample.findings):
        if set(finding) != {"cwe", "line", "end_line"}:
            raise SampleError(f"{sample.path}: finding keys {sorted(finding)}")
        cwe, line, end = finding["cwe"], finding["line"], finding["end_line"]
        if cwe not in CWE_CATALOG:
            raise SampleError(f"{sample.path}: {cwe} is not in CWE_CATALOG")
        if not (1 <= line <= end <= len(lines)):
            raise SampleError(f"{sample.path}: lines {line}-{end} outside 1-{len(lines)}")
        span = "\n".join(lines[line - 1:end])
        sink = sinks[i] if sinks is not None else span
        if not sink.strip():
            raise SampleError(f"{sample.path}:{line}: empty sink")
        if sink not in span:
            raise SampleError(f"{sample.path}:{line}: sink {sink!r} is not on lines {line}-{end}")
        if not lines[line - 1].strip() or sink.split("\n")[0] not in lines[line - 1]:
            raise SampleError(f"{sample.path}:{line}: the sink does not start on the labelled line")
        spans = sample.meta.get("spans")
        if spans is not None and sample.text[spans[i][0]:spans[i][1]] != sink:
            raise SampleError(f"{sample.path}:{line}: span {spans[i]} does not hold the sink")
        # every sink of a CWE holds a token of its pattern (aegis_cli.scan.sinks): the template marked the right thing
        if not fits_sink(cwe, sink):
            raise SampleError(f"{sample.path}:{line}: {sink!r} does not look like a {cwe} sink")


# ---------------------------------------------------------------------------------------------
# planning one file
# ---------------------------------------------------------------------------------------------
def _kits() -> dict[str, Kit]:
    return load_kits()


def _held_filter(items: list, split: str, rng: random.Random) -> list:
    """Train/validation never see held items; held-out prefers them when there are any."""
    if split != "heldout":
        return [x for x in items if not x.held]
    held = [x for x in items if x.held]
    if held and rng.random() < HELD_PREFERENCE:
        return held
    return items


def _framework(kit: Kit, split: str, rng: random.Random) -> Framework:
    usable = [f for f in kit.frameworks if not f.held]
    if split == "heldout":
        held = [f for f in kit.frameworks if f.held]
        if held and rng.random() < HELD_FRAMEWORK_PREFERENCE:
            return rng.choice(held)
    return rng.choice(usable)


def _fits(variant: Variant, fw: Framework) -> bool:
    if fw.tagged_only:
        return fw.name in variant.frameworks or fw.name in variant.contexts
    return not variant.frameworks or fw.name in variant.frameworks


def _plan_unit(kit: Kit, fw: Framework, split: str, rng: random.Random, vulnerable: bool) -> UnitPlan | None:
    specs = list(kit.specs)
    weights = [s.weight for s in specs]
    for _ in range(30):
        spec: Spec = rng.choices(specs, weights)[0]
        fitting = [v for v in spec.variants if _fits(v, fw)]
        sanitizers = [s for s in spec.sanitizers if split == "heldout" or not s.held]
        if vulnerable:
            pool = [v for v in fitting if not v.safe]
        elif sanitizers and rng.random() < 0.35:
            pool = [v for v in fitting if not v.safe and v.kind == "taint" and v.sanitizable]
            if pool:
                variant = rng.choice(_held_filter(pool, split, rng))
                placement = "helper" if _movable(variant) and rng.random() < 0.45 else "inline"
                san = rng.choice(_held_filter(sanitizers, split, rng))
                return UnitPlan(spec, variant, placement, "sanitized", san)
            continue
        else:
            pool = [v for v in fitting if v.safe]
        pool = _held_filter(pool, split, rng) if pool else pool
        if not pool:
            continue
        variant = rng.choice(pool)
        placement = "helper" if _movable(variant) and rng.random() < 0.4 else "inline"
        treatment = "raw"
        san = None
        if variant.kind == "taint":
            r = rng.random()
            if not variant.safe and variant.sanitizable and sanitizers and r < 0.3:
                treatment = "wrongvar"
                san = rng.choice(_held_filter(sanitizers, split, rng))
            elif r > 0.75:
                treatment = "transform"
        return UnitPlan(spec, variant, placement, treatment, san)
    return None


def _movable(variant: Variant) -> bool:
    return variant.kind != "module" and not variant.frameworks and not variant.terminal


def _target_lines(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.3:
        return rng.randint(10, 40)
    if r < 0.75:
        return rng.randint(40, 120)
    return rng.randint(120, 300)


def _make_sample(index: int, *, seed: int, split: str, background: Background | None) -> Sample:
    rng = random.Random(f"aegis-mini/{seed}/{split}/{index}")
    kits = _kits()
    langs = [lang for lang in LANGUAGE_WEIGHTS if lang in kits]
    lang = rng.choices(langs, [LANGUAGE_WEIGHTS[x] for x in langs])[0]
    kit = kits[lang]
    pool = pool_for_split(split)
    namer = Namer(rng, pool, kit.style)
    vulnerable = rng.random() >= SAFE_FRACTION
    meta: dict = {"split": split, "index": index}

    bg_pool = "heldout" if split == "heldout" else "train"
    if not vulnerable and background is not None and rng.random() < 0.2:
        files = background.whole_files(lang, bg_pool)
        if files:
            rel, text = rng.choice(files)
            meta.update(kind="background", background=[rel], units=[], words=[], sinks=[], spans=[], fillers=[])
            path = f"case{index:05d}/vendor/{rel}"
            return Sample(path, lang, text if text.endswith("\n") else text + "\n", False, [], meta)

    fw = _framework(kit, split, rng)
    units: list[UnitPlan] = []
    if vulnerable or rng.random() < 0.85:
        count = rng.choices((1, 2, 3), (0.6, 0.28, 0.12))[0]
        for i in range(count):
            unit_vuln = vulnerable and (i == 0 or rng.random() < 0.3)
            plan = _plan_unit(kit, fw, split, rng, unit_vuln)
            if plan is not None:
                units.append(plan)
    rng.shuffle(units)
    module_fillers = [f for f in kit.fillers if f.scope == "module" and fw.name not in f.skip_frameworks]
    stmt_fillers = [f for f in kit.fillers if f.scope == "stmt" and fw.name not in f.skip_frameworks]
    if split != "heldout":
        module_fillers = [f for f in module_fillers if not f.held]
        stmt_fillers = [f for f in stmt_fillers if not f.held]
    target = _target_lines(rng)
    # every filler at most twice per file, in a seeded order
    chosen_fillers = module_fillers + module_fillers
    rng.shuffle(chosen_fillers)
    bg_blocks: list[tuple[str, str]] = []
    if lang == "python" and background is not None and rng.random() < 0.5:
        snippets = background.python_snippets(bg_pool)
        if snippets:
            picked = [rng.choice(snippets) for _ in range(rng.randint(1, 6))]
            bg_blocks = [(origin, code) for origin, code in picked if compiles(code)]
    plan = FilePlan(kit, fw, units, target, chosen_fillers, stmt_fillers, bg_blocks)
    rel, text, findings, sinks, spans = compose(plan, namer, rng)
    path = f"case{index:05d}/{rel}"
    is_vuln = bool(findings)
    meta.update(kind="units" if units else "ordinary", framework=fw.name,
                units=[u.describe() for u in units], sinks=sinks, spans=spans, fillers=sorted(set(plan.used["fillers"])),
                background=sorted(set(plan.used["background"])), words=sorted(set(namer.words)))
    return Sample(path, lang, text, is_vuln, findings, meta)


def generate(n: int, *, seed: int, split: str = "train", background_dir: Path | None = None) -> Iterator[Sample]:
    """Yield ``n`` samples of ``split``; the same arguments always give the same samples.

    Sample ``i`` depends only on (seed, split, i), so a longer run extends a shorter one.
    ``background_dir`` (e.g. :func:`aegis_cli.mini.background.stdlib_dir`) mixes real code in.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    background = load_background(str(background_dir)) if background_dir is not None else None
    for index in range(n):
        yield _make_sample(index, seed=seed, split=split, background=background)


def _stats_add(stats: dict, sample: Sample) -> None:
    stats["samples"] += 1
    stats["vulnerable"] += int(sample.vulnerable)
    stats["languages"][sample.language] += 1
    stats["lines"] += sample.text.count("\n")
    for f in sample.findings:
        stats["cwes"][f["cwe"]] += 1
    for unit in sample.meta.get("units", []):
        if not unit["vulnerable"]:
            stats["safe_lookalikes"][unit["cwe"]] += 1
    stats["kinds"][sample.meta.get("kind", "units")] += 1


def write_dataset(out_dir: Path, *, train: int, validation: int, heldout: int, seed: int,
                  background_dir: Path | None = None) -> dict:
    """Write train/validation/heldout JSONL files, a ``heldout/`` folder of real files with
    ``labels.json`` (the ``aegis eval`` format) and ``stats.json``; return the stats."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stats: dict = {"seed": seed, "splits": {}}
    labels: list[dict] = []
    heldout_root = out_dir / "heldout"
    for split, n in (("train", train), ("validation", validation), ("heldout", heldout)):
        s = {"samples": 0, "vulnerable": 0, "lines": 0, "languages": Counter(), "cwes": Counter(),
             "safe_lookalikes": Counter(), "kinds": Counter()}
        with (out_dir / f"{split}.jsonl").open("w", encoding="utf-8", newline="\n") as fh:
            for sample in generate(n, seed=seed, split=split, background_dir=background_dir):
                # the vocabulary words only serve the held-out checks; they would bloat the files
                row = replace(sample, meta={k: v for k, v in sample.meta.items() if k != "words"})
                fh.write(row.to_json() + "\n")
                _stats_add(s, sample)
                if split == "heldout":
                    target = heldout_root / sample.path
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(sample.text, encoding="utf-8", newline="\n")
                    labels.append({"path": sample.path, "vulnerable": sample.vulnerable,
                                   "findings": [dict(f) for f in sample.findings]})
        stats["splits"][split] = {k: dict(sorted(v.items())) if isinstance(v, Counter) else v for k, v in s.items()}
    heldout_root.mkdir(parents=True, exist_ok=True)
    (heldout_root / "labels.json").write_text(json.dumps(labels, indent=1) + "\n", encoding="utf-8")
    (out_dir / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return stats
