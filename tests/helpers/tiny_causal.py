"""Tiny causal LMs with their own small tokenizer and chat template, saved with
save_pretrained and loaded back by path, as a user's model would be.

* :func:`build_causal_lm` — a random 2-layer Llama (seeded). Its answers are noise, which
  is what the token-accounting, batching, repair and unloading tests need; ``eos_boost``
  makes EOS win at some steps, so rows of a batch stop at different lengths.
* :func:`build_answering_lm` — a Llama whose weights are set, not trained, so that after
  the chat template's generation prompt it writes one given answer and then EOS. The
  residual stream is the one-hot token embedding (every layer's output projections are
  zero), and the LM head maps "<|assistant|>" → the answer token → EOS. Everything runs
  through the real transformers generate; only the numbers are chosen.
* :func:`build_lora_adapter` — a LoRA adapter with non-zero weights on a saved base.
"""

from __future__ import annotations

from pathlib import Path

from helpers.tiny_models import CODE_SAMPLES

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}</s>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SPECIALS = ["<s>", "</s>", "<pad>", "<unk>", "<|system|>", "<|user|>", "<|assistant|>"]


def build_tokenizer(vocab_size: int = 700, chat_template: bool = True, extra_tokens: list[str] | None = None):
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    from aegis_cli.providers import prompt

    # the prompt's own words are in the vocabulary, so prompts stay short as with a real tokenizer
    texts = (CODE_SAMPLES * 4 + ['{"findings": [{"line_start": 1, "cwe": "CWE-89"}]}'] * 4
             + [prompt.SYSTEM_PROMPT, prompt.USER_TEMPLATE, prompt.SCHEMA, prompt.REPAIR_TEMPLATE,
                prompt.REPAIR_SYSTEM_PROMPT] * 8)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=vocab_size, min_frequency=1, special_tokens=SPECIALS)
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, bos_token="<s>", eos_token="</s>",
                                  pad_token="<pad>", unk_token="<unk>",
                                  additional_special_tokens=["<|system|>", "<|user|>", "<|assistant|>"])
    if extra_tokens:
        tok.add_tokens(extra_tokens)
    if chat_template:
        tok.chat_template = CHAT_TEMPLATE
    return tok


def build_causal_lm(out: Path, *, max_positions: int = 512, seed: int = 0, hidden: int = 32,
                    chat_template: bool = True, eos_boost: float | None = None) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = build_tokenizer(chat_template=chat_template)
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=hidden, intermediate_size=hidden * 2, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=max_positions,
                         bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    model = LlamaForCausalLM(config)
    if eos_boost is not None:
        with torch.no_grad():
            model.lm_head.weight[tok.eos_token_id] *= eos_boost
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def build_answering_lm(out: Path, answer: str, *, max_positions: int = 1024) -> Path:
    """A model that answers ``answer`` (then EOS) to any chat prompt."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = build_tokenizer(extra_tokens=[answer])
    vocab = len(tok)
    answer_id = tok.convert_tokens_to_ids(answer)
    assistant_id = tok.convert_tokens_to_ids("<|assistant|>")
    hidden = vocab + (vocab % 2)
    config = LlamaConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=8, num_hidden_layers=2,
                         num_attention_heads=1, num_key_value_heads=1, max_position_embeddings=max_positions,
                         bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    model = LlamaForCausalLM(config)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.model.embed_tokens.weight[:, :vocab] = torch.eye(vocab)
        model.model.norm.weight.fill_(1.0)
        for layer in model.model.layers:
            layer.input_layernorm.weight.fill_(1.0)
            layer.post_attention_layernorm.weight.fill_(1.0)
        model.lm_head.weight[answer_id, assistant_id] = 10.0
        model.lm_head.weight[tok.eos_token_id, answer_id] = 10.0
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def build_lora_adapter(base: Path, out: Path, *, seed: int = 1, save_tokenizer: bool = False) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base)
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    peft_model = get_peft_model(model, lora)
    out.mkdir(parents=True, exist_ok=True)
    peft_model.save_pretrained(out)
    if save_tokenizer:
        AutoTokenizer.from_pretrained(base).save_pretrained(out)
    return out
