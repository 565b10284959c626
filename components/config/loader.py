"""Read ``paif:`` stack config from a stack file or from the Pulumi runtime, and validate it.

The offline plan and ``pulumi up`` go through :func:`parse_stack_config`, so a stack that
plans is a stack the real program accepts, and both print the same messages.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import BaseModel, ValidationError

from paif_components.config.errors import ConfigError, FieldError, MissingStackFile, Problem
from paif_components.config.models import StackConfig

NAMESPACE = "paif"
# Config keys whose values must be Pulumi secrets wherever they appear (PAIF-SEC-004).
SECRET_KEY_PATTERN = re.compile(
    r"(password|passwd|token|secret|api[-_]?key|private[-_]?key|kubeconfig)", re.I
)
OFFLINE_SECRET_PREFIX = "offline-secret:"


@dataclass(frozen=True)
class StackFile:
    """A parsed ``Pulumi.<stack>.yaml``: all config keys, which are secret, and the file name."""

    stack: str
    path: Path
    values: dict[str, Any]
    secret_keys: frozenset[str] = field(default_factory=frozenset)

    @property
    def file_name(self) -> str:
        return self.path.name


def stack_file_path(project_dir: Path, stack: str) -> Path:
    return Path(project_dir) / f"Pulumi.{stack}.yaml"


def read_stack_file(project_dir: Path, stack: str) -> StackFile:
    """Load a stack file; encrypted values become offline placeholders marked secret."""
    path = stack_file_path(project_dir, stack)
    name = path.name
    if not path.is_file():
        available = sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in path.parent.glob("Pulumi.*.yaml")
        )
        raise MissingStackFile(name, str(path.parent), available)
    try:
        document = load_stack_yaml(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(name, [Problem("", f"not valid YAML at {where}: {problem}")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            name, [Problem("", f"not UTF-8 text (byte {exc.start}): {exc.reason}")]
        ) from None
    except RecursionError:
        raise ConfigError(name, [Problem("", "nested too deeply to read")]) from None
    if not isinstance(document, dict):
        raise ConfigError(name, [Problem("", "the file must be a mapping with a 'config' key")])
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(name, [Problem("config", "must be a mapping of 'namespace:key' entries")])
    values: dict[str, Any] = {}
    secrets: set[str] = set()
    problems: list[Problem] = []
    for key, value in config.items():
        key = str(key)
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[key] = OFFLINE_SECRET_PREFIX + key
            secrets.add(key)
        else:
            problems.extend(_unsupported_values(value, key, ()))
            values[key] = value
    if problems:
        raise ConfigError(name, problems)
    return StackFile(stack, path, values, frozenset(secrets))


class StackFileLoader(yaml.SafeLoader):
    """YAML as the Pulumi CLI (Go yaml.v3) reads a stack file.

    Timestamps stay strings: yaml.v3 decodes an unquoted ``2027-06-30`` into ``interface{}``
    as a string, where PyYAML would build a ``date`` (or fail on ``2027-13-45``). A key given
    twice in one mapping is an error, as in yaml.v3, instead of the last one silently winning.
    Every complaint carries the line and column.
    """

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return yaml.constructor.SafeConstructor.construct_object(self, node, deep)
        except (ValueError, KeyError, TypeError) as exc:
            # e.g. `!!int x`: PyYAML's constructors raise plain Python errors without a mark.
            kind = getattr(node, "id", "node")  # ScalarNode.id is "scalar", and so on
            what = repr(node.value)[:60] if isinstance(node, yaml.ScalarNode) else f"a {kind}"
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {what} as {node.tag}: {exc}", node.start_mark
            ) from None

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                    continue
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key_node.value!r} is given twice", key_node.start_mark
                    )
                seen.add(key)
        return yaml.constructor.SafeConstructor.construct_mapping(
            self, cast(yaml.MappingNode, node), deep
        )


# A timestamp is the string the file holds (as the Pulumi CLI reads it).
StackFileLoader.add_constructor(  # type: ignore[type-var]  # types-PyYAML types loaders only
    "tag:yaml.org,2002:timestamp", StackFileLoader.construct_yaml_str
)


class _CStackFileLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """``StackFileLoader``'s rules over libyaml's parser: the same values, several times faster
    on a large stack file (the constructors are the same Python code)."""

    construct_object = StackFileLoader.construct_object
    construct_mapping = StackFileLoader.construct_mapping


_CStackFileLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _CStackFileLoader.construct_yaml_str
)


def load_stack_yaml(text: str) -> Any:
    """A stack file's document; an invalid one raises ``StackFileLoader``'s own error."""
    if getattr(yaml, "__with_libyaml__", False):
        try:
            return yaml.load(text, Loader=_CStackFileLoader)
        except yaml.YAMLError:
            pass  # the Python parser's message and position, below
    return yaml.load(text, Loader=StackFileLoader)


# What Pulumi config can carry: JSON values.
_JSON_SCALARS = (str, int, float, bool, type(None))
_YAML_TAGS: dict[type, str] = {bytes: "!!binary", set: "!!set"}


def _unsupported_values(value: Any, path: str, ancestors: tuple[int, ...]) -> list[Problem]:
    """Values the Pulumi config cannot hold (binary, sets, self-referencing aliases)."""
    if isinstance(value, _JSON_SCALARS):
        return []
    if id(value) in ancestors:
        return [Problem(path, "refers to itself (a YAML alias inside its own anchor)")]
    if isinstance(value, dict):
        out = []
        for key, child in value.items():
            out.extend(_unsupported_values(child, f"{path}.{key}", (*ancestors, id(value))))
        return out
    if isinstance(value, list | tuple):
        out = []
        for index, child in enumerate(value):
            out.extend(_unsupported_values(child, f"{path}[{index}]", (*ancestors, id(value))))
        return out
    tag = _YAML_TAGS.get(type(value), type(value).__name__)
    return [
        Problem(
            path,
            f"a YAML {tag} value cannot be stack config: use a string, number, boolean, "
            "list or mapping",
        )
    ]


def runtime_config_values() -> tuple[dict[str, Any], frozenset[str]]:
    """All config the Pulumi runtime handed the program, decoded, and the secret keys."""
    from pulumi.runtime import config as runtime_config

    raw: dict[str, Any] = {}
    raw.update(runtime_config.get_config_env())
    raw.update(runtime_config.CONFIG.get())
    values = {key: _decode(value) for key, value in raw.items()}
    secrets = set(runtime_config.get_config_secret_keys_env()) | {
        key for key in raw if runtime_config.is_config_secret(key)
    }
    return values, frozenset(secrets)


def _decode(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if (
        text[:1] in "{["
        or text in ("true", "false", "null")
        or re.fullmatch(r"-?\d+(\.\d+)?", text)
    ):
        try:
            return json.loads(text)
        except ValueError:
            return value
    return value


def plaintext_secret_keys(values: Mapping[str, Any], secret_keys: frozenset[str]) -> list[str]:
    """Config keys (any namespace) that look like credentials but are not Pulumi secrets."""
    found = []
    for key in sorted(values):
        leaf = key.split(":", 1)[-1]
        if SECRET_KEY_PATTERN.search(leaf) and key not in secret_keys:
            found.append(key)
    return found


def parse_stack_config(values: Mapping[str, Any], stack_file: str) -> StackConfig:
    """Validate the ``paif:`` keys of a stack; raise :class:`ConfigError` listing every problem."""
    tree: dict[str, Any] = {}
    problems: list[Problem] = []
    known = {f.alias or name for name, f in StackConfig.model_fields.items()}
    for key, value in values.items():
        namespace, _, name = key.partition(":")
        if namespace != NAMESPACE:
            continue
        if name not in known:
            problems.append(
                Problem(key, f"unknown key{_did_you_mean(name, known, NAMESPACE + ':')}")
            )
            continue
        tree[name] = value
    try:
        config = StackConfig.model_validate(tree)
    except ValidationError as exc:
        problems.extend(_problems(exc))
        config = None
    if problems:
        raise ConfigError(stack_file, _dedupe(problems))
    assert config is not None
    return config


def _problems(exc: ValidationError) -> list[Problem]:
    out = []
    for error in exc.errors(include_url=False):
        loc = list(error["loc"])
        kind = error["type"]
        message = error["msg"]
        original = (error.get("ctx") or {}).get("error")
        if isinstance(original, FieldError):
            path = _render_path(loc)
            path = f"{path}.{original.subpath}" if loc else original.subpath
            out.append(Problem(f"{NAMESPACE}:{path}", original.message))
            continue
        if kind == "extra_forbidden":
            parent_model = _model_at(StackConfig, loc[:-1])
            known = (
                {f.alias or n for n, f in parent_model.model_fields.items()}
                if parent_model
                else set()
            )
            message = f"unknown key{_did_you_mean(str(loc[-1]), known)}"
        elif kind == "missing":
            message = "required key is missing"
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        elif kind == "literal_error":
            message = f"{message} (got {error.get('input')!r})"
        out.append(Problem(f"{NAMESPACE}:{_render_path(loc)}", message))
    return out


def _render_path(loc: list[Any]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _model_at(model: type[BaseModel], loc: list[Any]) -> type[BaseModel] | None:
    """Walk the model tree along a validation location written in aliases."""
    import typing

    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        by_alias = {(f.alias or n): f for n, f in current.model_fields.items()}
        info = by_alias.get(str(part))
        if info is None:
            return None
        current = _unwrap(info.annotation, typing)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any, typing: Any) -> Any:
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        for inner in typing.get_args(arg):
            found = _unwrap(inner, typing)
            if isinstance(found, type) and issubclass(found, BaseModel):
                return found
    return annotation


def _did_you_mean(name: str, known: set[str], prefix: str = "") -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    if close:
        return f" (did you mean {prefix}{close[0]}?)"
    return f"; known keys: {', '.join(sorted(known))}" if known else ""


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: dict[tuple[str, str], Problem] = {}
    for problem in problems:
        seen.setdefault((problem.path, problem.message), problem)
    return list(seen.values())
