import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from aegis_cli.telemetry.model_info import describe_model, measure_load  # noqa: E402


def _tiny(tmp_path, dtype):
    config = transformers.LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                                      num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=64)
    model = transformers.LlamaForCausalLM(config)
    path = tmp_path / "tiny"
    model.save_pretrained(path)
    with measure_load() as m:
        loaded = transformers.AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    return loaded, m, sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(("dtype", "name"), [("float32", "fp32"), ("bfloat16", "bf16"), ("float16", "fp16")])
def test_describe_reads_precision_and_device_from_the_loaded_model(tmp_path, dtype, name):
    model, m, n_params = _tiny(tmp_path, getattr(torch, dtype))
    info = describe_model(model)
    assert info.precision == name
    assert info.device == "cpu" and not info.on_gpu
    assert info.quantization is None
    assert info.parameters == n_params
    assert m.load_time_ms is not None and m.load_time_ms > 0
    assert m.vram_mb is None  # no GPU: N/A, not 0


def test_precision_follows_the_majority_of_parameters_not_the_request(tmp_path):
    model, _, _ = _tiny(tmp_path, torch.float32)
    model.model.layers.to(torch.bfloat16)  # most weights now bf16; embeddings and head stay fp32
    n_bf16 = sum(p.numel() for p in model.parameters() if p.dtype == torch.bfloat16)
    n_fp32 = sum(p.numel() for p in model.parameters() if p.dtype == torch.float32)
    expected = "bf16" if n_bf16 > n_fp32 else "fp32"
    assert describe_model(model).precision == expected


def test_trainable_count_follows_requires_grad(tmp_path):
    model, _, n = _tiny(tmp_path, torch.float32)
    for p in model.model.parameters():
        p.requires_grad_(False)
    info = describe_model(model)
    assert info.trainable_parameters == sum(p.numel() for p in model.lm_head.parameters()) < n


@pytest.mark.gpu
def test_describe_on_cuda_in_bf16_measures_vram_and_device(tmp_path):
    config = transformers.LlamaConfig(vocab_size=1000, hidden_size=256, intermediate_size=512, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=4)
    transformers.LlamaForCausalLM(config).save_pretrained(tmp_path / "m")
    with measure_load() as m:
        model = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "m", dtype=torch.bfloat16).to("cuda:0")
    info = describe_model(model)
    assert info.device == "cuda:0" and info.precision == "bf16" and info.on_gpu
    param_mb = sum(p.numel() * p.element_size() for p in model.parameters()) / 2**20
    assert m.vram_mb is not None and param_mb * 0.9 <= m.vram_mb <= param_mb * 1.5
