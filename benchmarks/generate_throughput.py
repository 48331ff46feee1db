"""Generated-token throughput of a generative model scanning real code through `aegis scan`.

A Qwen2-7B-shaped causal LM (random init, bf16; about 7.6 B parameters) with a ChatML
template and a byte-level BPE tokenizer trained on the code is saved once (cached in
--model-dir) and scanned through the real CLI (`aegis scan --no-tui`, so the [INFO] /
[SUCCESS] lines show the device, VRAM, precision and quantization actually loaded) over
the Python standard library's sources, zipped by this script. The same run scans a
subset again with --batch-size 1 as the naive baseline (HF generate one chunk at a time).

Figures come from the run's telemetry log: output tokens (generated ids up to EOS,
padding excluded) over the summed latency of the generate calls (load excluded). A
random model never writes JSON, so the repair retry is off here and every chunk ends in
a warning, which is expected. Last line:

    output_tokens_per_s=N naive_output_tokens_per_s=M

Goal (issue 9): N >= 1,000 on an H100 in bf16. `--shape tiny --device cpu` smoke-tests
the script on any machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from pathlib import Path

SHAPES = {
    # Qwen2-7B (config.json of Qwen/Qwen2-7B): 28 layers, GQA with 4 KV heads, 152k vocabulary
    "qwen2-7b": {"hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28,
                 "num_attention_heads": 28, "num_key_value_heads": 4, "vocab_size": 152064,
                 "max_position_embeddings": 32768, "rope_theta": 1_000_000.0, "rms_norm_eps": 1e-6,
                 "tokenizer_vocab": 32000},
    "tiny": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
             "num_key_value_heads": 2, "vocab_size": 8000, "max_position_embeddings": 4096,
             "rope_theta": 10_000.0, "rms_norm_eps": 1e-6, "tokenizer_vocab": 4000},
}
CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
ROOT = Path(__file__).resolve().parents[1]


def zip_stdlib(out: Path, max_files: int, skip: int = 0) -> int:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts and "test" not in p.parts)
    n = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in files[skip:]:
            if n >= max_files:
                break
            try:
                data = p.read_bytes()
            except OSError:
                continue
            if not 2_000 <= len(data) <= 40_000:
                continue
            zf.writestr(str(p.relative_to(root)), data)
            n += 1
    return n


def build_model(out: Path, shape: str, corpus: Path, device: str) -> None:
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    s = dict(SHAPES[shape])
    tok_vocab = s.pop("tokenizer_vocab")
    with zipfile.ZipFile(corpus) as zf:
        texts = [zf.read(n).decode("utf-8", "replace") for n in zf.namelist()]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=tok_vocab, min_frequency=2,
                            special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                  additional_special_tokens=["<|im_start|>", "<|im_end|>"])
    tok.chat_template = CHATML
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    config = Qwen2Config(**s, eos_token_id=tok.convert_tokens_to_ids("<|im_end|>"),
                         pad_token_id=tok.pad_token_id, bos_token_id=None, tie_word_embeddings=False)
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = Qwen2ForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    del model
    if device.startswith("cuda"):
        torch.cuda.empty_cache()


def scan(target: Path, presets: Path, alias: str, log: Path, args, batch_size: int) -> tuple[dict, list[str]]:
    cmd = [sys.executable, "-m", "aegis_cli", "scan", str(target), "--model", alias, "--no-tui", "--format", "json",
           "--output", str(log.with_suffix(".json")), "--telemetry-log", str(log), "--fail-on", "none",
           "--device", args.device, "--quantize", args.quantize, "--batch-size", str(batch_size)]
    env = {**os.environ, "AEGIS_MODELS": str(presets), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith(("[INFO]", "[SUCCESS]", "[ERROR]"))]
    if r.returncode not in (0, 1):
        sys.stderr.write(r.stderr[-4000:])
        raise SystemExit(f"aegis scan exited {r.returncode}")
    from aegis_cli.telemetry import ModelCall, ModelStarted, read_jsonl

    events = list(read_jsonl(log))
    calls = [e for e in events if isinstance(e, ModelCall)]
    started = next(e for e in events if isinstance(e, ModelStarted))
    out = sum(c.output_tokens for c in calls)
    seconds = sum(c.latency_ms for c in calls) / 1000.0
    return {"calls": len(calls), "chunks": sum(c.items for c in calls), "input_tokens": sum(c.input_tokens for c in calls),
            "output_tokens": out, "seconds": seconds, "tok_s": out / seconds if seconds else 0.0,
            "device": started.device, "precision": started.precision, "quantization": started.quantization,
            "vram_mb": started.vram_mb, "load_ms": started.load_time_ms}, lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto", help="auto | cuda | cuda:N | cpu")
    ap.add_argument("--shape", choices=sorted(SHAPES), default=None, help="default: qwen2-7b on CUDA, tiny elsewhere")
    ap.add_argument("--quantize", choices=["none", "int8", "int4"], default="none")
    ap.add_argument("--files", type=int, default=None, help="source files in the batched scan")
    ap.add_argument("--naive-files", type=int, default=None, help="files in the one-at-a-time baseline")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--max-new-tokens", type=int, default=None)
    ap.add_argument("--chunk-tokens", type=int, default=None, help="code tokens per chunk")
    ap.add_argument("--model-dir", type=Path, default=None, help="where the random model is saved (reused)")
    args = ap.parse_args()

    import torch

    cuda = torch.cuda.is_available() and args.device != "cpu"
    args.device = ("cuda:0" if cuda else "cpu") if args.device in ("auto", "cuda") else args.device
    shape = args.shape or ("qwen2-7b" if cuda else "tiny")
    files = args.files or (64 if cuda else 3)
    naive_files = args.naive_files or 1  # one chunk at a time is slow: ~25 s per chunk for 7B on an H100
    batch = args.batch_size or (128 if cuda else 8)
    max_new = args.max_new_tokens or (256 if cuda else 16)
    chunk_tokens = args.chunk_tokens or (768 if cuda else 256)
    model_dir = args.model_dir or Path(tempfile.gettempdir()) / f"aegis-bench-{shape}-gen"

    with tempfile.TemporaryDirectory(prefix="aegis-genbench-") as tmp:
        tmp = Path(tmp)
        corpus = tmp / "stdlib.zip"
        n_files = zip_stdlib(corpus, files)
        naive_zip = tmp / "naive.zip"
        zip_stdlib(naive_zip, naive_files)
        if not (model_dir / "config.json").is_file():
            t0 = time.perf_counter()
            build_model(model_dir, shape, corpus, args.device)
            print(f"built {shape} in {model_dir} ({time.perf_counter() - t0:.0f} s)", flush=True)
        presets = tmp / "models.yaml"
        options = {"max_new_tokens": max_new, "chunk_tokens": chunk_tokens, "repair": False}
        presets.write_text(json.dumps({"presets": {"bench-gen": {"id": str(model_dir), "kind": "generative",
                                                                 "name": f"{shape}-random", "options": options}}}))
        batched, lines = scan(corpus, presets, "bench-gen", tmp / "batched.jsonl", args, batch)
        print("\n".join(lines))
        naive, naive_lines = scan(naive_zip, presets, "bench-gen", tmp / "naive.jsonl", args, 1)
        print("\n".join(naive_lines))

    print(f"torch {torch.__version__}  device {batched['device']}  precision {batched['precision']}  "
          f"quantization {batched['quantization'] or 'none'}  vram_mb {batched['vram_mb']}  load_ms {batched['load_ms']:.0f}")
    for name, r, b in (("batched", batched, batch), ("naive", naive, 1)):
        print(f"{name}: files {n_files if name == 'batched' else naive_files}  batch {b}  calls {r['calls']}  "
              f"chunks {r['chunks']}  input_tokens {r['input_tokens']}  output_tokens {r['output_tokens']}  "
              f"generate_s {r['seconds']:.1f}  output_tok_s {r['tok_s']:.1f}")
    print(f"output_tokens_per_s={batched['tok_s']:.1f} naive_output_tokens_per_s={naive['tok_s']:.1f}")


if __name__ == "__main__":
    main()
