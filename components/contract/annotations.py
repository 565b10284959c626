"""Labels and annotations that components write on resources and readers look for.

The keys the policies, the diagram or the plan's writer read back from a resource are spelled
here once; a key only its writer uses stays beside the writer.
"""

from __future__ import annotations

from typing import Final

# -- labels
SITE_LABEL: Final = "paif.vmware.com/site"
TENANT_LABEL: Final = "paif.vmware.com/tenant"

# -- a model endpoint (paif_components.model_endpoint): the model's size and precision, which
# the DR rules size the peer's GPUs by.
MODEL_PARAMETERS_ANNOTATION: Final = "paif.vmware.com/model-parameters-b"
MODEL_PRECISION_ANNOTATION: Final = "paif.vmware.com/model-precision"

# -- a database (paif_components.pgvector_database)
SSLMODE_ANNOTATION: Final = "paif.vmware.com/sslmode"
REPLICATION_ANNOTATION: Final = "paif.vmware.com/replication"
BACKUP_ENCRYPTED_ANNOTATION: Final = "paif.vmware.com/backup-encrypted"
DR_MODE_ANNOTATION: Final = "paif.vmware.com/dr-mode"
# a DR copy: the primary's cluster it copies and the backup location it restores from
PRIMARY_CLUSTER_ANNOTATION: Final = "paif.vmware.com/primary-cluster"
PRIMARY_BACKUP_LOCATION_ANNOTATION: Final = "paif.vmware.com/primary-backup-location"
