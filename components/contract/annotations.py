"""Labels and annotations that components write on resources and readers look for (and the
one property of the tenant component the policies read).

The keys the policies, the diagram or the plan's writer read back from a resource are spelled
here once; a key only its writer uses stays beside the writer.
"""

from __future__ import annotations

from typing import Final

# -- labels
SITE_LABEL: Final = "paif.vmware.com/site"
TENANT_LABEL: Final = "paif.vmware.com/tenant"
# The tier an object is judged by (paif_components.context.SiteContext.labels): the stack's, or
# its tenant's own (``paif:tenants[].environment``, §9.1.1).
ENVIRONMENT_LABEL: Final = "paif.vmware.com/environment"

# -- a model endpoint (paif_components.model_endpoint): the model's size and precision, which
# the DR rules size the peer's GPUs by.
MODEL_PARAMETERS_ANNOTATION: Final = "paif.vmware.com/model-parameters-b"
MODEL_PRECISION_ANNOTATION: Final = "paif.vmware.com/model-precision"
# A PAIS endpoint's replica bounds ("min..max", or "0" when it is declared with none): PAIS's
# ModelEndpoint has no replica field, so the tiers' rules and the diagram read them here.
REPLICAS_ANNOTATION: Final = "paif.vmware.com/replicas"
# The requests per minute the gateway should allow it (§9.6.3), recorded for the gateway's
# operators (no published PAIS or NIM field takes it); PAIF-SEC-003 reads it.
RATE_LIMIT_RPM_ANNOTATION: Final = "paif.vmware.com/rate-limit-rpm"

# -- a database (paif_components.pgvector_database)
SSLMODE_ANNOTATION: Final = "paif.vmware.com/sslmode"
REPLICATION_ANNOTATION: Final = "paif.vmware.com/replication"
BACKUP_ENCRYPTED_ANNOTATION: Final = "paif.vmware.com/backup-encrypted"
DR_MODE_ANNOTATION: Final = "paif.vmware.com/dr-mode"
# a DR copy: the primary's cluster it copies and the backup location it restores from
PRIMARY_CLUSTER_ANNOTATION: Final = "paif.vmware.com/primary-cluster"
PRIMARY_BACKUP_LOCATION_ANNOTATION: Final = "paif.vmware.com/primary-backup-location"

# -- an app's credentials Secret (paif_components.app_wiring): where each key was copied from,
# by name only, which the plan's secrets README turns into the command that reads each one.
SOURCES_ANNOTATION: Final = "paif.vmware.com/credential-sources"

# -- a tenant component's property (paif_components.tenant): the database its PAIS waits for,
# restored at this site only at failover (PAIF-SEC-002 skips that tenant's namespace).
PAIS_DATABASE_AT_FAILOVER: Final = "paisDatabaseAtFailover"
