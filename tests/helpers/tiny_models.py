"""Tiny random-init models with their own small tokenizer, saved with save_pretrained
and loaded back by path exactly as a user's model would be."""

from __future__ import annotations

from pathlib import Path

CODE_SAMPLES = [
    "import os\nimport subprocess\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n",
    "def query(db, name):\n    cur = db.cursor()\n    cur.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)\n    return cur.fetchall()\n",
    "const express = require('express');\napp.get('/', (req, res) => { res.send(req.query.q); });\n",
    "public class Main {\n  public static void main(String[] args) {\n    System.out.println(args[0]);\n  }\n}\n",
    "#include <stdio.h>\nint main(int argc, char **argv) {\n  char buf[16];\n  strcpy(buf, argv[1]);\n  printf(buf);\n}\n",
    "<?php\n$id = $_GET['id'];\n$r = mysqli_query($conn, \"SELECT * FROM t WHERE id=\" . $id);\n?>\n",
    "package main\nimport \"os/exec\"\nfunc run(c string) { exec.Command(\"sh\", \"-c\", c).Run() }\n",
]


def _tokenizer(out: Path, vocab_size: int = 400, extra_texts: list[str] | None = None):
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(CODE_SAMPLES * 4 + list(extra_texts or []), vocab_size=vocab_size, min_frequency=1,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    tok = RobertaTokenizerFast(tokenizer_object=bpe._tokenizer, bos_token="<s>", eos_token="</s>",
                               unk_token="<unk>", pad_token="<pad>", mask_token="<mask>", cls_token="<s>",
                               sep_token="</s>", model_max_length=512)
    return tok


def build_classifier(out: Path, *, token_level: bool = False, labels: list[str] | None = None,
                     max_positions: int = 130, seed: int = 0, hidden: int = 32,
                     extra_texts: list[str] | None = None) -> Path:
    """A 2-layer RoBERTa classifier (sequence or token level). Context = max_positions - 2."""
    import torch
    from transformers import RobertaConfig, RobertaForSequenceClassification, RobertaForTokenClassification

    torch.manual_seed(seed)
    tok = _tokenizer(out, extra_texts=extra_texts)
    labels = labels or (["O", "CWE-89", "CWE-78"] if token_level else ["LABEL_0", "LABEL_1"])
    config = RobertaConfig(vocab_size=len(tok), hidden_size=hidden, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=hidden * 2, max_position_embeddings=max_positions,
                           pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                           id2label=dict(enumerate(labels)), label2id={v: i for i, v in enumerate(labels)})
    cls = RobertaForTokenClassification if token_level else RobertaForSequenceClassification
    model = cls(config)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def bias_towards(path: Path, label_index: int, amount: float = 10.0) -> None:
    """Make a saved classifier predict ``label_index`` everywhere (a deterministic detector)."""
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoModelForTokenClassification

    config = AutoConfig.from_pretrained(path)
    arch = config.architectures[0]
    cls = AutoModelForTokenClassification if "Token" in arch else AutoModelForSequenceClassification
    model = cls.from_pretrained(path)
    head = model.classifier.out_proj if hasattr(model.classifier, "out_proj") else model.classifier
    with torch.no_grad():
        head.bias.zero_()
        head.bias[label_index] = amount
    model.save_pretrained(path)
