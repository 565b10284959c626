"""Hold rendered Kubernetes objects against schemas nobody on this project wrote.

- Custom resources: the public CRDs copied into ``schemas/crds/``, and the DSM kinds this
  project wrote from DSM's published API into ``schemas/dsm/`` (see SOURCES.md). The
  CRD is picked by the object's API group and kind; the object's whole body (apiVersion, kind,
  metadata, spec) is validated against ``spec.versions[name == <version>].schema.openAPIV3Schema``
  of the version the object names, which must be served.
- Core kinds: ``kubernetes-validate`` (upstream OpenAPI schemas per Kubernetes minor).

Both are strict by default: a field the schema does not declare is an error, as it is for
``kubectl apply`` (server-side strict field validation since Kubernetes 1.27), so a misspelt
field fails here instead of being silently pruned by the API server.

Every failure is an ``AssertionError`` whose message names the object and each offending path.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
CRD_DIR = SCHEMAS / "crds"
# DSM and PAIS publish API references but no CRD files: schemas written from them (SOURCES.md).
DSM_DIR = SCHEMAS / "dsm"
PAIS_DIR = SCHEMAS / "pais"


def crd_files() -> list[Path]:
    """Every CRD the tests hold objects to: upstream copies, then the DSM and PAIS kinds."""
    return (
        sorted(CRD_DIR.glob("*.yaml"))
        + sorted(DSM_DIR.glob("*.yaml"))
        + sorted(PAIS_DIR.glob("*.yaml"))
    )


# The Kubernetes minor the core kinds are checked against: VKS KubernetesRelease v1.33 is the
# config default (paif_components.config.models.VksCluster.kubernetes_release).
DEFAULT_KUBERNETES_VERSION = "1.33"

_PRESERVE = "x-kubernetes-preserve-unknown-fields"


class _CrdLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML (libyaml when present: the prometheus-operator CRDs are megabytes)."""


# YAML 1.1 resolves a bare ``=`` (an enum value in the prometheus-operator CRDs) to the
# ``!!value`` tag, which no safe loader constructs: it is the string "=".
_CrdLoader.add_constructor("tag:yaml.org,2002:value", _CrdLoader.construct_yaml_str)


def _describe(obj: Mapping[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    name = metadata.get("name", "<unnamed>") if isinstance(metadata, Mapping) else "<unnamed>"
    namespace = metadata.get("namespace") if isinstance(metadata, Mapping) else None
    where = f"{namespace}/{name}" if namespace else str(name)
    return f"{obj.get('kind', '<no kind>')} {where} ({obj.get('apiVersion', '<no apiVersion>')})"


def _path(error: jsonschema.ValidationError) -> str:
    parts: list[str] = []
    for part in error.absolute_path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(f".{part}" if parts else str(part))
    return "".join(parts) or "<root>"


def _fail(
    obj: Mapping[str, Any], errors: Iterable[jsonschema.ValidationError], source: str
) -> None:
    ordered = sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])
    lines = [f"  {_path(e)}: {e.message}" for e in ordered]
    if lines:
        head = f"{_describe(obj)} does not validate against {source}:"
        raise AssertionError("\n".join([head, *lines]))


def _closed(schema: Any) -> Any:
    """Copy of an OpenAPI schema in which objects with declared properties reject others."""
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _closed(value) for key, value in schema.items()}
    if "properties" in out and "additionalProperties" not in out and not out.get(_PRESERVE):
        out["additionalProperties"] = False
    return out


def load_crd(path: Path) -> dict[str, Any]:
    """One CRD file of ``schemas/crds`` as data."""
    return yaml.load(path.read_text(), Loader=_CrdLoader)


@functools.cache
def _crds() -> dict[tuple[str, str], dict[str, Any]]:
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for path in crd_files():
        crd = load_crd(path)
        spec = crd["spec"]
        table[(spec["group"], spec["names"]["kind"])] = {"file": path.name, "spec": spec}
    return table


@functools.cache
def _crd_schema(group: str, kind: str, version: str, strict: bool) -> tuple[str, dict[str, Any]]:
    entry = _crds().get((group, kind))
    if entry is None:
        known = ", ".join(f"{k}.{g}" for g, k in sorted(_crds()))
        raise AssertionError(
            f"no CRD for kind {kind!r} in group {group!r} under {SCHEMAS} (known: {known})"
        )
    versions = {v["name"]: v for v in entry["spec"]["versions"]}
    chosen = versions.get(version)
    if chosen is None or not chosen.get("served", False):
        served = ", ".join(n for n, v in versions.items() if v.get("served"))
        raise AssertionError(f"{entry['file']} does not serve {group}/{version} (served: {served})")
    schema = copy.deepcopy(chosen["schema"]["openAPIV3Schema"])
    return entry["file"], _closed(schema) if strict else schema


def validate_crd_object(obj: Mapping[str, Any], *, strict: bool = True) -> None:
    """Validate a custom resource against the public CRD of its group, kind and version."""
    api_version = obj.get("apiVersion")
    kind = obj.get("kind")
    if not isinstance(api_version, str) or "/" not in api_version or not isinstance(kind, str):
        raise AssertionError(f"{_describe(obj)}: needs apiVersion 'group/version' and kind")
    group, version = api_version.split("/", 1)
    source, schema = _crd_schema(group, kind, version, strict)
    validator = jsonschema.Draft7Validator(schema)
    _fail(obj, validator.iter_errors(dict(obj)), f"{source} {version}")


def validate_core_object(
    obj: Mapping[str, Any],
    *,
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
    strict: bool = True,
) -> None:
    """Validate a core object (Deployment, ResourceQuota, …) with kubernetes-validate."""
    try:
        kubernetes_validate.validate(dict(obj), kubernetes_version, strict=strict)
    except kubernetes_validate.ValidationError as error:
        _fail(obj, [error], f"kubernetes-validate {error.version} schemas")
    except kubernetes_validate.SchemaNotFoundError as error:
        raise AssertionError(f"{_describe(obj)}: {error.message}") from None


def manifest(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The Kubernetes object a recorded resource declares (its inputs, without Pulumi's keys)."""
    return {k: v for k, v in inputs.items() if not k.startswith("__")}
