"""HF classifiers: sequence classification (a score per chunk, localised to lines by
occlusion) and token classification (a label per token, so findings are line-exact).

Inference is batched under ``inference_mode``: chunks are sorted by length and padded
to shape buckets, so few distinct shapes reach the device; on CUDA the inputs go
through pinned memory. Every forward pass is one ModelCall with the real, unpadded
token count.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from aegis_cli.errors import AegisError, ModelLoadError
from aegis_cli.providers import hf_common
from aegis_cli.providers.base import Chunk, LoadedModel, ModelSpec, Provider, ScanContext
from aegis_cli.providers.oom import run_with_backoff
from aegis_cli.scan.chunking import line_token_spans, piece_text, plan_chunks, tokenize_file
from aegis_cli.scan.cwe import cwe_name, cwe_severity
from aegis_cli.scan.findings import Finding, normalize_cwe, normalize_severity
from aegis_cli.scan.sinks import fits_sink
from aegis_cli.telemetry.model_info import describe_model, measure_load

ROBERTA_LIKE = {"roberta", "xlm-roberta", "camembert", "longformer", "data2vec-text", "xlm-roberta-xl"}
OCCLUSION_MAX_GROUPS = 12
SNIPPET_MAX_LINES = 12


def _strip_bio(label: str) -> str:
    return label[2:] if label[:2] in ("B-", "I-", "S-", "E-") else label


class HFClassifierProvider(Provider):
    provider = "hf"
    speed_basis = "processed"

    def __init__(self, spec: ModelSpec, **kwargs: Any):
        super().__init__(spec, **kwargs)
        self.model: Any = None
        self.tokenizer: Any = None
        self.task: str = ""  # "sequence" | "token"
        self.device = "cpu"
        self.context = 512
        self.budget = 510
        self.bucket = 8
        self.max_batch = 16
        self.positive_idx: list[int] = []
        self.labels: list[str] = []
        self._prefix = 1
        self._special_prefix: list[int] = []
        self._special_suffix: list[int] = []
        self._warn = lambda text: None

    # ------------------------------------------------------------------ load
    def load(self, warn=None) -> LoadedModel:
        import torch
        from transformers import (
            AutoConfig,
            AutoModelForSequenceClassification,
            AutoModelForTokenClassification,
            AutoTokenizer,
        )

        self._warn = warn or self._warn
        hf_common.quiet_hf()
        name = hf_common.spec_label(self.spec)
        located = hf_common.locate(self.spec.ref, self.spec.revision)
        adapter_dir: Path | None = None
        if (Path(located.path) / "adapter_config.json").is_file() and not (Path(located.path) / "config.json").is_file():
            # a LoRA adapter (e.g. what `aegis train` saved after fine-tuning aegis-mini): its base carries the
            # config, the adapter its own classifier head (modules_to_save) and usually the tokenizer
            adapter_dir = Path(located.path)
            hf_common.check_safety(str(adapter_dir), allow_pickle=self.allow_pickle,
                                   trust_remote_code=self.trust_remote_code, name=name)
            located = hf_common.locate(self.spec.base or hf_common.adapter_base(adapter_dir, name))
        has_st = hf_common.check_safety(located.path, allow_pickle=self.allow_pickle,
                                        trust_remote_code=self.trust_remote_code, name=name)
        self.device = hf_common.pick_device(self.device_request)
        dtype = hf_common.pick_dtype(self.precision_request, self.device)
        quant = hf_common.quantization_config(self.quantize, self.device, self._warn)
        try:
            config = AutoConfig.from_pretrained(located.path, trust_remote_code=self.trust_remote_code)
        except Exception as exc:
            raise hf_common.describe_load_error(exc, name) from None
        arch = " ".join(getattr(config, "architectures", None) or [])
        kind = self.spec.kind
        if kind == "token-classifier" or (kind == "auto" and "TokenClassification" in arch):
            self.task, auto_cls = "token", AutoModelForTokenClassification
        elif kind in ("classifier", "auto") and ("SequenceClassification" in arch or kind == "classifier"):
            self.task, auto_cls = "sequence", AutoModelForSequenceClassification
        else:
            raise ModelLoadError(f"{name} is not a classifier (architectures: {arch or 'unknown'})",
                                 "generative models and endpoints use other providers; check the preset's kind")
        tok_dir = str(adapter_dir) if adapter_dir is not None and hf_common.has_tokenizer(adapter_dir) else located.path
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(tok_dir, trust_remote_code=self.trust_remote_code)
        except Exception as exc:
            raise hf_common.describe_load_error(exc, name) from None
        if not getattr(self.tokenizer, "is_fast", False):
            raise ModelLoadError(f"{name} has no fast tokenizer (needed for exact line mapping)",
                                 "save the model with a tokenizer.json (PreTrainedTokenizerFast)")
        kwargs: dict[str, Any] = {"dtype": dtype, "trust_remote_code": self.trust_remote_code,
                                  "use_safetensors": True if (has_st or not self.allow_pickle) else None}
        if quant is not None:
            kwargs["quantization_config"] = quant
            kwargs["device_map"] = {"": self.device}
        model_cls = hf_common.concrete_class(auto_cls, config)  # imported before the clock starts
        try:
            with measure_load(use_cuda=self.device.startswith("cuda")) as m:
                model = model_cls.from_pretrained(located.path, **kwargs)
                if adapter_dir is not None:
                    model = _with_adapter(model, adapter_dir, merge=quant is None)
                if quant is None:
                    model = model.to(self.device)
        except AegisError:
            raise
        except Exception as exc:
            raise hf_common.describe_load_error(exc, name) from None
        model.eval()
        self.model = model
        info = describe_model(model)
        self._setup_labels(config)
        self.context = self._context_tokens(config)
        self._special_prefix, self._special_suffix = special_tokens_around(self.tokenizer)
        self._prefix = len(self._special_prefix)
        self.budget = max(8, self.context - self._prefix - len(self._special_suffix))
        on_gpu = self.device.startswith("cuda")
        self.bucket = 64 if on_gpu else 8
        self.max_batch = self.batch_size or (64 if on_gpu else 16)
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        del torch
        return LoadedModel(device=info.device, precision=info.precision, quantization=info.quantization,
                           vram_mb=m.vram_mb, load_time_ms=m.load_time_ms, parameters=info.parameters,
                           context_tokens=self.context, provider="hf")

    def _context_tokens(self, config: Any) -> int:
        ctx = int(getattr(config, "max_position_embeddings", 512) or 512)
        if getattr(config, "model_type", "") in ROBERTA_LIKE:
            ctx -= int(getattr(config, "pad_token_id", 1) or 1) + 1  # positions start after padding_idx
        tmax = getattr(self.tokenizer, "model_max_length", None)
        if isinstance(tmax, int) and 0 < tmax < 1_000_000:
            ctx = min(ctx, tmax)
        return ctx

    def _setup_labels(self, config: Any) -> None:
        id2label = {int(k): str(v) for k, v in (getattr(config, "id2label", None) or {}).items()}
        n = int(getattr(config, "num_labels", len(id2label)) or len(id2label))
        self.labels = [id2label.get(i, f"LABEL_{i}") for i in range(n)]
        lm = self.spec.labels
        if lm.positive:
            missing = [p for p in lm.positive if p not in self.labels]
            if missing:
                raise ModelLoadError(f"{self.spec.name}: preset labels {missing} are not in the model's labels {self.labels}",
                                     "fix labels.positive in the preset")
            self.positive_idx = [self.labels.index(p) for p in lm.positive]
        else:
            negative = {s.lower() for s in lm.negative}
            self.positive_idx = [i for i, lab in enumerate(self.labels) if _strip_bio(lab).lower() not in negative]
        if not self.positive_idx:
            raise ModelLoadError(f"{self.spec.name}: no label means 'vulnerable' among {self.labels}",
                                 "set labels.positive in the preset")

    # --------------------------------------------------------------- prepare
    def prepare(self, files: Iterable[Any]) -> Iterator[Chunk]:
        batch: list[Any] = []
        size = 0
        for f in files:
            batch.append(f)
            size += len(f.text)
            if size >= 256_000 or len(batch) >= 64:
                yield from self._prepare_batch(batch)
                batch, size = [], 0
        if batch:
            yield from self._prepare_batch(batch)

    def _prepare_batch(self, files: list[Any]) -> Iterator[Chunk]:
        # the Rust backend tokenizes the batch in parallel, without the Python wrapper's overhead
        encodings = self.tokenizer.backend_tokenizer.encode_batch([f.text for f in files], add_special_tokens=False)
        specials = len(self._special_prefix) + len(self._special_suffix)
        for f, enc in zip(files, encodings, strict=True):
            tf = tokenize_file(f.text, lambda _t, enc=enc: (enc.ids, enc.offsets))
            for piece in plan_chunks(tf, self.budget):
                chunk_ids = tf.ids[piece.token_start:piece.token_end]
                yield Chunk(path=f.path, start_line=piece.start_line, end_line=piece.end_line,
                            text=piece_text(f.text, tf, piece), n_tokens=len(chunk_ids) + specials,
                            language=f.language, flags=tuple(piece.flags) + tuple(f.flags),
                            payload=(chunk_ids, line_token_spans(tf, piece)))

    # ------------------------------------------------------------------- run
    def _batches(self, items: list[tuple[int, list[int]]]) -> Iterator[list[tuple[int, list[int]]]]:
        """Length-sorted batches; each padded to a multiple of the bucket size."""
        items = sorted(items, key=lambda it: len(it[1]))
        token_cap = self.max_batch * min(self.context, 512)
        batch: list[tuple[int, list[int]]] = []
        for it in items:
            width = self._bucketed(len(it[1]))
            if batch and (len(batch) >= self.max_batch or width * (len(batch) + 1) > token_cap):
                yield batch
                batch = []
            batch.append(it)
        if batch:
            yield batch

    def _bucketed(self, n: int) -> int:
        return min(self.context, int(math.ceil(n / self.bucket) * self.bucket))

    def _launch(self, seqs: list[list[int]]) -> dict[str, Any]:
        """Start one forward pass over ``seqs`` (ids with special tokens).

        On CUDA nothing here waits for the device: inputs go through pinned memory, the
        call is bracketed by CUDA events and the outputs are copied back asynchronously,
        so the next batch can be launched before this one is collected."""
        import torch

        width = self._bucketed(max(len(s) for s in seqs))
        t0 = time.perf_counter()
        ids = torch.full((len(seqs), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
            mask[i, : len(s)] = 1
        on_gpu = self.device.startswith("cuda")
        handle: dict[str, Any] = {"t0": t0, "tokens": sum(len(s) for s in seqs), "items": len(seqs)}
        if on_gpu:
            ids = ids.pin_memory().to(self.device, non_blocking=True)
            mask = mask.pin_memory().to(self.device, non_blocking=True)
            torch.cuda.reset_peak_memory_stats(self.device)
            handle["start"] = torch.cuda.Event(enable_timing=True)
            handle["end"] = torch.cuda.Event(enable_timing=True)
            handle["start"].record()
        elif self.device != "cpu":
            ids, mask = ids.to(self.device), mask.to(self.device)
        with torch.inference_mode():
            logits = self.model(input_ids=ids, attention_mask=mask).logits.float()
            probs = torch.softmax(logits, dim=-1)
            if self.task == "token":
                best_p, best_i = probs[..., self.positive_idx].max(dim=-1)
                outs = (best_p, best_i)
            else:
                outs = (probs,)
            if on_gpu:
                handle["end"].record()
                handle["peak"] = torch.cuda.max_memory_allocated(self.device) / 2**20
                outs = tuple(o.to("cpu", non_blocking=True) for o in outs)
                handle["copied"] = torch.cuda.Event()
                handle["copied"].record()
            else:
                outs = tuple(o.cpu() for o in outs)
        handle["outs"] = outs
        return handle

    def _collect(self, handle: dict[str, Any], ctx: ScanContext):
        """Wait for a launched pass, report it as one ModelCall, return its CPU outputs."""
        if "copied" in handle:
            handle["copied"].synchronize()
            # device time of the forward pass itself (launches overlap, so wall time would double count)
            latency_ms = handle["start"].elapsed_time(handle["end"])
            peak = handle["peak"]
        else:
            latency_ms = (time.perf_counter() - handle["t0"]) * 1000.0
            peak = None
        ctx.call(latency_ms=latency_ms, input_tokens=handle["tokens"], output_tokens=0,
                 items=handle["items"], peak_vram_mb=peak)
        outs = handle["outs"]
        return outs if self.task == "token" else outs[0]

    def _forward(self, seqs: list[list[int]], ctx: ScanContext):
        """One forward pass, waited for (localisation needs the answer at once)."""
        return self._collect(self._launch(seqs), ctx)

    def _with_specials(self, ids: list[int]) -> list[int]:
        return self._special_prefix + ids + self._special_suffix

    def run(self, chunks: list[Chunk], ctx: ScanContext) -> None:
        items = [(i, self._with_specials(c.payload[0])) for i, c in enumerate(chunks)]
        in_flight: deque = deque()
        for batch in self._batches(items):
            # out of memory: the batch is halved and retried (and stays smaller from then on)
            launched = run_with_backoff(batch, lambda part: (part, self._launch([s for _, s in part])),
                                        on_shrink=self._shrink, what=self.spec.name)
            for part, handle in launched:
                in_flight.append((part, handle))
                if len(in_flight) > 1 or not self.device.startswith("cuda"):
                    self._finish(*in_flight.popleft(), chunks, ctx)
        while in_flight:
            self._finish(*in_flight.popleft(), chunks, ctx)

    def _shrink(self, size: int) -> None:
        self.max_batch = size
        self._warn(f"out of device memory: batch size lowered to {size}")

    def _finish(self, batch, handle, chunks: list[Chunk], ctx: ScanContext) -> None:
        out = self._collect(handle, ctx)
        if self.task == "token":
            best_p, best_i = out
            for row, (ci, _) in enumerate(batch):
                self._token_findings(chunks[ci], best_p[row], best_i[row], ctx)
        else:
            flagged = []
            for row, (ci, _) in enumerate(batch):
                p = out[row]
                k = max(self.positive_idx, key=lambda j: float(p[j]))
                if float(p[k]) >= self.spec.labels.threshold:
                    flagged.append((chunks[ci], k, float(p[k])))
            for chunk, k, prob in flagged:
                self._localise(chunk, k, prob, ctx)
        ctx.chunks_done(len(batch))

    # ---------------------------------------------------- token classification
    def _token_findings(self, chunk: Chunk, best_p, best_i, ctx: ScanContext) -> None:
        threshold = self.spec.labels.threshold
        p = best_p.tolist()
        i = best_i.tolist()
        lines: list[tuple[int, str, float]] = []  # (line, label, prob)
        for line, a, b in chunk.payload[1]:
            top, top_label = 0.0, None
            for t in range(a + self._prefix, b + self._prefix):
                if p[t] > top:
                    top, top_label = p[t], self.labels[self.positive_idx[i[t]]]
            if top >= threshold and top_label is not None:
                lines.append((line, _strip_bio(top_label), top))
        # consecutive lines with the same label are one finding
        start = 0
        for k in range(1, len(lines) + 1):
            if k == len(lines) or lines[k][0] != lines[k - 1][0] + 1 or lines[k][1] != lines[start][1]:
                group = lines[start:k]
                self._emit(chunk, group[0][0], group[-1][0], group[0][1], max(g[2] for g in group), ctx)
                start = k

    # ------------------------------------------------- sequence classification
    def _localise(self, chunk: Chunk, label_idx: int, prob: float, ctx: ScanContext) -> None:
        """Find the lines that drive a chunk's score, in batched forward passes.

        Necessity first: remove each group of lines and watch the score drop. When no
        single group matters (the evidence is repeated, e.g. two flaws in one chunk),
        sufficiency: score each group alone and keep those that still cross the threshold.
        The winning groups are refined line by line the same way.
        """
        ids, spans = chunk.payload
        label = self.labels[label_idx]
        if len(spans) == 1:
            self._emit(chunk, spans[0][0], spans[0][0], label, prob, ctx)
            return
        groups = self._groups(spans, OCCLUSION_MAX_GROUPS)
        found = self._necessary(ids, groups, label_idx, prob, ctx)
        if found is not None:
            lo, hi = found
            inner = [s for s in spans if lo <= s[0] <= hi]
            if len(inner) > 1:
                refined = self._necessary(ids, [[s] for s in inner], label_idx, prob, ctx)
                if refined is not None:
                    lo, hi = refined
            self._emit(chunk, lo, hi, label, prob, ctx)
            return
        emitted = False
        for group, p_group in self._sufficient(ids, groups, label_idx, ctx):
            if len(group) > 1:
                lines = self._sufficient(ids, [[s] for s in group], label_idx, ctx)
                for run in _runs([g[0][0] for g, _ in lines]):
                    self._emit(chunk, run[0], run[-1], label, max(p for g, p in lines if run[0] <= g[0][0] <= run[-1]), ctx)
                    emitted = True
                if lines:
                    continue
            self._emit(chunk, group[0][0], group[-1][0], label, p_group, ctx)
            emitted = True
        if not emitted:
            self._emit(chunk, chunk.start_line, chunk.end_line, label, prob, ctx, flags=("not-localised",))

    @staticmethod
    def _groups(spans: list[tuple[int, int, int]], n_groups: int) -> list[list[tuple[int, int, int]]]:
        size = max(1, math.ceil(len(spans) / n_groups))
        return [spans[i:i + size] for i in range(0, len(spans), size)]

    def _scores(self, variants: list[list[int]], label_idx: int, ctx: ScanContext) -> list[float]:
        scores: list[float] = []
        for start in range(0, len(variants), self.max_batch):
            for part, out in run_with_backoff(variants[start:start + self.max_batch],
                                              lambda part: (part, self._forward(list(part), ctx)),
                                              on_shrink=self._shrink, what=self.spec.name):
                scores.extend(float(out[r][label_idx]) for r in range(len(part)))
        return scores

    def _necessary(self, ids: list[int], groups, label_idx: int, prob: float, ctx: ScanContext):
        """The span of groups whose removal drops the score most (None if none matters)."""
        variants = [self._with_specials(ids[:g[0][1]] + ids[g[-1][2]:]) for g in groups]
        drops = [prob - s for s in self._scores(variants, label_idx, ctx)]
        top = max(drops)
        if top < 0.02:
            return None
        keep = {k for k, d in enumerate(drops) if d >= 0.5 * top}
        lo_k = hi_k = drops.index(top)
        while lo_k - 1 in keep:
            lo_k -= 1
        while hi_k + 1 in keep:
            hi_k += 1
        return groups[lo_k][0][0], groups[hi_k][-1][0]

    def _sufficient(self, ids: list[int], groups, label_idx: int, ctx: ScanContext):
        """Groups that score above the threshold on their own, with their scores."""
        variants = [self._with_specials(ids[g[0][1]:g[-1][2]]) for g in groups]
        scores = self._scores(variants, label_idx, ctx)
        return [(g, s) for g, s in zip(groups, scores, strict=True) if s >= self.spec.labels.threshold]

    # --------------------------------------------------------------- findings
    def _emit(self, chunk: Chunk, start: int, end: int, label: str, prob: float, ctx: ScanContext,
              flags: tuple[str, ...] = ()) -> None:
        lm = self.spec.labels
        cwe = normalize_cwe(lm.cwe.get(label) or (label if label.upper().startswith("CWE") else None))
        if label in lm.severity:
            severity = normalize_severity(lm.severity[label])
        elif cwe:
            severity = cwe_severity(cwe)
        elif lm.default_severity:
            severity = normalize_severity(lm.default_severity)
        else:  # a bare "insecure" score: severity follows the model's confidence
            severity = "high" if prob >= 0.9 else "medium" if prob >= 0.7 else "low"
        text = ctx.source_text(chunk.path)
        snippet = _lines(text, start, end) if text is not None else ""
        if lm.sink_check:
            lines = snippet if text is not None else _lines(chunk.text, start - chunk.start_line + 1,
                                                               end - chunk.start_line + 1)
            if not fits_sink(cwe, lines):  # the model named a CWE these lines cannot be a sink of
                return
        title = lm.title or (f"{cwe_name(cwe)} ({cwe})" if cwe and cwe_name(cwe) else cwe or "Potentially insecure code")
        message = f"{title}: {self.spec.name} scored {prob:.2f} for label {label}"
        ctx.finding(Finding(path=chunk.path, start_line=start, end_line=end, cwe=cwe, severity=severity,
                            confidence=prob, message=message, snippet=snippet, models=[self.spec.name],
                            title=title, language=chunk.language, flags=list(dict.fromkeys(chunk.flags + flags))))

    def unload(self) -> None:
        model, self.model = self.model, None
        self.tokenizer = None
        if model is not None:
            hf_common.free_model(model)


def special_tokens_around(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The special ids a tokenizer puts before and after a single sequence (its post-processor's
    template), found by encoding a probe with and without them."""
    probe = "x = 1"
    bare = tokenizer(probe, add_special_tokens=False)["input_ids"]
    full = tokenizer(probe, add_special_tokens=True)["input_ids"]
    for start in range(len(full) - len(bare) + 1):
        if full[start:start + len(bare)] == bare:
            return list(full[:start]), list(full[start + len(bare):])
    return [], []


def _runs(lines: list[int]) -> list[list[int]]:
    """Consecutive runs of sorted line numbers."""
    out: list[list[int]] = []
    for line in lines:
        if out and line == out[-1][-1] + 1:
            out[-1].append(line)
        else:
            out.append([line])
    return out


def _lines(text: str, start: int, end: int) -> str:
    lines = text.splitlines()
    end = min(end, start + SNIPPET_MAX_LINES - 1)
    return "\n".join(lines[start - 1:end])


def _with_adapter(model: Any, adapter_dir: Path, *, merge: bool) -> Any:
    """``model`` with the peft adapter in ``adapter_dir`` applied (its trained head included); merged into the
    weights when they are not quantized, so inference runs at the base model's speed."""
    try:
        from peft import PeftModel
    except ImportError:
        raise ModelLoadError(f"{adapter_dir} is a LoRA adapter and peft is not installed", "pip install peft") from None
    try:
        wrapped = PeftModel.from_pretrained(model, str(adapter_dir))
    except Exception as exc:
        raise ModelLoadError(f"cannot apply the adapter in {adapter_dir} ({type(exc).__name__}: {exc})",
                             "the adapter must have been trained on this base model") from None
    return wrapped.merge_and_unload() if merge else wrapped
