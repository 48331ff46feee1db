import pytest
from pydantic import BaseModel, ConfigDict

from aegis_cli.config.loader import load_config
from aegis_cli.errors import ConfigError


class Training(BaseModel):
    model_config = ConfigDict(extra="forbid")
    learning_rate: float = 1e-4
    epochs: int = 1


class Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project_name: str
    training: Training = Training()


def test_every_problem_is_reported_at_once_with_its_line(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("project_name: x\ntraining:\n  learning_rat: 3\n  epochs: many\nextra_section: 1\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, Cfg)
    problems = err.value.problems
    assert len(problems) == 3
    assert f"{path}:3: training.learning_rat: unknown key 'learning_rat' (did you mean 'learning_rate'?)" in problems
    assert any(p.startswith(f"{path}:4: training.epochs:") for p in problems)
    assert f"{path}:5: extra_section: unknown key 'extra_section'" in problems


def test_overrides_apply_and_are_named_in_errors(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("project_name: x\n")
    cfg = load_config(path, Cfg, ["training.learning_rate=2e-4", "training.epochs=3"])
    assert cfg.training.learning_rate == 2e-4 and cfg.training.epochs == 3
    with pytest.raises(ConfigError) as err:
        load_config(path, Cfg, ["training.epochs=lots"])
    assert err.value.problems[0].startswith("--set training.epochs:")
    with pytest.raises(ConfigError):
        load_config(path, Cfg, ["no_equals_sign"])


@pytest.mark.parametrize("text", ["a: [1, 2\n", "- just\n- a list\n", "key: value\n\tbad: tab\n"])
def test_broken_yaml_is_a_config_error_not_a_traceback(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError):
        load_config(path, Cfg)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "nope.yaml", Cfg)
    assert "not found" in err.value.message
