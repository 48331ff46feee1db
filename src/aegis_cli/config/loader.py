"""YAML → pydantic with every problem reported at once, each with its file and line.

``load_config(path, Model, overrides)`` reads YAML (safe loader), applies
``--set a.b=value`` overrides (values parsed as YAML scalars), validates with a
pydantic model whose sections use ``extra="forbid"``, and raises one
:class:`ConfigError` listing every problem as ``file:line: dotted.key: message``,
unknown keys by name with a did-you-mean.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from aegis_cli.errors import ConfigError

M = TypeVar("M", bound=BaseModel)
Key = tuple[Any, ...]


def _yaml():
    import yaml

    return yaml


def _line_map(text: str) -> dict[Key, int]:
    """Map key paths to 1-based line numbers (keys of mappings, items of sequences)."""
    yaml = _yaml()
    lines: dict[Key, int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines

    def walk(node: Any, path: Key) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                lines[(*path, key)] = key_node.start_mark.line + 1
                walk(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[(*path, i)] = item.start_mark.line + 1
                walk(item, (*path, i))

    if root is not None:
        walk(root, ())
    return lines


def read_yaml(path: str | Path) -> tuple[dict[str, Any], dict[Key, int]]:
    """The mapping in a YAML file and its key-path → line map. Raises ConfigError."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {p} not found", "check the path given to --config") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {p}: {exc}", "the config must be a UTF-8 YAML file") from None
    yaml = _yaml()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{p}:{mark.line + 1}" if mark is not None else str(p)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: invalid YAML: {problem}", "fix the YAML syntax at that line") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: the top level must be a mapping of sections", "see configs/ for examples")
    return data, _line_map(text)


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> list[Key]:
    """Apply ``a.b.c=value`` overrides in place; returns the key paths set."""
    yaml = _yaml()
    applied: list[Key] = []
    problems = []
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(f"--set {item!r}: expected KEY=VALUE, e.g. training.learning_rate=2e-4")
            continue
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        parts = key.split(".")
        node = data
        for part in parts[:-1]:
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            if not isinstance(nxt, dict):
                problems.append(f"--set {key}: {part} is not a section")
                break
            node = nxt
        else:
            node[parts[-1]] = value
            applied.append(tuple(parts))
    if problems:
        raise ConfigError("invalid --set override", "use --set section.key=value", problems=problems)
    return applied


def _fields_at(model: type[BaseModel], loc: Key) -> list[str]:
    """Field names of the (sub)model that owns ``loc``, for did-you-mean."""
    current: Any = model
    for part in loc[:-1]:
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        ann = fields[part].annotation
        # unwrap Optional[...] / X | None
        for arg in (*getattr(ann, "__args__", ()), ann):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                current = arg
                break
        else:
            return []
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def format_errors(
    exc: ValidationError, model: type[BaseModel], source: str, lines: dict[Key, int], overridden: list[Key]
) -> list[str]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        dotted = ".".join(str(p) for p in loc) or "(top level)"
        from_override = tuple(str(p) for p in loc) in {tuple(o) for o in overridden}
        if from_override:
            where = f"--set {dotted}"
        else:
            line = None
            for n in range(len(loc), 0, -1):
                line = lines.get(loc[:n])
                if line is not None:
                    break
            where = f"{source}:{line}" if line is not None else source
        if err["type"] == "extra_forbidden":
            name = str(loc[-1])
            close = difflib.get_close_matches(name, _fields_at(model, loc), n=1)
            msg = f"unknown key {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
            problems.append(f"{where}: {msg}" if from_override else f"{where}: {dotted}: {msg}")
        else:
            problems.append(f"{where}: {err['msg']}" if from_override else f"{where}: {dotted}: {err['msg']}")
    return problems


def load_config(path: str | Path, model: type[M], overrides: Sequence[str] = ()) -> M:
    """Read, override and validate a YAML config; every problem in one ConfigError."""
    data, lines = read_yaml(path)
    overridden = apply_overrides(data, overrides)
    return validate(data, model, source=str(path), lines=lines, overridden=overridden)


def validate(
    data: dict[str, Any],
    model: type[M],
    *,
    source: str = "<config>",
    lines: dict[Key, int] | None = None,
    overridden: list[Key] | None = None,
) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = format_errors(exc, model, source, lines or {}, overridden or [])
        noun = "problem" if len(problems) == 1 else "problems"
        raise ConfigError(
            f"{source} has {len(problems)} {noun}",
            "fix the keys listed below (see configs/ for working examples)",
            problems=problems,
        ) from None
