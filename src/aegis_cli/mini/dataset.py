"""aegis-mini's training data as rows the trainer reads: text plus labelled sink spans.

``dataset.source: builtin:aegis-mini-data`` in a training config generates these rows
in-process (:func:`generated_rows`); the same generator settings always give the same
rows. A row is ``{"text", "spans": [[start, end, "CWE-89"], ...], "language", "path"}``:
each span is a sink's [start, end) character range in ``text`` (the generator's
``meta["spans"]``), so the token labels cover exactly the sink (see
:mod:`aegis_cli.train.windows`). The token labels are ``O`` plus one label per CWE the
generator knows, named ``CWE-<n>``: the scan provider reads a finding's CWE straight
from the label's name.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from aegis_cli.mini.datagen import CWE_CATALOG, Sample, generate

SOURCE = "builtin:aegis-mini-data"
OUTSIDE = "O"


def _cwe_number(cwe: str) -> int:
    return int(cwe.split("-", 1)[1])


#: token labels in id order: "O", then every CWE by number
LABELS: list[str] = [OUTSIDE, *sorted(CWE_CATALOG, key=_cwe_number)]


def sample_row(sample: Sample) -> dict[str, Any]:
    """One generated file as a training row (its sink spans labelled with their CWE)."""
    spans = sample.meta.get("spans") or []
    if len(spans) != len(sample.findings):
        raise ValueError(f"{sample.path}: {len(spans)} spans for {len(sample.findings)} findings")
    return {
        "text": sample.text,
        "spans": [[int(a), int(b), f["cwe"]] for (a, b), f in zip(spans, sample.findings, strict=True)],
        "language": sample.language,
        "path": sample.path,
    }


def background_dir(kind: str) -> Path | None:
    """The real-code background a generator setting names (``none`` or ``stdlib``)."""
    if kind == "none":
        return None
    if kind == "stdlib":
        from aegis_cli.mini.background import stdlib_dir

        return stdlib_dir()
    raise ValueError(f"unknown background {kind!r}: use none or stdlib")


def background_fingerprint(kind: str) -> str | None:
    """A short hash of every background file and snippet the generator can draw (None without background):
    two machines with the same fingerprint generate the same data."""
    directory = background_dir(kind)
    if directory is None:
        return None
    from aegis_cli.mini.background import load_background

    bg = load_background(str(directory))
    h = hashlib.sha256()
    for (lang, pool), files in sorted(bg.by_lang.items()):
        for rel, text in files:
            h.update(f"{lang}\0{pool}\0{rel}\0".encode())
            h.update(text.encode("utf-8", "surrogatepass"))
    for pool, snippets in sorted(bg.snippets.items()):
        for origin, code in snippets:
            h.update(f"{pool}\0{origin}\0".encode())
            h.update(code.encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:16]


def generated_rows(n: int, *, seed: int, split: str, background: str = "none") -> list[dict[str, Any]]:
    """``n`` rows of ``split`` (train / validation / heldout), generated deterministically."""
    return [sample_row(s) for s in generate(n, seed=seed, split=split, background_dir=background_dir(background))]


def scannable_path(path: str) -> str:
    """A generated file's path with the background folder renamed ``vendor/`` → ``lib/``.

    The generator files real background code under ``caseN/vendor/``, and ``aegis scan``
    skips vendored folders, so a scan would never read it. Evaluations rename the folder so
    the background is scanned (and can produce false positives) like any other file.
    """
    return path.replace("/vendor/", "/lib/", 1)


def write_split(out_dir: Path, *, split: str, n: int, seed: int, background: str = "none") -> Path:
    """Write ``n`` generated files of ``split`` under ``out_dir`` with a ``labels.json`` in the
    ``aegis eval`` format (paths through :func:`scannable_path`); returns ``out_dir``."""
    import json

    out_dir = Path(out_dir)
    labels = []
    for sample in generate(n, seed=seed, split=split, background_dir=background_dir(background)):
        rel = scannable_path(sample.path)
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(sample.text, encoding="utf-8", newline="\n")
        labels.append({"path": rel, "vulnerable": sample.vulnerable, "findings": [dict(f) for f in sample.findings]})
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "labels.json").write_text(json.dumps(labels, indent=1) + "\n", encoding="utf-8")
    return out_dir
