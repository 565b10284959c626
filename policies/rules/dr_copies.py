"""Disaster recovery of the databases' copies (§9.3.2 items 2 and 4): their backup target.

A DR copy (paif_components.dr.copies) backs up to its own stack's DSM backup location
(``paif:dr.copyBackupLocation``) under its own cluster name (``<database>-<dr-site>``). Read
from the copy's ``PostgresCluster``: ``spec.backupLocation.name``, ``metadata.name`` and the
annotations ``paif.vmware.com/primary-cluster`` and ``paif.vmware.com/primary-backup-location``
that the component writes (docs/architecture.md lists them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from paif_components.contract.annotations import (
    PRIMARY_BACKUP_LOCATION_ANNOTATION as PRIMARY_LOCATION_ANNOTATION,
)
from paif_components.contract.annotations import PRIMARY_CLUSTER_ANNOTATION
from paif_policies.readers import annotations_of
from paif_policies.registry import Violation, rule
from paif_policies.rules.dr import postgres_clusters
from paif_policies.view import StackView, get_path, label


@rule(
    "PAIF-DR-012",
    title="A DR copy backs up to its own location under its own name",
    severity="high",
    section="§9.3.2 item 2",
    rationale="A copy that backs up under the primary's name, or into the primary's backup "
    "location, mixes two clusters' backups: a restore at the DR site can read the other "
    "cluster's backups, and its own backups can overwrite or expire the primary's. A copy "
    "without backups leaves the site that takes over with none.",
    remediation="Declare paif:dr.copyBackupLocation in the DR stack (one of its "
    "paif:dr.backupLocations, never the primary's location); the copy keeps its own "
    "<database>-<dr-site> name.",
)
def check_copy_backup_target(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    if view.dr_role != "dr":
        return
    for cluster in postgres_clusters(view):
        notes = annotations_of(cluster)
        primary_cluster = notes.get(PRIMARY_CLUSTER_ANNOTATION)
        if not primary_cluster:
            continue  # not a DR copy
        name = get_path(cluster.props, "metadata.name")
        location = get_path(cluster.props, "spec.backupLocation.name")
        primary_location = notes.get(PRIMARY_LOCATION_ANNOTATION)
        what = label(cluster)
        if name == primary_cluster:
            yield Violation(
                f"{what} is a DR copy under the primary's name {primary_cluster!r}: its backups "
                "are indistinguishable from the primary's",
                cluster.urn,
            )
        if not location:
            yield Violation(
                f"{what} is a DR copy with no backup location: once it takes over, the site "
                "has no backup of it (set paif:dr.copyBackupLocation)",
                cluster.urn,
            )
        elif primary_location and location == primary_location:
            yield Violation(
                f"{what} backs up to {location!r}, the primary's backup location: a restore at "
                "the DR site could read or overwrite the primary's backups (set "
                "paif:dr.copyBackupLocation to a location of its own)",
                cluster.urn,
            )
