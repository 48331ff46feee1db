"""The HF generative provider on tiny causal LMs built here: token truth against
independent counts, batching, line mapping, repair, chunking of huge files, LoRA
adapters, quantization requests, OOM backoff and unloading."""

from __future__ import annotations

import gc
import itertools
import json
import math
import weakref

import pytest

from aegis_cli.errors import AegisError, ModelLoadError
from aegis_cli.providers import detect_kind, prompt
from aegis_cli.providers.base import ModelSpec, ScanContext
from aegis_cli.providers.hf_generative import HFGenerativeProvider
from aegis_cli.scan.archive import SourceFile
from aegis_cli.scan.chunking import LONG_LINE_FLAG
from aegis_cli.scan.pipeline import ScanOptions, run_scan
from aegis_cli.telemetry import EventBus, MemorySink, ModelCall, ModelCompleted
from functional.conftest import write_zip
from helpers.tiny_causal import build_answering_lm, build_causal_lm, build_lora_adapter

ANSWER = json.dumps({"findings": [{"line_start": 3, "line_end": 4, "cwe": "CWE-78", "severity": "critical",
                                   "confidence": 85, "title": "OS command injection",
                                   "description": "user input reaches os.system",
                                   "recommendation": "pass an argument list to subprocess.run"}]})
RUN_PY = "import os\n\ndef run(cmd):\n    os.system(cmd)\n    return True\n"


class Recorder(ScanContext):
    """The pipeline's side of a provider, recording what it is told."""

    def __init__(self, texts: dict[str, str] | None = None):
        self.calls: list[dict] = []
        self.findings: list = []
        self.warnings: list[str] = []
        self.done = 0
        self.texts = texts or {}

    def call(self, **kw) -> None:
        self.calls.append(kw)

    def finding(self, finding) -> None:
        self.findings.append(finding)

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    def chunks_done(self, n: int) -> None:
        self.done += n

    def source_text(self, path: str):
        return self.texts.get(path)


def source(path: str, text: str) -> SourceFile:
    return SourceFile(path=path, text=text, language="python", size=len(text), encoding="utf-8")


def provider(path, *, batch_size=None, quantize="none", **options) -> HFGenerativeProvider:
    spec = ModelSpec(ref=str(path), name=path.name, kind="generative", options=options)
    return HFGenerativeProvider(spec, device="cpu", batch_size=batch_size, quantize=quantize)


@pytest.fixture(scope="module")
def noisy_lm(tmp_path_factory):
    """Random weights; EOS boosted so that rows of a batch stop at different steps."""
    return build_causal_lm(tmp_path_factory.mktemp("noisy") / "noisy-lm", eos_boost=3.0)


@pytest.fixture(scope="module")
def answering_lm(tmp_path_factory):
    return build_answering_lm(tmp_path_factory.mktemp("answering") / "answering-lm", ANSWER)


def spy_generate(p: HFGenerativeProvider) -> list[tuple]:
    """Record every real generate call's inputs and outputs (the real method still runs)."""
    seen: list[tuple] = []
    real = p.model.generate

    def generate(*args, **kwargs):
        out = real(*args, **kwargs)
        seen.append((kwargs["input_ids"].clone(), kwargs["attention_mask"].clone(), out.clone()))
        return out

    p.model.generate = generate
    return seen


def test_token_counts_match_an_independent_count(noisy_lm):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(noisy_lm)
    files = [source(f"f{i}.py", "def f(x):\n    return x\n" * (i + 1)) for i in range(5)]
    p = provider(noisy_lm, batch_size=2, max_new_tokens=24, repair=False)
    p.load()
    chunks = list(p.prepare(files))
    assert len(chunks) == 5
    seen = spy_generate(p)
    ctx = Recorder()
    p.run(chunks, ctx)
    # batches of two, shortest prompts first: 3 generate calls, one ModelCall each
    assert len(ctx.calls) == len(seen) == 3 and [c["items"] for c in ctx.calls] == [2, 2, 1]
    assert ctx.done == 5
    # every prompt is exactly the chat template over the chunk's messages, independently tokenized
    expected_prompts = sorted(len(tok.apply_chat_template(c.payload.messages, tokenize=True,
                                                          add_generation_prompt=True)["input_ids"]) for c in chunks)
    fed = sorted(int(n) for _, mask, _ in seen for n in mask.sum(dim=1))
    assert fed == expected_prompts == sorted(c.n_tokens for c in chunks)
    early = full = 0
    for call, (ids, mask, out) in zip(ctx.calls, seen, strict=True):
        assert call["input_tokens"] == int(mask.sum())
        assert all(mask[r, -1] == 1 for r in range(mask.shape[0]))  # left padding: real tokens last
        generated = out[:, ids.shape[1]:].tolist()
        count = 0
        for row in generated:
            n = row.index(tok.eos_token_id) + 1 if tok.eos_token_id in row else len(row)
            early += n < 24
            full += n == 24
            count += n
        assert call["output_tokens"] == count
        assert call["latency_ms"] > 0 and call["peak_vram_mb"] is None
    assert early and full  # some rows stopped at EOS (padding after it not counted), some ran out


def test_findings_from_the_answer_map_to_file_lines_through_aegis_scan(tmp_path, monkeypatch, answering_lm):
    path = tmp_path / "models.yaml"
    path.write_text(json.dumps({"presets": {"gen": {"id": str(answering_lm), "kind": "generative",
                                                    "options": {"max_new_tokens": 8}}}}))
    monkeypatch.setenv("AEGIS_MODELS", str(path))
    target = write_zip(tmp_path / "repo.zip", {"app/run.py": RUN_PY, "app/two.py": "a = 1\nb = 2\n"})
    sink = MemorySink()
    bus = EventBus([sink])
    result = run_scan(ScanOptions(target=str(target), models=["gen"]), bus)
    bus.close()
    m = result.models[0]
    assert m.status == "completed" and m.device == "cpu" and m.precision == "fp32" and m.quantization is None
    (call,) = sink.of_type(ModelCall)  # both chunks in one batch; every answer parsed: no repair
    assert call.items == 2 and call.output_tokens == 4  # the answer token and EOS, per row
    assert sink.of_type(ModelCompleted)[0].speed_basis == "output"
    assert m.tokens_per_s == pytest.approx(4 / (call.latency_ms / 1000))
    by_path = {f.path: f for f in result.findings}
    f = by_path["app/run.py"]
    assert (f.start_line, f.end_line, f.cwe, f.severity, f.confidence) == (3, 4, "CWE-78", "critical", 0.85)
    assert f.title == "OS command injection" and f.message == "user input reaches os.system"
    assert f.recommendation == "pass an argument list to subprocess.run" and f.flags == []
    assert f.snippet == "def run(cmd):\n    os.system(cmd)" and f.models == ["answering-lm"]
    clamped = by_path["app/two.py"]  # lines 3-4 of a 2-line file
    assert (clamped.start_line, clamped.end_line) == (2, 2) and clamped.flags == ["lines-clamped"]


def test_chunks_past_the_first_get_absolute_line_numbers(answering_lm):
    text = "".join(f"value_{i} = {i}\n" for i in range(1, 61))
    p = provider(answering_lm, max_new_tokens=8, chunk_tokens=120)
    p.load()
    chunks = list(p.prepare([source("long.py", text)]))
    assert len(chunks) > 2
    later = chunks[1]
    assert later.start_line > 1
    assert f"{later.start_line} | value_{later.start_line} = {later.start_line}" in later.payload.messages[1]["content"]
    ctx = Recorder({"long.py": text})
    p.run(chunks[:2], ctx)
    # the answer's lines 3-4 are inside the first chunk only; the second chunk clamps them to its start
    first, second = sorted(ctx.findings, key=lambda f: f.start_line)
    assert (first.start_line, first.end_line, first.flags) == (3, 4, [])
    assert (second.start_line, second.end_line, second.flags) == (later.start_line, later.start_line, ["lines-clamped"])


def test_garbage_gets_one_repair_call_then_a_warning(tmp_path):
    garbage = build_answering_lm(tmp_path / "garbage-lm", "I think it is fine <b>[red]really[/red]</b>")
    p = provider(garbage, max_new_tokens=8)
    p.load()
    chunks = list(p.prepare([source("a.py", "x = 1\n"), source("b.py", "y = 2\n")]))
    ctx = Recorder()
    p.run(chunks, ctx)
    assert [c["items"] for c in ctx.calls] == [2, 2]  # the batch, then the batch's repair prompts
    assert ctx.findings == [] and ctx.done == 2
    assert len(ctx.warnings) == 2
    assert all("after one repair retry" in w and "I think it is fine" in w for w in ctx.warnings)


def _forty_thousand_tokens(tok, multiline: bool) -> str:
    parts = []
    n = 0
    i = 0
    while n < 40_000:
        piece = f"var a{i}=b{i}+c{i}*{i % 97};" + ("\n" if multiline else "")
        parts.append(piece)
        n += len(tok(piece, add_special_tokens=False)["input_ids"])
        i += 1
    return "".join(parts)


def test_a_forty_thousand_token_file_is_chunked_never_fed_whole(noisy_lm):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(noisy_lm)
    p = provider(noisy_lm, max_new_tokens=32, context_tokens=512)
    p.load()
    assert p.input_budget == 480
    for multiline in (False, True):
        text = _forty_thousand_tokens(tok, multiline)
        chunks = list(p.prepare([source("min.js", text)]))
        assert len(chunks) > 40_000 // 480
        for c in chunks[:: max(1, len(chunks) // 25)]:  # every prompt fits; checked independently on a sample
            ids = tok.apply_chat_template(c.payload.messages, tokenize=True, add_generation_prompt=True)["input_ids"]
            assert len(ids) == c.n_tokens <= 480
        assert max(c.n_tokens for c in chunks) <= 480
        if multiline:
            n_lines = text.count("\n")
            assert chunks[0].start_line == 1 and chunks[-1].end_line == n_lines
            assert all(b.start_line <= a.end_line + 1 for a, b in itertools.pairwise(chunks))
        else:
            assert all(c.start_line == c.end_line == 1 and LONG_LINE_FLAG in c.flags for c in chunks)
            assert "1 | …" in chunks[1].payload.messages[1]["content"]  # a continuation says whose line it is


def test_context_too_small_for_the_prompt_fails_cleanly(noisy_lm):
    p = provider(noisy_lm, max_new_tokens=200, context_tokens=300)
    with pytest.raises(ModelLoadError, match="cannot hold the prompt"):
        p.load()


def test_lora_adapter_loads_on_its_base_and_changes_the_model(tmp_path, noisy_lm):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    adapter = build_lora_adapter(noisy_lm, tmp_path / "adapter")
    assert not (adapter / "config.json").exists()
    spec = ModelSpec(ref=str(adapter), name="adapter")
    assert detect_kind(spec) == "generative"
    p = provider(adapter, max_new_tokens=8)
    loaded = p.load()
    probe = torch.tensor([[5, 17, 42, 99, 7]])
    base = AutoModelForCausalLM.from_pretrained(noisy_lm).eval()
    with torch.inference_mode():
        base_logits = base(probe).logits
        expected = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(noisy_lm), str(adapter)).eval()(probe).logits
        got = p.model(probe).logits
    assert torch.allclose(got, expected, atol=1e-5)
    assert not torch.allclose(got, base_logits, atol=1e-3)
    assert loaded.parameters == sum(q.numel() for q in base.parameters())  # merged into the base
    assert loaded.load_time_ms > 0 and loaded.device == "cpu"
    # the preset's base wins over adapter_config.json (here: a path that no longer exists)
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    cfg["base_model_name_or_path"] = str(tmp_path / "moved-away")
    (adapter / "adapter_config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match="moved-away not found"):
        provider(adapter, max_new_tokens=8).load()
    spec = ModelSpec(ref=str(adapter), name="adapter", kind="generative", base=str(noisy_lm),
                     options={"max_new_tokens": 8})
    again = HFGenerativeProvider(spec, device="cpu")
    again.load()
    with torch.inference_mode():
        assert torch.allclose(again.model(probe).logits, expected, atol=1e-5)


def test_quantize_on_cpu_warns_and_the_badges_show_what_loaded(noisy_lm):
    warnings: list[str] = []
    loaded = provider(noisy_lm, quantize="int4", max_new_tokens=8).load(warn=warnings.append)
    assert any("--quantize int4 needs a CUDA GPU" in w for w in warnings)
    assert (loaded.device, loaded.precision, loaded.quantization, loaded.vram_mb) == ("cpu", "fp32", None, None)


def test_unload_frees_the_model(noisy_lm):
    p = provider(noisy_lm, max_new_tokens=4, repair=False)
    p.load()
    p.run(list(p.prepare([source("a.py", "x = 1\n")])), Recorder())
    ref = weakref.ref(p.model)
    p.unload()
    gc.collect()
    assert ref() is None and p.model is None


def test_out_of_memory_halves_the_batch_then_fails_cleanly(noisy_lm):
    import torch

    p = provider(noisy_lm, batch_size=4, max_new_tokens=4, repair=False)
    warnings: list[str] = []
    p.load(warn=warnings.append)
    chunks = list(p.prepare([source(f"f{i}.py", f"x = {i}\n") for i in range(4)]))
    real = p.model.generate
    attempts: list[int] = []

    def generate_with_little_memory(*args, **kwargs):
        attempts.append(kwargs["input_ids"].shape[0])
        if kwargs["input_ids"].shape[0] > 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(*args, **kwargs)

    p.model.generate = generate_with_little_memory
    ctx = Recorder()
    p.run(chunks, ctx)
    assert attempts == [4, 2, 1, 1, 1, 1]
    assert [c["items"] for c in ctx.calls] == [1, 1, 1, 1] and ctx.done == 4
    assert p.max_batch == 1 and any("out of device memory" in w for w in warnings)

    def no_memory_at_all(*args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    p.model.generate = no_memory_at_all
    with pytest.raises(AegisError, match="even with one item per batch"):
        p.run(chunks[:1], Recorder())


def test_a_model_without_chat_template_gets_a_plain_prompt(tmp_path):
    from transformers import AutoTokenizer

    base = build_causal_lm(tmp_path / "base-lm", chat_template=False)
    p = provider(base, max_new_tokens=4, repair=False)
    p.load()
    (chunk,) = p.prepare([source("a.py", "x = 1\n")])
    tok = AutoTokenizer.from_pretrained(base)
    expected = tok(prompt.plain_prompt(chunk.payload.messages))["input_ids"]
    assert chunk.payload.prompt_ids == expected  # the tokenizer's own special tokens, if any, included
    ctx = Recorder()
    p.run([chunk], ctx)
    assert ctx.calls[0]["input_tokens"] == len(expected)


# ------------------------------------------------------------------------ GPU
@pytest.mark.gpu
def test_gpu_bf16_badges_and_vram_freed_on_unload(noisy_lm):
    import torch

    torch.cuda.synchronize()
    baseline = torch.cuda.memory_allocated(0)
    p = HFGenerativeProvider(ModelSpec(ref=str(noisy_lm), name="noisy", kind="generative",
                                       options={"max_new_tokens": 8, "repair": False}), device="cuda", precision="bf16")
    loaded = p.load()
    assert (loaded.device, loaded.precision, loaded.quantization) == ("cuda:0", "bf16", None)
    assert loaded.vram_mb is not None and loaded.vram_mb > 0
    ctx = Recorder()
    p.run(list(p.prepare([source("a.py", "x = 1\n")])), ctx)
    assert ctx.calls[0]["peak_vram_mb"] > 0
    p.unload()
    gc.collect()
    assert torch.cuda.memory_allocated(0) - baseline < 1 * 2**20


@pytest.mark.gpu
def test_gpu_int4_loads_through_bitsandbytes(noisy_lm):
    pytest.importorskip("bitsandbytes")
    p = HFGenerativeProvider(ModelSpec(ref=str(noisy_lm), name="noisy", kind="generative",
                                       options={"max_new_tokens": 8, "repair": False}), device="cuda", quantize="int4")
    loaded = p.load()
    assert (loaded.device, loaded.quantization) == ("cuda:0", "int4")
    ctx = Recorder()
    p.run(list(p.prepare([source("a.py", "x = 1\n")])), ctx)
    assert ctx.calls and math.isfinite(ctx.calls[0]["latency_ms"])
    p.unload()
