"""Small readers of props as the analyzer hands them: values unknown during preview, hosts of
URLs, annotations, flags and string lists."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from paif_policies.view import get_path

__all__ = ["annotations_of", "as_strings", "host_of", "is_true", "known", "str_list"]


def known(read: Callable[..., Any], default: Any) -> Any:
    """``read()``, or ``default`` when it touches a value unknown during preview (props are the
    analyzer's proxies: what a read gives is as untyped as the props)."""
    try:
        return read()
    except UnknownValueError:
        return default


def host_of(url: Any) -> str | None:
    """``harbor.example.com`` for ``https://harbor.example.com/x`` or a bare host."""
    if not isinstance(url, str) or not url.strip():
        return None
    text = url.strip().lower()
    text = text.split("://", 1)[-1]
    return text.split("/", 1)[0] or None


def annotations_of(resource: Any) -> Mapping[str, Any]:
    """``metadata.annotations`` of a Kubernetes object: where components state DR intent."""
    return get_path(resource.props, "metadata.annotations") or {}


def is_true(value: Any) -> bool:
    """Flags arrive as bools or as the strings Avi and annotations use."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() == "true"


def str_list(value: Any) -> list[str]:
    if value is None or isinstance(value, str):
        return []
    return [str(item) for item in value if isinstance(item, str)]


def as_strings(value: Any) -> list[str]:
    """Every item of a list prop that is not null, as a string (``[]`` for a missing prop)."""
    return [str(v) for v in value or [] if v is not None]
