// Command etcd is the etcd server (go.etcd.io/etcd/server/v3), the kube-apiserver's store in
// the engine tests.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
