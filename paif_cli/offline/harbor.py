"""Offline answers for the harbor provider (see paif_cli.offline).

Harbor assigns ids and the robot account's secret on create; the offline plan needs stable
stand-ins so that the same program gives byte-identical plans and so that tests can prove the
secret never leaks into recorded inputs or plain outputs. Numbers are derived from the
resource name (a stable hash), never from a counter, so adding one project does not renumber
the others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from paif_components.contract import tokens

# Every offline robot secret starts with this, so a test can search a whole plan for it.
OFFLINE_ROBOT_SECRET_PREFIX = "offline-robot-secret-"
# Harbor's default robot name prefix (harbor.yml `robot_name_prefix`, default "robot$").
ROBOT_NAME_PREFIX = "robot$"


def stable_int(text: str, modulo: int = 100_000) -> int:
    """A positive id that depends only on ``text``."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) % modulo + 1


def offline_robot_secret(name: str) -> str:
    """The stand-in secret Harbor would generate for the robot registered as ``name``."""
    return OFFLINE_ROBOT_SECRET_PREFIX + hashlib.sha256(f"robot:{name}".encode()).hexdigest()[:24]


def project_id(name: str) -> int:
    return stable_int(f"project:{name}")


def _project(args: Any) -> dict[str, Any]:
    return {"projectId": project_id(args.inputs.get("name", args.name))}


def _get_project(args: Any) -> dict[str, Any]:
    """A project looked up by name: every project exists offline."""
    name = args.args.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"invoke {args.token!r} needs 'name'; got {name!r}")
    number = project_id(name)
    return {
        "id": f"/projects/{number}",
        "name": name,
        "projectId": number,
        "public": False,
        "vulnerabilityScanning": True,
        "type": "Project",
    }


def _robot(args: Any) -> dict[str, Any]:
    inputs = args.inputs
    name = inputs.get("name", args.name)
    permissions = inputs.get("permissions") or []
    namespace = permissions[0].get("namespace", "") if permissions else ""
    # Harbor names project robots robot$<project>+<name>, system robots robot$<name>.
    if inputs.get("level") == "project" and namespace:
        full_name = f"{ROBOT_NAME_PREFIX}{namespace}+{name}"
    else:
        full_name = f"{ROBOT_NAME_PREFIX}{name}"
    return {
        "fullName": full_name,
        "robotId": str(stable_int(f"robot:{full_name}")),
        # A secret given as input wins, as in Harbor.
        "secret": inputs.get("secret") or offline_robot_secret(full_name),
    }


def _member_group(args: Any) -> dict[str, Any]:
    key = f"{args.inputs.get('projectId', '')}:{args.inputs.get('groupName', args.name)}"
    return {"memberId": str(stable_int(f"member:{key}"))}


def _registry(args: Any) -> dict[str, Any]:
    return {
        "registryId": stable_int(f"registry:{args.inputs.get('name', args.name)}"),
        "status": "healthy",
    }


def _replication(args: Any) -> dict[str, Any]:
    return {"replicationPolicyId": stable_int(f"replication:{args.inputs.get('name', args.name)}")}


COMPUTED: dict[str, Callable[[Any], dict[str, Any]]] = {
    tokens.HARBOR_PROJECT: _project,
    tokens.HARBOR_ROBOT_ACCOUNT: _robot,
    tokens.HARBOR_PROJECT_MEMBER_GROUP: _member_group,
    tokens.HARBOR_REGISTRY: _registry,
    tokens.HARBOR_REPLICATION: _replication,
}
INVOKES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "harbor:index/getProject:getProject": _get_project,
}
