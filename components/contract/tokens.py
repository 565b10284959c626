"""Resource type tokens: the ``type`` of each resource a plan records.

The library's own components (``PAIF_*``) are public API (docs/architecture.md: a rename needs an
alias); the provider resources below are the ones more than one module writes or reads (the
policies, the diagram, the diff, the offline mocks). Every module that matches a type imports
it from here; ``tests/architecture`` holds the rest of the tree to that.
"""

from __future__ import annotations

from typing import Final

# -- the library's components
PAIF_SITE: Final = "paif:site:PaifSite"
PAIF_TENANT: Final = "paif:tenancy:Tenant"
PAIF_SUPERVISOR_NAMESPACE: Final = "paif:tenancy:SupervisorNamespace"
PAIF_GPU_WORKLOAD_DOMAIN: Final = "paif:infra:GpuWorkloadDomain"
PAIF_VKS_CLUSTER: Final = "paif:vks:VksCluster"
PAIF_TENANT_APPS: Final = "paif:vks:TenantApps"
PAIF_MODEL_ENDPOINT: Final = "paif:ai:ModelEndpoint"
PAIF_KNOWLEDGE_BASE: Final = "paif:ai:KnowledgeBase"
PAIF_AGENT: Final = "paif:ai:Agent"
PAIF_PGVECTOR_DATABASE: Final = "paif:data:PgvectorDatabase"
PAIF_APP_DATABASE: Final = "paif:data:AppDatabase"
PAIF_REPLICATION_PUBLISHER: Final = "paif:data:ReplicationPublisher"
PAIF_REPLICATION_SUBSCRIBER: Final = "paif:data:ReplicationSubscriber"
PAIF_HARBOR_PROJECT: Final = "paif:registry:HarborProject"
PAIF_HARBOR_REPLICATION: Final = "paif:registry:HarborReplication"
PAIF_HARBOR_REPLICATION_RECEIVER: Final = "paif:registry:HarborReplicationReceiver"
PAIF_EDGE_SECURITY: Final = "paif:network:EdgeSecurity"
PAIF_GSLB_SERVICE: Final = "paif:network:GslbService"
PAIF_SITE_MONITORING: Final = "paif:ops:SiteMonitoring"
PAIF_TENANT_MONITORING: Final = "paif:ops:TenantMonitoring"

# -- vSphere
VSPHERE_PROVIDER: Final = "pulumi:providers:vsphere"
VSPHERE_COMPUTE_CLUSTER: Final = "vsphere:index/computeCluster:ComputeCluster"
VSPHERE_CONTENT_LIBRARY: Final = "vsphere:index/contentLibrary:ContentLibrary"
VSPHERE_NAMESPACE: Final = "vsphere:index/namespace:Namespace"

# -- Harbor
HARBOR_PROVIDER: Final = "pulumi:providers:harbor"
HARBOR_PROJECT: Final = "harbor:index/project:Project"
HARBOR_REGISTRY: Final = "harbor:index/registry:Registry"
HARBOR_REPLICATION: Final = "harbor:index/replication:Replication"
HARBOR_ROBOT_ACCOUNT: Final = "harbor:index/robotAccount:RobotAccount"
HARBOR_PROJECT_MEMBER_GROUP: Final = "harbor:index/projectMemberGroup:ProjectMemberGroup"

# -- Kubernetes
KUBERNETES_SECRET: Final = "kubernetes:core/v1:Secret"
POSTGRES_CLUSTER: Final = "kubernetes:databases.dataservices.vmware.com/v1alpha1:PostgresCluster"

# -- NSX and Avi
NSXT_LB_VIRTUAL_SERVER: Final = "nsxt:index/policyLbVirtualServer:PolicyLbVirtualServer"
AVI_VIRTUAL_SERVICE: Final = "avi:index/virtualservice:Virtualservice"
AVI_GSLB_SERVICE: Final = "avi:index/gslbservice:Gslbservice"
