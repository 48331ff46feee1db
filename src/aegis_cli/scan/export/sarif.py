"""SARIF 2.1.0 for code-scanning dashboards (GitHub, Azure DevOps, IDE viewers).

One run per scan. ``tool.driver.rules`` holds one rule per rule id (a CWE, or the generic
``aegis/insecure-code``), each result points at its rule by ``ruleIndex``; levels and
``security-severity`` follow GitHub's conventions; ``partialFingerprints`` carry the
finding's stable fingerprint so alerts survive re-runs. Skipped files, failed models and
warnings are ``toolExecutionNotifications`` of the invocation, and the per-model
telemetry sits in ``run.properties``.

Text a scanned file or model controls goes through :func:`aegis_cli.textsafe.safe_text`
(no control characters, bidi overrides shown as ``\\u202e``); message texts also escape
literal square brackets, which SARIF otherwise reads as embedded links (§3.11.6).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aegis_cli.scan.cwe import cwe_name, cwe_url
from aegis_cli.scan.export.common import SARIF_LEVELS, SECURITY_SEVERITY, finite, scrubbed
from aegis_cli.scan.export.json_export import dumps_strict
from aegis_cli.scan.findings import GENERIC_RULE, Finding, severity_rank
from aegis_cli.scan.result import ScanResult
from aegis_cli.textsafe import safe_text

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/aegis-cli/aegis"
SRCROOT = "SRCROOT"
FINGERPRINT_KEY = "aegisFingerprint/v1"

#: tool.driver.notifications: what each toolExecutionNotification is about
NOTIFICATIONS: list[dict[str, Any]] = [
    {"id": "aegis/skipped-file", "name": "SkippedFile",
     "shortDescription": {"text": "A file was not scanned; the message says why."},
     "defaultConfiguration": {"level": "note"}},
    {"id": "aegis/model-failed", "name": "ModelFailed",
     "shortDescription": {"text": "A model failed to load or run; its findings are missing."},
     "defaultConfiguration": {"level": "error"}},
    {"id": "aegis/warning", "name": "ScanWarning",
     "shortDescription": {"text": "Something about the scan that needs attention."},
     "defaultConfiguration": {"level": "warning"}},
]
_NOTIFICATION_INDEX = {n["id"]: i for i, n in enumerate(NOTIFICATIONS)}
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")
_LANGUAGE = re.compile(r"^[a-z][a-z0-9+#.\-]{0,31}$")
_CWE_NUMBER = re.compile(r"^CWE-(\d+)$")


def message(text: str) -> dict[str, str]:
    """A SARIF message object; literal ``[``/``]`` escaped so they never form a link."""
    clean = safe_text(text)
    # a backslash that precedes a bracket is itself escaped first (SARIF §3.11.6)
    clean = re.sub(r"(\\*)([\[\]])", lambda m: m.group(1) * 2 + "\\" + m.group(2), clean)
    return {"text": clean}


def artifact_uri(path: str) -> str:
    """A relative path as an RFC 3986 relative reference: ``a b/ü#1.py`` → ``a%20b/%C3%BC%231.py``.

    Everything but unreserved characters and ``/`` is percent-encoded, so ``%``, ``#``,
    ``?`` and a ``:`` that would read as a URI scheme cannot change the meaning. A
    backslash is data here (the archive reader writes unprintable name bytes as ``\\xNN``),
    so it is encoded (``%5C``), never read as a Windows separator.
    """
    return quote(safe_text(path), safe="/", encoding="utf-8", errors="strict")


def _location(path: str, index: int | None = None) -> dict[str, Any]:
    artifact: dict[str, Any] = {"uri": artifact_uri(path), "uriBaseId": SRCROOT}
    if index is not None:
        artifact["index"] = index
    return {"physicalLocation": {"artifactLocation": artifact}}


def _pascal(text: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[^A-Za-z0-9]+", text) if word)


def _rule(rule_id: str, cwe: str | None, worst: str) -> dict[str, Any]:
    tags = ["security"]
    if rule_id == GENERIC_RULE or (cwe is None and not _CWE_NUMBER.match(rule_id)):
        name = "InsecureCode" if rule_id == GENERIC_RULE else _pascal(safe_text(rule_id)) or "Finding"
        short = "Potentially insecure code flagged by a model" if rule_id == GENERIC_RULE else safe_text(rule_id)
        rule: dict[str, Any] = {
            "id": safe_text(rule_id),
            "name": name,
            "shortDescription": message(short),
            "fullDescription": message(
                "A model judged this code likely to be vulnerable without naming a CWE; review it."
                if rule_id == GENERIC_RULE else f"Findings reported under the rule {safe_text(rule_id)}."),
        }
    else:
        cwe = cwe or rule_id
        number = _CWE_NUMBER.match(cwe).group(1)  # type: ignore[union-attr]
        title = cwe_name(cwe)
        tags.append(f"external/cwe/cwe-{number}")
        rule = {
            "id": safe_text(rule_id),
            "name": _pascal(title) if title else f"CWE{number}",
            "shortDescription": message(f"{title} ({cwe})" if title else cwe),
            "fullDescription": message(
                f"{title} ({cwe}): see the CWE entry for how it is exploited and fixed." if title
                else f"{cwe}: see the CWE entry for how it is exploited and fixed."),
            "helpUri": cwe_url(cwe),
            "help": {"text": f"See {cwe_url(cwe)}",
                     "markdown": f"See [{cwe}]({cwe_url(cwe)}) in the MITRE CWE list."},
        }
    rule["defaultConfiguration"] = {"level": SARIF_LEVELS[worst]}
    rule["properties"] = {"tags": tags, "security-severity": SECURITY_SEVERITY[worst], "severity": worst}
    return rule


def _rule_sort_key(rule_id: str) -> tuple[int, int, str]:
    m = _CWE_NUMBER.match(rule_id)
    if m:
        return (0, int(m.group(1)), rule_id)
    return (2 if rule_id == GENERIC_RULE else 1, 0, rule_id)


def _rules(findings: list[Finding]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    worst: dict[str, str] = {}
    cwe_of: dict[str, str | None] = {}
    for f in findings:
        if f.rule_id not in worst or severity_rank(f.severity) < severity_rank(worst[f.rule_id]):
            worst[f.rule_id] = f.severity
        cwe_of.setdefault(f.rule_id, f.cwe)
    ids = sorted(worst, key=_rule_sort_key)
    return [_rule(rid, cwe_of[rid], worst[rid]) for rid in ids], {rid: i for i, rid in enumerate(ids)}


def _artifacts(findings: list[Finding]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    artifacts: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for f in findings:
        if f.path in index:
            continue
        index[f.path] = len(artifacts)
        artifact: dict[str, Any] = {"location": {"uri": artifact_uri(f.path), "uriBaseId": SRCROOT}}
        if f.language and _LANGUAGE.match(f.language):
            artifact["sourceLanguage"] = f.language
        artifacts.append(artifact)
    return artifacts, index


def _result(f: Finding, rule_index: int, artifact_index: int) -> dict[str, Any]:
    text = f.message.strip() or f.title or "Potentially insecure code"
    region: dict[str, Any] = {"startLine": f.start_line, "endLine": f.end_line}
    if f.snippet:
        region["snippet"] = {"text": safe_text(f.snippet)}
    location = _location(f.path, artifact_index)
    location["physicalLocation"]["region"] = region
    properties: dict[str, Any] = {
        "security-severity": SECURITY_SEVERITY[f.severity],
        "severity": f.severity,
        "confidence": finite(f.confidence),
        "models": [safe_text(m) for m in f.models],
        "flags": [safe_text(flag) for flag in f.flags],
    }
    if f.cwe:
        properties["cwe"] = f.cwe
    if f.title:
        properties["title"] = safe_text(f.title)
    if f.recommendation:
        properties["recommendation"] = safe_text(f.recommendation)
    return {
        "ruleId": safe_text(f.rule_id),
        "ruleIndex": rule_index,
        "level": SARIF_LEVELS[f.severity],
        "message": message(text),
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": properties,
    }


def _notification(descriptor: str, level: str, text: str, path: str | None = None,
                  properties: dict[str, Any] | None = None) -> dict[str, Any]:
    note: dict[str, Any] = {
        "level": level,
        "message": message(text),
        "descriptor": {"id": descriptor, "index": _NOTIFICATION_INDEX[descriptor]},
    }
    if path:
        note["locations"] = [_location(path)]
    if properties:
        note["properties"] = properties
    return note


def _invocation(result: ScanResult) -> dict[str, Any]:
    notes = [_notification("aegis/skipped-file", "note", f"Skipped: {s.reason}", s.path) for s in result.skipped]
    for m in result.failed_models:
        notes.append(_notification("aegis/model-failed", "error",
                                   f"Model failed: {m.name} ({m.error or 'unknown error'})",
                                   properties={"model_id": safe_text(m.model_id)}))
    notes.extend(_notification("aegis/warning", "warning", w) for w in result.warnings)
    invocation: dict[str, Any] = {
        "executionSuccessful": not result.failed_models,
        "toolExecutionNotifications": notes,
    }
    if _RFC3339.match(result.started_at or ""):
        invocation["startTimeUtc"] = result.started_at
    if _RFC3339.match(result.finished_at or ""):
        invocation["endTimeUtc"] = result.finished_at
    return invocation


def _srcroot(target: str) -> dict[str, Any]:
    """A directory target's absolute file URI; an archive's members have no file URI."""
    description = message(f"Root of the scanned target: {target}")
    if not target or target.lower().endswith(".zip"):
        return {"description": description}
    return {"uri": Path(target).absolute().as_uri().rstrip("/") + "/", "description": description}


def _safe_mapping(data: Any) -> Any:
    if isinstance(data, str):
        return safe_text(data)
    if isinstance(data, dict):
        return {safe_text(k): _safe_mapping(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_safe_mapping(v) for v in data]
    return data


def to_sarif(result: ScanResult) -> dict[str, Any]:
    """The SARIF log as a dict (secrets scrubbed, text made inert)."""
    result = scrubbed(result)
    rules, rule_index = _rules(result.findings)
    artifacts, artifact_index = _artifacts(result.findings)
    version = result.tool_version or "0.0.0"
    driver: dict[str, Any] = {
        "name": "aegis",
        "fullName": "aegis: scan code with HuggingFace models",
        "version": version,
        "semanticVersion": version,
        "informationUri": INFORMATION_URI,
        "rules": rules,
        "notifications": NOTIFICATIONS,
    }
    summary = result.to_dict()["summary"]
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"aegis/scan/{result.started_at or 'unknown'}"},
        "originalUriBaseIds": {SRCROOT: _srcroot(safe_text(result.target))},
        "invocations": [_invocation(result)],
        "artifacts": artifacts,
        "results": [_result(f, rule_index[f.rule_id], artifact_index[f.path]) for f in result.findings],
        "columnKind": "unicodeCodePoints",
        "properties": _safe_mapping({
            "target": result.target,
            "started_at": result.started_at,
            "finished_at": result.finished_at,
            "duration_s": result.duration_s,
            "consensus": result.consensus,
            "summary": summary,
            "models": [m.to_dict() for m in result.models],
        }),
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(result: ScanResult) -> str:
    return dumps_strict(to_sarif(result)) + "\n"
