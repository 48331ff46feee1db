"""Fuzzing the config loader: nothing but ConfigError escapes, whatever the YAML."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from aegis_cli.config.loader import load_config
from aegis_cli.errors import ConfigError


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rate: float = 0.1
    steps: int = 1
    names: list[str] = []


class Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project_name: str = "p"
    section: Section = Section()


yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20))
yaml_values = st.recursive(yaml_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))))
def test_arbitrary_text_is_valid_or_a_config_error(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        try:
            cfg = load_config(path, Cfg)
        except ConfigError as err:
            assert err.message and all(isinstance(p, str) for p in err.problems)
        else:
            assert isinstance(cfg, Cfg)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["project_name", "section", "other", "rate"]), yaml_values, max_size=4),
       st.lists(st.from_regex(r"[a-z_.]{0,12}=[^\n]{0,10}", fullmatch=True), max_size=3))
def test_arbitrary_structures_and_overrides(data, overrides):
    import yaml

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        try:
            load_config(path, Cfg, overrides)
        except ConfigError as err:
            for problem in err.problems:  # every problem says where it is
                assert problem.startswith((str(path), "--set"))
