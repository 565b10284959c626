"""Every target folder `paif plan` writes applies cleanly to a real Kubernetes API server.

What a person does with `kubectl --context <target> apply -f out/<stack>/manifests/<target>/`,
file by file in the order kubectl reads them (sorted): each object first with server-side dry
run (``dryRun=All``: validation, defaulting and admission, nothing stored), as
`kubectl apply --dry-run=server` sends it, and then for real, so the objects after it find it
(the namespace of a VKS cluster's folder is its first file). One fresh API server per folder,
with the CRDs the engine tier installs; a Supervisor's folder gets the namespaces vSphere makes
before (the Supervisor namespaces are vSphere objects, not in any folder). The Secrets, kept
apart in ``secrets/`` with placeholder values, are not applied. The plans are the session's
(``example_out`` of tests/conftest.py).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.engine.cluster import _INSECURE, TOKEN, ApiServer, Etcd

STACKS = ("prod", "dr")
TARGETS = ("supervisor", "marketing-apps")


class Api:
    """Server-side apply against one API server, the way kubectl addresses objects."""

    def __init__(self, server: ApiServer) -> None:
        self.server = server
        self._resources: dict[tuple[str, str], tuple[str, bool]] = {}

    def _call(self, method: str, path: str, body: bytes | None, content_type: str) -> Any:
        request = urllib.request.Request(f"{self.server.url}{path}", data=body, method=method)
        request.add_header("Authorization", f"Bearer {TOKEN}")
        request.add_header("Content-Type", content_type)
        request.add_header("Accept", "application/json")
        with urllib.request.urlopen(request, context=_INSECURE, timeout=60) as response:
            return json.loads(response.read() or b"null")

    def resource(self, api_version: str, kind: str) -> tuple[str, str, bool]:
        """(collection path prefix, plural, namespaced) from the server's discovery."""
        base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        if (api_version, kind) not in self._resources:
            for entry in self._call("GET", base, None, "application/json")["resources"]:
                if "/" not in entry["name"]:
                    self._resources[(api_version, entry["kind"])] = (
                        entry["name"],
                        entry["namespaced"],
                    )
        plural, namespaced = self._resources[(api_version, kind)]
        return base, plural, namespaced

    def apply(self, document: dict[str, Any], *, dry_run: bool) -> None:
        base, plural, namespaced = self.resource(document["apiVersion"], document["kind"])
        metadata = document["metadata"]
        where = f"/namespaces/{metadata.get('namespace', 'default')}" if namespaced else ""
        query = {"fieldManager": "kubectl", "force": "true"}
        if dry_run:
            query["dryRun"] = "All"
        path = f"{base}{where}/{plural}/{metadata['name']}?{urllib.parse.urlencode(query)}"
        body = json.dumps(document).encode()
        self._call("PATCH", path, body, "application/apply-patch+yaml")


def _namespaces_made_before(documents: list[dict[str, Any]]) -> list[str]:
    """Namespaces the folder's objects live in that no file of it declares."""
    declared = {d["metadata"]["name"] for d in documents if d["kind"] == "Namespace"}
    used = {d["metadata"]["namespace"] for d in documents if d["metadata"].get("namespace")}
    return sorted(used - declared)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("stack", STACKS)
def test_every_target_folder_applies_cleanly(
    example_out: Path,
    etcd: Etcd,
    tmp_path_factory: pytest.TempPathFactory,
    stack: str,
    target: str,
) -> None:
    folder = example_out / stack / "manifests" / target
    files = sorted(folder.glob("*.yaml"))  # kubectl reads a folder's files in this order
    documents = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in files]
    assert documents, folder
    assert "Secret" not in {d["kind"] for d in documents}
    made_before = _namespaces_made_before(documents)
    if target == "supervisor":
        # The tenants' Supervisor namespaces (vSphere Namespaces) and the platform's own.
        assert {"marketing-ns", "hr-ns", "dev-ns"} <= set(made_before)
    else:
        # A VKS cluster's folder brings its namespace, and it comes first.
        assert made_before == []
        assert documents[0]["kind"] == "Namespace"

    server = ApiServer(f"apply-{stack}-{target}", tmp_path_factory.mktemp("apply-api"), etcd)
    server.start()
    try:
        server.install_crds()
        for namespace in made_before:
            server.create("/api/v1/namespaces", {"metadata": {"name": namespace}})
        api = Api(server)
        refused = []
        for path, document in zip(files, documents, strict=True):
            for dry_run in (True, False):
                try:
                    api.apply(document, dry_run=dry_run)
                except urllib.error.HTTPError as exc:
                    answer = exc.read().decode(errors="replace")
                    message = json.loads(answer).get("message", answer) if answer else exc.reason
                    refused.append(f"{path.name} ({'dry run' if dry_run else 'apply'}): {message}")
                    break
        assert refused == []
        # Everything is there, as written.
        for document in documents:
            base, plural, namespaced = api.resource(document["apiVersion"], document["kind"])
            meta = document["metadata"]
            where = f"/namespaces/{meta['namespace']}" if namespaced else ""
            stored = server.get(f"{base}{where}/{plural}/{meta['name']}")
            assert stored is not None, (document["kind"], meta["name"])
            assert stored["metadata"]["annotations"]["paif.vmware.com/target"] == target
    finally:
        server.stop()
