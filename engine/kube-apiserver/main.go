// Command kube-apiserver is the Kubernetes API server (k8s.io/kubernetes/cmd/kube-apiserver),
// built from its published Go modules. The engine tests use it as the Supervisor's and the VKS
// clusters' API: objects are stored and validated, nothing schedules or runs them.
package main

import (
	"os"
	_ "time/tzdata"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
