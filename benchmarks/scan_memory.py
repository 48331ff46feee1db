"""Bounded memory: scan an archive of many small files through the real pipeline and report
the process's peak RSS. Last line:

    peak_rss_mb=X files=N model_rss_mb=M

peak_rss_mb is the peak resident set of the whole process *beyond the model*: the peak
(ru_maxrss, which the kernel tracks exactly) minus the resident set measured right after
the model was loaded and warmed up. Goal (issue 9): under 2,048 MB for 200,000 small files.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import zipfile
from pathlib import Path

TEMPLATE = '''"""Module {i}."""
import os


def handler_{i}(request):
    value = request.args.get("v{i}")
    if value is None:
        return "{i}"
    return os.path.basename(value) + "{i}"
'''


def build_archive(path: Path, n: int) -> int:
    total = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for i in range(n):
            data = TEMPLATE.format(i=i).encode()
            zf.writestr(f"pkg{i // 1000:03d}/mod_{i}.py", data)
            total += len(data)
    return total


def build_model(out: Path) -> Path:
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaConfig, RobertaForSequenceClassification, RobertaTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator([TEMPLATE.format(i=i) for i in range(200)], vocab_size=600, min_frequency=1,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    tok = RobertaTokenizerFast(tokenizer_object=bpe._tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                               pad_token="<pad>", mask_token="<mask>", cls_token="<s>", sep_token="</s>",
                               model_max_length=512)
    config = RobertaConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=64, max_position_embeddings=514, pad_token_id=1)
    torch.manual_seed(0)
    model = RobertaForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.out_proj.bias.copy_(torch.tensor([20.0, -20.0]))  # never flags: pure ingestion + inference
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Counting:
    """A sink that keeps nothing (a MemorySink would itself grow with the scan)."""

    name = "count"
    lossless = True
    max_queue = 0

    def __init__(self) -> None:
        self.n = 0

    def handle(self, event) -> None:
        self.n += 1

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=200_000)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from aegis_cli.providers.hf_classifier import HFClassifierProvider
    from aegis_cli.providers.presets import resolve
    from aegis_cli.scan.pipeline import ScanOptions, run_scan
    from aegis_cli.telemetry.bus import EventBus

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        archive = tmp_path / "many.zip"
        source_bytes = build_archive(archive, args.files)
        model = build_model(tmp_path / "tiny")
        # the model's own footprint: load it once, as the scan will
        probe = HFClassifierProvider(resolve(str(model), {}))
        probe.load()
        model_rss = rss_mb()
        probe.unload()
        base = rss_mb()
        counter = Counting()
        bus = EventBus([counter])
        result = run_scan(ScanOptions(target=str(archive), models=[str(model)]), bus)
        bus.close()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"{result.files_scanned:,} files ({source_bytes / 2**20:.0f} MB of source), {result.chunks:,} chunks, "
          f"{counter.n:,} events; RSS after model load {model_rss:.0f} MB, before scan {base:.0f} MB, "
          f"peak {peak:.0f} MB; model status {result.models[0].status}")
    print(f"peak_rss_mb={peak - model_rss:.0f} files={result.files_scanned} model_rss_mb={model_rss:.0f}")


if __name__ == "__main__":
    main()
