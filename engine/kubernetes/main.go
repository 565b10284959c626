// Command pulumi-resource-kubernetes serves the Pulumi Kubernetes provider built from its Go
// module. The provider's own main embeds a versioned copy of its schema that its repository
// generates at release time; build.sh generates the same two files here from the module's
// committed schema.json and terraform-mapping.json, then builds this package.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
