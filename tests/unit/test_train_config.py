"""The training config: shipped files validate, mistakes are reported readably, all at once, with lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aegis_cli.config.loader import load_config, validate
from aegis_cli.config.train import TrainConfig
from aegis_cli.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [ROOT / "configs" / "finetuning_config.yaml", *sorted((ROOT / "configs" / "examples").glob("*.yaml"))]

MINIMAL = """\
project_name: demo
model:
  base: builtin:tiny-causal-lm
dataset:
  source: data.jsonl
training:
  max_steps: 10
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "train.yaml"
    path.write_text(text)
    return path


def _problems(tmp_path: Path, text: str, overrides=()) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text), TrainConfig, overrides)
    return info.value.problems


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_training_configs_validate(path):
    cfg = load_config(path, TrainConfig)
    assert cfg.project_name
    if path.name == "finetuning_config.yaml":  # the smoke config must run anywhere: CPU, no network
        assert cfg.model.base.startswith("builtin:")
        assert cfg.quantization.mode == "none" and cfg.training.precision == "fp32"
        assert cfg.hub.push is False
        assert (ROOT / cfg.dataset.source).is_file()


def test_examples_name_their_hardware():
    for path in SHIPPED[1:]:
        head = path.read_text().split("\n\n")[0].lower()
        assert "hardware:" in head and "gpu" in head, f"{path.name} must say what hardware it needs"


def test_defaults_from_the_issue(tmp_path):
    cfg = load_config(_write(tmp_path, MINIMAL), TrainConfig)
    assert cfg.reporting.output_dir == "docs/reports" and cfg.reporting.poll_hz == 2
    assert cfg.reporting.use_comet_ml is True and cfg.reporting.report_to == []
    assert cfg.model.trust_remote_code is False and cfg.hub.push is False
    assert cfg.report_dir() == Path("docs/reports/demo")
    assert cfg.checkpoint_dir() == Path("runs/demo")


def test_unknown_keys_are_named_with_line_and_suggestion(tmp_path):
    text = MINIMAL.replace("  max_steps: 10\n", "  max_steps: 10\n  learning_rat: 0.1\n") + "reportng:\n  poll_hz: 2\n"
    problems = _problems(tmp_path, text)
    assert any("train.yaml:8: training.learning_rat: unknown key 'learning_rat' (did you mean 'learning_rate'?)" in p
               for p in problems), problems
    assert any("train.yaml:9: reportng: unknown key 'reportng' (did you mean 'reporting'?)" in p for p in problems)


def test_every_problem_is_reported_at_once(tmp_path):
    text = """\
project_name: "bad name/with slash"
model:
  base: x
  task: summarization
dataset:
  source: d.jsonl
training:
  max_steps: 0
  precision: fp8
reporting:
  poll_hz: -1
"""
    problems = _problems(tmp_path, text)
    joined = "\n".join(problems)
    for where in ("train.yaml:1: project_name", "train.yaml:4: model.task", "train.yaml:8: training.max_steps",
                  "train.yaml:9: training.precision", "train.yaml:11: reporting.poll_hz"):
        assert where in joined, joined
    assert len(problems) == 5


def test_missing_sections_and_length(tmp_path):
    problems = _problems(tmp_path, "project_name: x\nmodel:\n  base: m\ndataset:\n  source: d.jsonl\ntraining: {}\n")
    assert any("set training.epochs or training.max_steps" in p for p in problems)
    problems = _problems(tmp_path, "project_name: x\n")
    assert {p.split(": ")[1] for p in problems} >= {"model", "dataset", "training"}


def test_overrides_are_blamed_on_set(tmp_path):
    problems = _problems(tmp_path, MINIMAL, ["training.learning_rate=-1"])
    assert len(problems) == 1
    assert problems[0].startswith("--set training.learning_rate") and "greater than 0" in problems[0]
    cfg = load_config(_write(tmp_path, MINIMAL), TrainConfig, ["training.max_steps=3", "lora.enabled=false"])
    assert cfg.training.max_steps == 3 and cfg.lora.enabled is False


def test_yaml_no_and_quantization_shorthand(tmp_path):
    text = MINIMAL + "quantization: int4\n" + "training:\n  max_steps: 5\n  eval:\n    strategy: no\n"
    text = text.replace("training:\n  max_steps: 10\n", "")
    cfg = load_config(_write(tmp_path, text), TrainConfig)
    assert cfg.training.eval.strategy == "no"  # YAML 1.1 reads `no` as false; accepted as "no"
    assert cfg.quantization.mode == "int4" and cfg.quantization.quant_type == "nf4"


def test_cross_field_rules(tmp_path):
    base = {"project_name": "x", "model": {"base": "m"}, "dataset": {"source": "d.jsonl"}, "training": {"max_steps": 1}}
    with pytest.raises(ConfigError) as info:
        validate({**base, "hub": {"push": True}}, TrainConfig)
    assert "hub.push is true but hub.repo_id is not set" in "\n".join(info.value.problems)
    with pytest.raises(ConfigError) as info:
        validate({**base, "quantization": "int8", "lora": {"enabled": False}}, TrainConfig)
    assert "enable lora with quantization" in "\n".join(info.value.problems)
    with pytest.raises(ConfigError) as info:
        validate({**base, "training": {"max_steps": 1, "eval": {"strategy": "steps"}}}, TrainConfig)
    assert "needs eval data" in "\n".join(info.value.problems)
    with pytest.raises(ConfigError):
        validate({**base, "hub": {"repo_id": "not a repo"}}, TrainConfig)


def test_every_field_is_documented():
    from pydantic import BaseModel

    def walk(model: type[BaseModel], prefix: str):
        for name, field in model.model_fields.items():
            assert field.description, f"{prefix}{name} has no description"
            ann = field.annotation
            for arg in (*getattr(ann, "__args__", ()), ann):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    walk(arg, f"{prefix}{name}.")

    walk(TrainConfig, "")


@pytest.mark.parametrize("module", ["aegis_cli.config.train", "aegis_cli.report", "aegis_cli.report.history",
                                    "aegis_cli.report.summary", "aegis_cli.report.markdown", "aegis_cli.report.writer",
                                    "aegis_cli.cli.train", "aegis_cli.train.console", "aegis_cli.train.comet"])
def test_light_modules_import_no_torch_transformers_or_matplotlib(module):
    code = (f"import importlib, sys; importlib.import_module({module!r}); "
            "print(','.join(m for m in ('torch', 'transformers', 'matplotlib', 'textual', 'comet_ml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} imported {out.stdout.strip()}"


def test_docs_describe_every_config_key():
    from pydantic import BaseModel

    docs = (ROOT / "docs" / "training.md").read_text()
    missing = []

    def walk(model: type[BaseModel], prefix: str):
        for name, field in model.model_fields.items():
            if f"`{prefix}{name}`" not in docs:
                missing.append(prefix + name)
            ann = field.annotation
            for arg in (*getattr(ann, "__args__", ()), ann):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    walk(arg, f"{prefix}{name}.")

    walk(TrainConfig, "")
    assert not missing, f"docs/training.md does not describe {missing}"
