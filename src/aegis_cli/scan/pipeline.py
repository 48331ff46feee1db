"""The scan job: target → files → per-model chunks → batched inference → findings.

Models run one after another (each is unloaded before the next loads, so several
large models fit one scan). For each model a producer thread reads the target and
tokenizes it into windows of chunks while the main thread runs inference on the
previous window; the queue between them is short, so memory stays bounded. Every
figure published is measured (see ARCHITECTURE.md truth rules). One bad file is a
skip; one failing model is a ModelFailed event while the others go on.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
import traceback
import uuid
from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aegis_cli import __version__
from aegis_cli.errors import AegisError, ExitCode
from aegis_cli.providers.base import Chunk, ModelSpec, Provider, ScanContext
from aegis_cli.scan.archive import Limits, Skip, SourceFile, count_candidates, iter_sources
from aegis_cli.scan.findings import Finding, _compatible, _join, merge_findings
from aegis_cli.scan.result import ModelSummary, ScanResult, SkippedFile
from aegis_cli.telemetry.events import (
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
)

WINDOW_CHUNKS = 512  # chunks per inference window (sorted and bucketed inside a window)
MAX_SOURCES_BYTES = 64 * 2**20  # file texts kept for the code view of files with findings


@dataclass
class ScanOptions:
    target: str
    models: list[str] = field(default_factory=lambda: ["aegis-mini"])
    device: str = "auto"
    precision: str = "auto"
    quantize: str = "none"
    batch_size: int | None = None
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    max_file_bytes: int = Limits().max_file_bytes
    consensus: str = "union"
    allow_pickle: bool = False
    trust_remote_code: bool = False
    sample_hz: float = 2.0
    devices: list[str] = field(default_factory=list)  # several: one worker process per device
    threshold: float | None = None  # replaces every model's labels.threshold (classifiers); None: the presets'
    shard: tuple[int, int] | None = None  # (index, count): this process reads one shard of the files


@dataclass
class _ModelStats:
    calls: int = 0
    latency_ms: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    estimated: bool = False
    peak_vram_mb: float | None = None
    chunks: int = 0


class _Context(ScanContext):
    """What a provider reports to: events out, per-model figures in."""

    def __init__(self, bus: Any, spec: ModelSpec):
        self.bus = bus
        self.spec = spec
        self.stats = _ModelStats()
        self.findings: dict[str, list[Finding]] = {}
        self.texts: dict[str, str] = {}
        self.chunk_total = 0
        self._lock = threading.Lock()

    def call(self, *, latency_ms: float, input_tokens: int, output_tokens: int, items: int,
             tokens_estimated: bool = False, peak_vram_mb: float | None = None,
             compute_ms: float | None = None) -> None:
        s = self.stats
        with self._lock:
            s.calls += 1
            s.latency_ms += latency_ms
            s.input_tokens += input_tokens
            s.output_tokens += output_tokens
            s.estimated |= tokens_estimated
            if peak_vram_mb is not None:
                s.peak_vram_mb = max(s.peak_vram_mb or 0.0, peak_vram_mb)
        self.bus.publish(ModelCall(model_id=self.spec.model_id, latency_ms=latency_ms, input_tokens=input_tokens,
                                   output_tokens=output_tokens, items=items, tokens_estimated=tokens_estimated,
                                   peak_vram_mb=peak_vram_mb, compute_ms=compute_ms))

    def finding(self, finding: Finding) -> None:
        """Overlapping chunks report the same flaw twice: join it into the first report."""
        with self._lock:
            same_file = self.findings.setdefault(finding.path, [])
            for i, existing in enumerate(same_file):
                if _compatible(existing, finding):
                    same_file[i] = _join(existing, finding)
                    return
            same_file.append(finding)
        self.bus.publish(FindingFound(finding=finding.to_dict()))

    def warn(self, text: str) -> None:
        self.bus.publish(LogMessage(level="warning", text=text, source=self.spec.name))

    def chunks_done(self, n: int) -> None:
        self.stats.chunks += n
        self.bus.publish(ScanProgress(done=self.stats.chunks, total=self.chunk_total or None, unit="chunks",
                                      model_id=self.spec.model_id))

    def source_text(self, path: str) -> str | None:
        return self.texts.get(path)

    def all_findings(self) -> list[Finding]:
        return [f for items in self.findings.values() for f in items]


class _Reader:
    """Reads the target for one model: counts files and records skips on the first pass."""

    def __init__(self, options: ScanOptions, bus: Any, record: bool, files_total: int | None):
        self.options = options
        self.bus = bus
        self.record = record
        self.files_total = files_total
        self.skipped: list[SkippedFile] = []
        self.languages: Counter[str] = Counter()
        self.files = 0
        self.pending: OrderedDict[str, str] = OrderedDict()  # texts of files not yet windowed

    def _on_skip(self, skip: Skip) -> None:
        if self.record:
            self.skipped.append(SkippedFile(skip.path, skip.reason))
            self.bus.publish(FileSkipped(path=skip.path, reason=skip.reason))

    def sources(self) -> Iterator[SourceFile]:
        o = self.options
        for f in iter_sources(o.target, include=o.include, exclude=o.exclude, shard=o.shard,
                              limits=Limits(max_file_bytes=o.max_file_bytes), on_skip=self._on_skip):
            self.files += 1
            self.languages[f.language] += 1
            self.pending[f.path] = f.text
            if self.files % 16 == 0:
                self.bus.publish(ScanProgress(done=self.files, total=self.files_total, unit="files"))
            yield f
        # the candidate count is an upper bound (reading can still skip a file): end on the truth
        self.files_total = self.files
        self.bus.publish(ScanProgress(done=self.files, total=self.files, unit="files"))

    def take_texts(self, last_path: str) -> dict[str, str]:
        """Texts of every file read up to and including ``last_path`` (in read order)."""
        out = {}
        while self.pending:
            path, text = self.pending.popitem(last=False)
            out[path] = text
            if path == last_path:
                break
        return out


_DONE = object()


def _produce(provider: Provider, reader: _Reader, q: queue.Queue, stop: threading.Event, ctx: _Context) -> None:
    """Producer thread: chunks in windows that end on a file boundary, with their files' texts."""
    try:
        window: list[Chunk] = []
        for chunk in provider.prepare(reader.sources()):
            if stop.is_set():
                return
            if len(window) >= WINDOW_CHUNKS and chunk.path != window[-1].path:
                ctx.chunk_total += len(window)
                q.put((window, reader.take_texts(window[-1].path)))
                window = []
            window.append(chunk)
        if window:
            ctx.chunk_total += len(window)
            q.put((window, reader.take_texts(window[-1].path)))
        q.put(_DONE)
    except BaseException as exc:  # handed to the consumer, which decides
        q.put(exc)


def _now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _unique_ids(specs: list[ModelSpec]) -> None:
    seen: Counter[str] = Counter()
    for spec in specs:
        base = spec.alias or spec.name
        seen[base] += 1
        spec.model_id = base if seen[base] == 1 else f"{base}#{seen[base]}"
        if seen[base] > 1:
            spec.name = f"{spec.name}#{seen[base]}"


def run_scan(options: ScanOptions, bus: Any, *, sampler: Any = None, cancel: threading.Event | None = None) -> ScanResult:
    """Run a whole scan, publishing events on ``bus``. Raises AegisError for bad input
    (before any model loads); model failures are recorded, not raised. Setting ``cancel``
    stops the scan after the window in flight (the result then says interrupted)."""
    from aegis_cli.providers import make_provider
    from aegis_cli.providers.presets import load_presets, resolve

    started = time.monotonic()
    started_at = _now_iso()
    # the target is checked first: a bad target is an input error, not a failed model
    files_total = count_candidates(options.target, include=options.include, exclude=options.exclude,
                                   limits=Limits(max_file_bytes=options.max_file_bytes), shard=options.shard)
    presets = load_presets()
    specs = [resolve(m, presets) for m in options.models]
    if options.threshold is not None:
        for spec in specs:
            spec.labels.threshold = options.threshold
    _unique_ids(specs)
    run_id = uuid.uuid4().hex[:12]
    bus.publish(RunStarted(run_id=run_id, kind="scan", meta={
        "target": options.target, "models": [s.name for s in specs], "aegis": __version__,
        "started_at": started_at, "files_total": files_total, "device": options.device,
        "precision": options.precision, "quantize": options.quantize, "consensus": options.consensus,
        "threshold": options.threshold}))

    summaries: list[ModelSummary] = []
    all_findings: list[Finding] = []
    per_model: dict[str, list[Finding]] = {}
    sources: dict[str, str] = {}
    sources_bytes = 0
    first_reader: _Reader | None = None
    load_errors: list[AegisError] = []
    chunks_total = 0

    interrupted = False
    for spec in specs:
        if cancel is not None and cancel.is_set():
            interrupted = True
            break
        bus.publish(ModelLoading(model_id=spec.model_id, name=spec.name))
        summary = ModelSummary(model_id=spec.model_id, name=spec.name, provider="hf", status="failed")
        summaries.append(summary)
        model_t0 = time.monotonic()
        if sampler is not None:
            sampler.take_interval()
        provider: Provider | None = None
        ctx = _Context(bus, spec)
        try:
            provider = make_provider(spec, device=options.device, precision=options.precision,
                                     quantize=options.quantize, batch_size=options.batch_size,
                                     allow_pickle=options.allow_pickle, trust_remote_code=options.trust_remote_code)
            summary.provider = provider.provider
            loaded = provider.load(warn=ctx.warn)
        except AegisError as err:
            load_errors.append(err)
            summary.error = err.one_line()
            bus.publish(ModelFailed(model_id=spec.model_id, error=err.message, name=spec.name))
            continue
        except Exception as exc:  # a bug or an unexpected library error: this model only
            err = AegisError(f"{type(exc).__name__}: {exc}")
            load_errors.append(err)
            summary.error = err.message
            bus.publish(ModelFailed(model_id=spec.model_id, error=err.message, name=spec.name))
            bus.publish(LogMessage(level="debug", text=traceback.format_exc(), source=spec.name))
            continue
        summary.provider = loaded.provider
        summary.device, summary.precision, summary.quantization = loaded.device, loaded.precision, loaded.quantization
        summary.vram_mb, summary.load_time_ms = loaded.vram_mb, loaded.load_time_ms
        summary.speed_basis = provider.speed_basis
        bus.publish(ModelStarted(model_id=spec.model_id, name=spec.name, provider=loaded.provider,
                                 device=loaded.device, vram_mb=loaded.vram_mb, load_time_ms=loaded.load_time_ms,
                                 quantization=loaded.quantization, precision=loaded.precision,
                                 parameters=loaded.parameters, context_tokens=loaded.context_tokens))
        reader = _Reader(options, bus, record=first_reader is None, files_total=files_total)
        q: queue.Queue = queue.Queue(maxsize=2)
        stop = threading.Event()
        producer = threading.Thread(target=_produce, args=(provider, reader, q, stop, ctx),
                                    name=f"aegis-prepare-{spec.model_id}", daemon=True)
        run_t0 = time.monotonic()
        producer.start()
        error: str | None = None
        try:
            while True:
                item = q.get()
                if item is _DONE:
                    break
                if cancel is not None and cancel.is_set():
                    interrupted = True
                    error = "interrupted"
                    break
                if isinstance(item, BaseException):
                    raise item
                window, texts = item
                ctx.texts = texts
                provider.run(window, ctx)
                for path in {f.path for f in ctx.all_findings()} - sources.keys():
                    text = texts.get(path)
                    if text is not None and sources_bytes + len(text) <= MAX_SOURCES_BYTES:
                        sources[path] = text
                        sources_bytes += len(text)
        except AegisError as err:
            if err.exit_code == ExitCode.USAGE and first_reader is None and reader.files == 0:
                raise  # the target itself is unreadable
            error = err.one_line()
        except Exception as exc:
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            bus.publish(LogMessage(level="debug", text=traceback.format_exc(), source=spec.name))
        finally:
            stop.set()
            while producer.is_alive():  # unblock a producer waiting on a full queue
                try:
                    q.get_nowait()
                except queue.Empty:
                    producer.join(0.05)
            run_s = time.monotonic() - run_t0
            provider.unload()
        if first_reader is None:
            first_reader = reader
        s = ctx.stats
        model_findings = merge_findings(ctx.all_findings())
        chunks_total = max(chunks_total, s.chunks)
        summary.calls = s.calls
        summary.avg_latency_ms = s.latency_ms / s.calls if s.calls else None
        summary.findings = len(model_findings)
        summary.input_tokens, summary.output_tokens = s.input_tokens, s.output_tokens
        summary.total_tokens = s.input_tokens + s.output_tokens
        summary.tokens_estimated = s.estimated
        basis_tokens = s.output_tokens if provider.speed_basis == "output" else summary.total_tokens
        # an endpoint serves several requests at once: its speed is tokens over the wall time of
        # the run, not over the summed per-request latencies (which would undercount ~concurrency×)
        seconds = run_s if provider.provider == "http" else s.latency_ms / 1000.0
        summary.tokens_per_s = basis_tokens / seconds if seconds > 0 and basis_tokens else None
        summary.elapsed_ms = (time.monotonic() - model_t0) * 1000.0
        summary.peak_vram_mb = s.peak_vram_mb
        if sampler is not None:
            interval = sampler.take_interval()
            if interval is not None and interval.energy_j is not None:
                summary.energy_j, summary.energy_estimated = interval.energy_j, interval.energy_estimated
        all_findings.extend(model_findings)
        per_model[spec.name] = model_findings
        if error is not None:
            summary.status, summary.error = "failed", error
            bus.publish(ModelFailed(model_id=spec.model_id, error=error, name=spec.name))
        else:
            summary.status = "completed"
            bus.publish(ModelCompleted(
                model_id=spec.model_id, name=spec.name, calls=s.calls, avg_latency_ms=summary.avg_latency_ms,
                findings=summary.findings, input_tokens=s.input_tokens, output_tokens=s.output_tokens,
                total_tokens=summary.total_tokens, tokens_per_s=summary.tokens_per_s,
                speed_basis=provider.speed_basis, elapsed_ms=run_s * 1000.0 if run_s else summary.elapsed_ms,
                tokens_estimated=s.estimated, peak_vram_mb=s.peak_vram_mb))

    if first_reader is None:  # no model loaded: still read the target so skips are reported
        first_reader = _Reader(options, bus, record=True, files_total=files_total)
        for _ in first_reader.sources():
            first_reader.pending.clear()
    merged = merge_findings(all_findings, consensus=options.consensus,
                            models_run=sum(1 for m in summaries if m.status == "completed"))
    result = ScanResult(
        target=options.target, findings=merged, models=summaries, skipped=first_reader.skipped,
        files_scanned=first_reader.files, chunks=chunks_total, languages=dict(first_reader.languages),
        started_at=started_at, finished_at=_now_iso(), duration_s=time.monotonic() - started,
        tool_version=__version__, consensus=options.consensus,
        sources={p: t for p, t in sources.items() if any(f.path == p for f in merged)},
        model_findings=per_model,
    )
    failed = [m for m in summaries if m.status == "failed"]
    status = "interrupted" if interrupted else "failed" if len(failed) == len(summaries) else "completed"
    if interrupted:
        result.warnings.append("interrupted before the scan finished: results are partial")
    bus.publish(RunFinished(run_id=run_id, status=status,
                            error="; ".join(m.error or "" for m in failed) or None,
                            duration_s=result.duration_s))
    if load_errors and len(load_errors) == len(summaries):
        result.warnings.append("every model failed to load")
    return result


def exit_code_for(result: ScanResult, fail_on: str) -> int:
    """0 clean, 1 findings at/above ``fail_on``, 3 a model failed while others completed,
    2 every model failed to load (bad --model), 5 every model failed while running."""
    failed = result.failed_models
    if failed and len(failed) == len(result.models):
        return int(ExitCode.USAGE) if "every model failed to load" in result.warnings else int(ExitCode.FAILED)
    if failed:
        return int(ExitCode.PARTIAL)
    return int(ExitCode.FINDINGS) if result.has_findings_at(fail_on) else int(ExitCode.OK)
