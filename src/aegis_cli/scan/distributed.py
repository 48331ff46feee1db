"""A scan over several devices: one worker process per device, each scanning one shard of
the files (by a stable hash of the path), events streamed back to this process's bus.

Every file belongs to exactly one shard and every model sees the same shard split, so
per-file chunking, per-model merging and cross-model merging all happen inside one worker
for any given path: the merged findings are identical to a single-device scan. Telemetry
stays per device: each worker's model appears as ``NAME@DEVICE`` with its own load time,
VRAM, calls and tokens.
"""

from __future__ import annotations

import dataclasses
import os
import queue
import time
from typing import Any

from aegis_cli.errors import AegisError
from aegis_cli.scan.findings import Finding, sort_key
from aegis_cli.scan.pipeline import ScanOptions, _now_iso
from aegis_cli.scan.result import ScanResult
from aegis_cli.telemetry.events import (
    Event,
    FileSkipped,
    FindingFound,
    LogMessage,
    ModelCall,
    ModelCompleted,
    ModelFailed,
    ModelLoading,
    ModelStarted,
    RunFinished,
    RunStarted,
    ScanProgress,
    event_from_dict,
)

_MODEL_EVENTS = (ModelLoading, ModelStarted, ModelCall, ModelCompleted, ModelFailed)


class _QueueBus:
    """A worker's bus: every event goes to the parent as a plain dict."""

    def __init__(self, q: Any, rank: int):
        self.q, self.rank = q, rank

    def publish(self, event: Event) -> None:
        self.q.put(("event", self.rank, event.to_dict()))


def _worker(options: dict[str, Any], rank: int, device: str, q: Any, threads: int | None) -> None:
    try:
        if threads:
            import torch

            torch.set_num_threads(threads)
        opts = ScanOptions(**options)
        opts.device, opts.devices, opts.shard = device, [], (rank, len(options["devices"]))
        from aegis_cli.scan.pipeline import run_scan

        result = run_scan(opts, _QueueBus(q, rank))
        per_model = {name: [f.to_dict() for f in fs] for name, fs in result.model_findings.items()}
        q.put(("result", rank, (result.to_dict(), result.sources, per_model)))
    except AegisError as err:
        q.put(("error", rank, (err.message, err.hint, int(err.exit_code))))
    except BaseException as exc:  # reported, never lost
        q.put(("error", rank, (f"worker {rank} on {device} crashed: {type(exc).__name__}: {exc}", None, 5)))


def _label(name: str, device: str, rank: int, unique_devices: bool) -> str:
    return f"{name}@{device}" if unique_devices else f"{name}@{device}#{rank}"


def run_sharded(options: ScanOptions, bus: Any, *, sampler: Any = None) -> ScanResult:
    """Run ``options`` across ``options.devices`` (one process each) and merge the results."""
    import multiprocessing as mp

    devices = list(options.devices)
    n = len(devices)
    unique = len(set(devices)) == n
    ctx = mp.get_context("spawn")  # CUDA cannot be forked; spawn is also the safe default on macOS
    q = ctx.Queue()
    cpu_workers = sum(1 for d in devices if d == "cpu")
    threads = max(1, (os.cpu_count() or 1) // cpu_workers) if cpu_workers else None
    payload = dataclasses.asdict(options)
    started_at = _now_iso()
    t0 = time.monotonic()
    bus.publish(RunStarted(run_id=f"sharded-{os.getpid()}", kind="scan",
                           meta={"target": options.target, "models": options.models, "devices": devices,
                                 "started_at": started_at}))
    procs = [ctx.Process(target=_worker, args=(payload, rank, device, q, threads if device == "cpu" else None),
                         name=f"aegis-scan-{rank}", daemon=True) for rank, device in enumerate(devices)]
    for p in procs:
        p.start()
    results: dict[int, tuple[dict[str, Any], dict[str, str], dict[str, list]]] = {}
    errors: dict[int, tuple[str, str | None, int]] = {}
    names: dict[tuple[int, str], str] = {}
    skipped_seen: set[tuple[str, str]] = set()
    files_done: dict[int, int] = {}
    files_total: dict[int, int | None] = {}
    try:
        while len(results) + len(errors) < n:
            try:
                kind, rank, data = q.get(timeout=1.0)
            except queue.Empty:
                for rank, p in enumerate(procs):
                    if not p.is_alive() and rank not in results and rank not in errors and q.empty():
                        errors[rank] = (f"worker {rank} on {devices[rank]} exited with code {p.exitcode}", None, 5)
                continue
            if kind == "result":
                results[rank] = data
            elif kind == "error":
                errors[rank] = data
                bus.publish(LogMessage(level="error", text=data[0], source=devices[rank]))
            else:
                _forward(event_from_dict(data), rank, devices[rank], unique, bus, names, skipped_seen,
                         files_done, files_total)
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()
    if errors and not results:
        message, hint, code = errors[min(errors)]
        raise AegisError(message, hint, exit_code=code)
    merged = _merge(options, results, devices, unique)
    merged.started_at, merged.finished_at, merged.duration_s = started_at, _now_iso(), time.monotonic() - t0
    for rank, (message, _, _) in sorted(errors.items()):
        merged.warnings.append(f"shard {rank} ({devices[rank]}) failed: {message}")
    failed = [m for m in merged.models if m.status == "failed"]
    bus.publish(RunFinished(run_id=f"sharded-{os.getpid()}", status="failed" if errors or len(failed) == len(merged.models) else "completed",
                            error="; ".join(m.error or "" for m in failed) or None, duration_s=merged.duration_s))
    return merged


def _forward(event: Event, rank: int, device: str, unique: bool, bus: Any, names: dict, skipped_seen: set,
             files_done: dict, files_total: dict) -> None:
    """Re-publish a worker's event with per-device model ids and no duplicates."""
    if isinstance(event, (RunStarted, RunFinished)):
        return
    if isinstance(event, FileSkipped):
        key = (event.path, event.reason)
        if key in skipped_seen:  # folder-level skips are seen by every worker
            return
        skipped_seen.add(key)
    elif isinstance(event, ScanProgress) and event.unit == "files":
        files_done[rank] = event.done
        files_total[rank] = event.total
        totals = list(files_total.values())
        event = ScanProgress(done=sum(files_done.values()), total=None if None in totals else sum(totals), unit="files")
    elif isinstance(event, ScanProgress) and event.model_id:
        event = dataclasses.replace(event, model_id=f"{event.model_id}@{rank}")
    elif isinstance(event, _MODEL_EVENTS):
        changes: dict[str, Any] = {"model_id": f"{event.model_id}@{rank}"}
        name = getattr(event, "name", None)
        if name:
            changes["name"] = names.setdefault((rank, event.model_id), _label(name, device, rank, unique))
        elif (rank, event.model_id) in names and "name" in {f.name for f in dataclasses.fields(event)}:
            changes["name"] = names[(rank, event.model_id)]
        event = dataclasses.replace(event, **changes)
    elif isinstance(event, FindingFound):
        pass
    bus.publish(event)


def _merge(options: ScanOptions, results: dict, devices: list[str], unique: bool) -> ScanResult:
    parts = {rank: ScanResult.from_dict(data, sources) for rank, (data, sources, _) in results.items()}
    per_model: dict[str, list[Finding]] = {}
    for _, _, model_findings in results.values():  # a model's findings across devices, under its own name
        for name, items in model_findings.items():
            per_model.setdefault(name, []).extend(Finding.from_dict(f) for f in items)
    first = parts[min(parts)]
    findings = [f for r in parts.values() for f in r.findings]
    models = []
    for rank in sorted(parts):
        for m in parts[rank].models:
            models.append(dataclasses.replace(m, model_id=f"{m.model_id}@{rank}",
                                              name=_label(m.name, devices[rank], rank, unique)))
    skipped, seen = [], set()
    for r in parts.values():
        for s in r.skipped:
            if (s.path, s.reason) not in seen:
                seen.add((s.path, s.reason))
                skipped.append(s)
    languages: dict[str, int] = {}
    for r in parts.values():
        for lang, count in r.languages.items():
            languages[lang] = languages.get(lang, 0) + count
    # each path lives in exactly one shard: the per-shard merge is already the global one
    findings.sort(key=sort_key)
    return ScanResult(
        target=options.target, findings=findings, models=models, skipped=sorted(skipped, key=lambda s: s.path),
        files_scanned=sum(r.files_scanned for r in parts.values()), chunks=sum(r.chunks for r in parts.values()),
        languages=languages, tool_version=first.tool_version, consensus=options.consensus,
        warnings=[w for r in parts.values() for w in r.warnings],
        sources={p: t for r in parts.values() for p, t in r.sources.items()},
        model_findings={name: sorted(fs, key=sort_key) for name, fs in per_model.items()},
    )
