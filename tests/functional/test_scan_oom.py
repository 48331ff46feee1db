"""CUDA out-of-memory mid-scan: the batch is halved and retried; if even one chunk does not
fit, that model fails cleanly and the others finish. The fault is injected at the launch of
a forward pass (the exception is torch's own class); the models themselves run for real."""

from __future__ import annotations

import torch

from aegis_cli.providers.hf_classifier import HFClassifierProvider
from aegis_cli.scan.pipeline import ScanOptions, run_scan
from aegis_cli.telemetry import EventBus, LogMessage, MemorySink, ModelCall, ModelFailed


def _scan(target, models, **kw):
    sink = MemorySink()
    bus = EventBus([sink])
    result = run_scan(ScanOptions(target=str(target), models=[str(m) for m in models], **kw), bus)
    bus.close()
    return result, sink


def test_batches_are_halved_until_they_fit_and_findings_do_not_change(monkeypatch, repo_zip, keyword_models):
    _, tok = keyword_models
    baseline, _ = _scan(repo_zip, [tok], batch_size=8)
    real_launch = HFClassifierProvider._launch

    def tight_memory(self, seqs):
        if len(seqs) > 2:  # pretend only two sequences fit on the device
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real_launch(self, seqs)

    monkeypatch.setattr(HFClassifierProvider, "_launch", tight_memory)
    result, sink = _scan(repo_zip, [tok], batch_size=8)
    assert result.models[0].status == "completed"
    calls = sink.of_type(ModelCall)
    assert calls and max(c.items for c in calls) <= 2
    assert sum(c.items for c in calls) == result.chunks  # every chunk still ran exactly once
    assert [(f.path, f.start_line, f.cwe) for f in result.findings] == [
        (f.path, f.start_line, f.cwe) for f in baseline.findings]
    assert any("batch size lowered to 2" in e.text for e in sink.of_type(LogMessage))


def test_a_model_that_never_fits_fails_cleanly_while_the_others_finish(monkeypatch, repo_zip, keyword_models,
                                                                       quiet_classifier):
    _, tok = keyword_models
    real_launch = HFClassifierProvider._launch

    def no_memory_for_kw(self, seqs):
        if self.spec.name == "kw-tok":
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        return real_launch(self, seqs)

    monkeypatch.setattr(HFClassifierProvider, "_launch", no_memory_for_kw)
    result, sink = _scan(repo_zip, [tok, quiet_classifier])
    status = {m.name: m.status for m in result.models}
    assert status == {"kw-tok": "failed", "quiet": "completed"}
    failed = sink.of_type(ModelFailed)[0]
    assert "out of device memory even with one item per batch" in failed.error
