"""HF causal LMs (and LoRA adapters on them) that read code and answer findings as JSON.

Loading: AutoModelForCausalLM through the same safety checks as every HF model
(:mod:`hf_common`); a folder with ``adapter_config.json`` is a peft adapter, loaded on
its base (``base_model_name_or_path``, or the preset's ``base``) and merged into it when
the base is not quantized (merged LoRA costs nothing per token). The load time covers
base + adapter + move; device/precision/quantization are read from the result.
``--quantize int4|int8`` goes through bitsandbytes on CUDA; elsewhere a warning, and the
badges show what really loaded.

Prompting (:mod:`prompt`): the tokenizer's chat template when it has one (system
message folded into the user turn for templates that refuse one), else a plain prompt.
Chunks are budgeted so that prompt + ``max_new_tokens`` fit the context.

Generation: chunks sorted by prompt length, left-padded into batches (greedy decoding
unless ``temperature`` > 0), one ``ModelCall`` per ``generate`` call:
input tokens = real prompt ids (the attention mask's sum), output tokens = generated ids
up to and including each row's first EOS (padding after it excluded), latency = wall time
of the call including the CUDA synchronize. A CUDA out-of-memory halves the batch
(:mod:`oom`). An answer without findings JSON gets one repair prompt (also a call); if
that fails too, a warning carries the start of the answer.

Options (preset ``options:``): max_new_tokens (512), temperature (0 = greedy), top_p,
seed, chunk_tokens (3072: cap on code tokens per chunk), context_tokens (override the
model's), batch_size, repair (true).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from aegis_cli.errors import AegisError, ModelLoadError
from aegis_cli.providers import hf_common
from aegis_cli.providers.base import Chunk, LoadedModel, ModelSpec, Provider, ScanContext
from aegis_cli.providers.json_extract import extract_findings
from aegis_cli.providers.oom import run_with_backoff
from aegis_cli.providers.prompt import (
    PROMPT_MARGIN,
    Messages,
    build_repair_messages,
    chunk_files,
    findings_from_answer,
    plain_prompt,
    prompt_overhead,
    unparsed_warning,
    with_system_folded,
)
from aegis_cli.telemetry.model_info import describe_model, measure_load

DEFAULTS: dict[str, Any] = {
    "max_new_tokens": 512,
    "temperature": 0.0,
    "top_p": 1.0,
    "seed": 0,
    "chunk_tokens": 3072,
    "context_tokens": None,
    "batch_size": None,
    "repair": True,
}
CPU_BATCH = 4
GPU_BATCH_MAX = 64
KV_MEMORY_SHARE = 0.6  # of the free device memory, for the KV cache of one batch


def options_with_defaults(spec: ModelSpec, defaults: dict[str, Any], warn) -> dict[str, Any]:
    opts = dict(defaults)
    aliases = {"max_tokens": "max_new_tokens", "timeout": "timeout_s"}
    for key, value in (spec.options or {}).items():
        key = aliases.get(key, key)
        if key not in defaults:
            warn(f"{spec.name}: option {key!r} is not used by this provider (known: {', '.join(sorted(defaults))})")
            continue
        opts[key] = value
    return opts


class HFGenerativeProvider(Provider):
    provider = "hf"
    speed_basis = "output"

    def __init__(self, spec: ModelSpec, **kwargs: Any):
        super().__init__(spec, **kwargs)
        self.model: Any = None
        self.tokenizer: Any = None
        self.device = "cpu"
        self.context = 2048
        self.input_budget = 1536
        self.max_batch = CPU_BATCH
        self.token_cap: int | None = None
        self.opts: dict[str, Any] = dict(DEFAULTS)
        self.eos_ids: list[int] = []
        self.pad_id = 0
        self._chat = False
        self._fold_system = False
        self._warn = lambda text: None

    # ------------------------------------------------------------------ load
    def load(self, warn=None) -> LoadedModel:
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

        self._warn = warn or self._warn
        hf_common.quiet_hf()
        name = hf_common.spec_label(self.spec)
        self.opts = options_with_defaults(self.spec, DEFAULTS, self._warn)
        located = hf_common.locate(self.spec.ref, self.spec.revision)
        folder = Path(located.path)
        adapter_dir: Path | None = None
        if (folder / "adapter_config.json").is_file():
            adapter_dir = folder
            base_ref = self.spec.base or hf_common.adapter_base(folder, name)
            hf_common.check_safety(str(folder), allow_pickle=self.allow_pickle,
                                   trust_remote_code=self.trust_remote_code, name=name)
            base = hf_common.locate(base_ref)
        else:
            base = located
        has_st = hf_common.check_safety(base.path, allow_pickle=self.allow_pickle,
                                        trust_remote_code=self.trust_remote_code, name=name)
        self.device = hf_common.pick_device(self.device_request)
        dtype = hf_common.pick_dtype(self.precision_request, self.device)
        quant = hf_common.quantization_config(self.quantize, self.device, self._warn)
        try:
            config = AutoConfig.from_pretrained(base.path, trust_remote_code=self.trust_remote_code)
            tok_dir = adapter_dir if adapter_dir and hf_common.has_tokenizer(adapter_dir) else Path(base.path)
            self.tokenizer = AutoTokenizer.from_pretrained(str(tok_dir), trust_remote_code=self.trust_remote_code)
        except AegisError:
            raise
        except Exception as exc:
            raise hf_common.describe_load_error(exc, name) from None
        if not getattr(self.tokenizer, "is_fast", False):
            raise ModelLoadError(f"{name} has no fast tokenizer (needed for exact line mapping)",
                                 "save the model with a tokenizer.json (PreTrainedTokenizerFast)")
        self._setup_tokens(config)
        self._setup_budget(config, name)
        kwargs: dict[str, Any] = {"dtype": dtype, "trust_remote_code": self.trust_remote_code,
                                  "use_safetensors": True if (has_st or not self.allow_pickle) else None}
        if quant is not None:
            kwargs["quantization_config"] = quant
            kwargs["device_map"] = {"": self.device}
        model_cls = hf_common.concrete_class(AutoModelForCausalLM, config)  # imported before the clock starts
        if adapter_dir is not None:
            from peft import PeftModel
        try:
            with measure_load(use_cuda=self.device.startswith("cuda")) as m:
                model = model_cls.from_pretrained(base.path, **kwargs)
                if quant is None:
                    model = model.to(self.device)
                if adapter_dir is not None:
                    model = PeftModel.from_pretrained(model, str(adapter_dir))
                    if quant is None:
                        model = model.merge_and_unload()
        except AegisError:
            raise
        except Exception as exc:
            raise hf_common.describe_load_error(exc, name) from None
        model.eval()
        self.model = model
        info = describe_model(model)
        self._setup_batching(config)
        del torch
        return LoadedModel(device=info.device, precision=info.precision, quantization=info.quantization,
                           vram_mb=m.vram_mb, load_time_ms=m.load_time_ms, parameters=info.parameters,
                           context_tokens=self.context, provider="hf")

    def _setup_tokens(self, config: Any) -> None:
        tok = self.tokenizer
        eos: list[int] = []
        gen_eos = None
        try:
            from transformers import GenerationConfig

            gen_eos = GenerationConfig.from_model_config(config).eos_token_id
        except Exception:
            pass
        for value in (gen_eos, getattr(config, "eos_token_id", None), tok.eos_token_id):
            for v in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(v, int) and v not in eos:
                    eos.append(v)
        self.eos_ids = eos
        pad = tok.pad_token_id
        if pad is None:
            pad = eos[0] if eos else (tok.unk_token_id if tok.unk_token_id is not None else 0)
        self.pad_id = int(pad)
        self._chat = bool(getattr(tok, "chat_template", None))

    def _setup_budget(self, config: Any, name: str) -> None:
        text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
        ctx = int(getattr(text_config, "max_position_embeddings", 0) or 0) or 2048
        tmax = getattr(self.tokenizer, "model_max_length", None)
        if isinstance(tmax, int) and 0 < tmax < 1_000_000:
            ctx = min(ctx, tmax)
        if self.opts.get("context_tokens"):
            ctx = int(self.opts["context_tokens"])
        self.context = ctx
        max_new = int(self.opts["max_new_tokens"])
        self.input_budget = ctx - max_new
        overhead = prompt_overhead(self.measure)
        if self.input_budget - overhead - PROMPT_MARGIN < 32:
            raise ModelLoadError(
                f"{name}: its context ({ctx} tokens) cannot hold the prompt ({overhead} tokens), "
                f"max_new_tokens ({max_new}) and any code",
                "lower max_new_tokens in the preset's options")

    def _setup_batching(self, config: Any) -> None:
        requested = self.batch_size or self.opts.get("batch_size")
        if not self.device.startswith("cuda"):
            self.max_batch = int(requested or CPU_BATCH)
            self.token_cap = None
            return
        import torch

        self.max_batch = int(requested or GPU_BATCH_MAX)
        kv = _kv_bytes_per_token(config, self.model)
        if kv:
            free, _total = torch.cuda.mem_get_info(torch.device(self.device))
            self.token_cap = max(1, int(KV_MEMORY_SHARE * free / kv))
        else:
            self.token_cap = None

    # --------------------------------------------------------------- prompts
    def measure(self, messages: Messages) -> tuple[int, list[int]]:
        """Exact prompt ids for ``messages``, as generate will be fed them."""
        backend = self.tokenizer.backend_tokenizer
        if not self._chat:
            ids = backend.encode(plain_prompt(messages), add_special_tokens=True).ids
            return len(ids), ids
        msgs = with_system_folded(messages) if self._fold_system else messages
        try:
            text = self.tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        except Exception:
            if self._fold_system:
                raise
            self._fold_system = True  # templates like Gemma's refuse a system turn
            text = self.tokenizer.apply_chat_template(with_system_folded(messages), tokenize=False,
                                                      add_generation_prompt=True)
        ids = backend.encode(text, add_special_tokens=False).ids
        return len(ids), ids

    def _encode_code(self, text: str):
        enc = self.tokenizer.backend_tokenizer.encode(text, add_special_tokens=False)
        return enc.ids, enc.offsets

    def prepare(self, files: Iterable[Any]) -> Iterator[Chunk]:
        return chunk_files(files, encode=self._encode_code, measure=self.measure, input_budget=self.input_budget,
                           chunk_cap=self.opts.get("chunk_tokens"))

    # ------------------------------------------------------------------- run
    def _batches(self, order: list[int], lengths: list[int]) -> Iterator[list[int]]:
        """Indices grouped into batches of similar length within the batch and token caps."""
        max_new = int(self.opts["max_new_tokens"])
        batch: list[int] = []
        for i in order:
            width = max([lengths[j] for j in batch] + [lengths[i]])
            over_tokens = self.token_cap is not None and (len(batch) + 1) * (width + max_new) > self.token_cap
            if batch and (len(batch) >= self.max_batch or over_tokens):
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch

    def run(self, chunks: list[Chunk], ctx: ScanContext) -> None:
        prompts = [c.payload.prompt_ids for c in chunks]
        lengths = [len(p) for p in prompts]
        order = sorted(range(len(chunks)), key=lambda i: lengths[i])
        repair = bool(self.opts.get("repair", True))
        for batch in self._batches(order, lengths):
            answers = self._generate_all([prompts[i] for i in batch], ctx)
            parsed = {i: extract_findings(text) for i, text in zip(batch, answers, strict=True)}
            raw = dict(zip(batch, answers, strict=True))
            failed = [i for i in batch if not parsed[i].ok]
            if failed and repair:
                repair_prompts = [self._repair_ids(raw[i]) for i in failed]
                for i, text in zip(failed, self._generate_all(repair_prompts, ctx), strict=True):
                    second = extract_findings(text)
                    if second.ok:
                        parsed[i] = second
                    elif not raw[i].strip():  # the warning shows the first answer, unless it was empty
                        raw[i] = text
            for i in batch:
                chunk = chunks[i]
                if parsed[i].ok:
                    for finding in findings_from_answer(parsed[i], chunk, model_name=self.spec.name,
                                                        source_text=ctx.source_text(chunk.path)):
                        ctx.finding(finding)
                else:
                    ctx.warn(unparsed_warning(self.spec.name, chunk, raw[i], parsed[i].error, repaired=repair))
            ctx.chunks_done(len(batch))

    def _repair_ids(self, previous: str) -> list[int]:
        """The repair prompt's ids, the previous answer shortened until it fits."""
        text = previous
        for _ in range(6):
            n, ids = self.measure(build_repair_messages(text))
            if n <= self.input_budget:
                return ids
            text = text[: max(0, int(len(text) * self.input_budget / n) - 64)]
        return self.measure(build_repair_messages(""))[1]

    def _generate_all(self, prompts: list[list[int]], ctx: ScanContext) -> list[str]:
        """Answers for ``prompts`` (one generate call per sub-batch; OOM halves it)."""
        def shrink(size: int) -> None:
            self.max_batch = size
            self._warn(f"{self.spec.name}: out of device memory; generating {size} chunk(s) at a time")

        parts = run_with_backoff(prompts, lambda part: self._generate(part, ctx), start=self.max_batch,
                                 on_shrink=shrink, what=self.spec.name)
        return [text for part in parts for text in part]

    def _generate(self, seqs: Sequence[list[int]], ctx: ScanContext) -> list[str]:
        """One batched generate call (left padding), reported as one ModelCall."""
        import torch

        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for row, s in enumerate(seqs):
            ids[row, width - len(s):] = torch.tensor(s, dtype=torch.long)
            mask[row, width - len(s):] = 1
        on_gpu = self.device.startswith("cuda")
        if self.device != "cpu":
            ids, mask = ids.to(self.device), mask.to(self.device)
        sampling = float(self.opts.get("temperature") or 0.0) > 0
        kwargs: dict[str, Any] = {
            "max_new_tokens": int(self.opts["max_new_tokens"]), "do_sample": sampling,
            "pad_token_id": self.pad_id, "eos_token_id": self.eos_ids or None,
            "temperature": float(self.opts["temperature"]) if sampling else None,
            "top_p": float(self.opts.get("top_p") or 1.0) if sampling else None, "top_k": None,
        }
        if sampling:
            torch.manual_seed(int(self.opts.get("seed") or 0))
        if on_gpu:
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = self.model.generate(input_ids=ids, attention_mask=mask, **kwargs)
        if on_gpu:
            torch.cuda.synchronize(self.device)
        latency_ms = (time.perf_counter() - t0) * 1000.0
        peak = torch.cuda.max_memory_allocated(self.device) / 2**20 if on_gpu else None
        generated = out[:, width:].tolist()
        input_tokens = int(mask.sum().item())
        del out, ids, mask
        counts = [generated_length(row, self.eos_ids) for row in generated]
        ctx.call(latency_ms=latency_ms, input_tokens=input_tokens, output_tokens=sum(counts), items=len(seqs),
                 peak_vram_mb=peak)
        return [self.tokenizer.decode(row[:n], skip_special_tokens=True) for row, n in zip(generated, counts, strict=True)]

    # ---------------------------------------------------------------- unload
    def unload(self) -> None:
        model, self.model = self.model, None
        self.tokenizer = None
        if model is not None:
            hf_common.free_model(model)


def generated_length(row: Sequence[int], eos_ids: Sequence[int]) -> int:
    """Generated tokens in ``row``: up to and including the first EOS, else all of it."""
    stops = set(eos_ids)
    for k, t in enumerate(row):
        if t in stops:
            return k + 1
    return len(row)


def _kv_bytes_per_token(config: Any, model: Any) -> int | None:
    """KV-cache bytes one token costs (all layers), from the config; None if unknown."""
    c = config.get_text_config() if hasattr(config, "get_text_config") else config
    try:
        layers = int(c.num_hidden_layers)
        heads = int(c.num_attention_heads)
        kv_heads = int(getattr(c, "num_key_value_heads", None) or heads)
        head_dim = int(getattr(c, "head_dim", None) or (int(c.hidden_size) // heads))
    except (AttributeError, TypeError, ValueError, ZeroDivisionError):
        return None
    elem = 2
    try:
        dtype = next(p.dtype for p in model.parameters() if p.dtype.is_floating_point)
        elem = 4 if str(dtype) == "torch.float32" else 2
    except StopIteration:
        pass
    return 2 * layers * kv_heads * head_dim * elem
