"""OCI image references as Docker splits them (``host/path:tag@digest``), and the model each
endpoint serves: what the DR rules (parity, replication) and the workload rules (pinned images)
both read."""

from __future__ import annotations

from dataclasses import dataclass

from paif_policies.readers import known
from paif_policies.view import Endpoint, StackView, endpoints, get_path

__all__ = ["ImageRef", "ServedModel", "endpoint_model_ref", "parse_image_ref", "served_models"]


@dataclass(frozen=True)
class ImageRef:
    """An OCI reference split as Docker does: ``host/path:tag@digest``."""

    host: str | None
    path: str
    tag: str | None
    digest: str | None

    @property
    def without_host(self) -> str:
        """``project/repo:tag`` or ``project/repo@sha256:...``: what both sites must serve."""
        if self.digest:
            return f"{self.path}@{self.digest}"
        return f"{self.path}:{self.tag}" if self.tag else self.path

    @property
    def project(self) -> str:
        return self.path.split("/", 1)[0]


def parse_image_ref(ref: str) -> ImageRef:
    """Split a reference; the first component is a host when it has a dot, a port or is
    ``localhost`` (the Docker rule)."""
    rest = ref.strip()
    digest = None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
    host = None
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        host, rest = first.lower(), remainder
    tag = None
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        rest, tag = rest[:colon], rest[colon + 1 :]
    return ImageRef(host, rest, tag or None, digest or None)


def endpoint_model_ref(endpoint: Endpoint) -> str | None:
    """The model an endpoint serves: PAIS ``spec.model.ociRef``; NIM image repository:tag."""
    spec = endpoint.spec
    if endpoint.kind == "ModelEndpoint":
        ref = get_path(spec, "model.ociRef")
        return str(ref) if ref else None
    repository = get_path(spec, "image.repository")
    if not repository:
        return None
    tag = get_path(spec, "image.tag")
    return f"{repository}:{tag}" if tag else str(repository)


@dataclass(frozen=True)
class ServedModel:
    endpoint: Endpoint
    ref: ImageRef
    raw: str


def served_models(view: StackView) -> list[ServedModel]:
    """Every model an endpoint of this stack serves (skipping references unknown in preview)."""
    out = []
    for endpoint in endpoints(view):
        raw = known(lambda e=endpoint: endpoint_model_ref(e), None)
        if raw:
            out.append(ServedModel(endpoint, parse_image_ref(raw), raw))
    return out
