"""Hardened pods (§9.6.3 least privilege): how every pod the library renders runs.

One place decides it, so apps now and any pod-rendering component later get the same:

- the Pod Security Standard ``restricted`` (non-root, no privilege escalation, every
  capability dropped, seccomp ``RuntimeDefault``), enforced by the namespace too;
- a UID and GID of at least 10000 (``paif_components.constants.MIN_NON_ROOT_ID``, default 10001),
  so a container escape lands on no user the node knows;
- a read-only root filesystem, with an ``emptyDir`` at ``/tmp`` and at each writable path the
  workload names, so whatever it writes goes away with the pod;
- no service-account token unless the workload asks for API access (then the workload says so
  with the ``paif.vmware.com/api-access`` annotation, which PAIF-SEC-010 reads).

PAIF-SEC-010 (``policies/rules/workloads.py``) holds every rendered pod spec to this list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from paif_components.config.models import TMP_PATH

POD_SECURITY_LEVEL: Final = "restricted"
# Namespace labels of the Pod Security admission: refuse, audit and warn at ``restricted``.
POD_SECURITY_MODES: Final = ("enforce", "audit", "warn")
API_ACCESS_ANNOTATION: Final = "paif.vmware.com/api-access"
SECCOMP_RUNTIME_DEFAULT: Final[dict[str, str]] = {"type": "RuntimeDefault"}
TMP_VOLUME: Final = "tmp"


def pod_security_labels() -> dict[str, str]:
    """Labels making a namespace enforce (and audit and warn) Pod Security ``restricted``."""
    return {f"pod-security.kubernetes.io/{mode}": POD_SECURITY_LEVEL for mode in POD_SECURITY_MODES}


@dataclass(frozen=True)
class PodHardening:
    """Who a workload's containers run as and what they may write or reach."""

    run_as_user: int
    run_as_group: int
    writable_paths: tuple[str, ...] = ()
    api_access: bool = False

    def pod_security_context(self) -> dict[str, Any]:
        return {
            "runAsNonRoot": True,
            "runAsUser": self.run_as_user,
            "runAsGroup": self.run_as_group,
            "fsGroup": self.run_as_group,
            "seccompProfile": dict(SECCOMP_RUNTIME_DEFAULT),
        }

    def container_security_context(self) -> dict[str, Any]:
        return {
            "runAsNonRoot": True,
            "runAsUser": self.run_as_user,
            "runAsGroup": self.run_as_group,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": dict(SECCOMP_RUNTIME_DEFAULT),
        }

    def writable_mounts(self) -> list[tuple[str, str]]:
        """(volume name, mount path) of each ``emptyDir``: ``/tmp`` first, then the app's."""
        mounts = [(TMP_VOLUME, TMP_PATH)]
        used = {TMP_VOLUME}
        for path in self.writable_paths:
            slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")[:50].strip("-") or "root"
            name, counter = f"writable-{slug}", 2
            while name in used:
                name, counter = f"writable-{slug}-{counter}", counter + 1
            used.add(name)
            mounts.append((name, path))
        return mounts

    def annotations(self) -> dict[str, str]:
        """Workload annotations: the recorded request for API access, when there is one."""
        if not self.api_access:
            return {}
        return {
            API_ACCESS_ANNOTATION: "true",
            # The scanner's matching check, skipped for the same recorded reason.
            "checkov.io/skip1": "CKV_K8S_38=the app asks for Kubernetes API access (apiAccess)",
        }

    def harden(self, pod_spec: Mapping[str, Any]) -> dict[str, Any]:
        """``pod_spec`` with the security contexts, token setting and writable volumes."""
        mounts = self.writable_mounts()
        spec = dict(pod_spec)
        spec["automountServiceAccountToken"] = self.api_access
        spec["securityContext"] = self.pod_security_context()
        spec["containers"] = [self._container(c, mounts) for c in pod_spec.get("containers", [])]
        if pod_spec.get("initContainers"):
            spec["initContainers"] = [
                self._container(c, mounts) for c in pod_spec["initContainers"]
            ]
        spec["volumes"] = [
            *pod_spec.get("volumes", []),
            *({"name": name, "emptyDir": {}} for name, _ in mounts),
        ]
        return spec

    def _container(
        self, container: Mapping[str, Any], mounts: Sequence[tuple[str, str]]
    ) -> dict[str, Any]:
        out = dict(container)
        out["securityContext"] = self.container_security_context()
        out["volumeMounts"] = [
            *container.get("volumeMounts", []),
            *({"name": name, "mountPath": path} for name, path in mounts),
        ]
        return out
