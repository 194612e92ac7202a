// Command etcd is the upstream etcd server, built from its published Go module.
//
// `go install go.etcd.io/etcd/server/v3@...` cannot be used because etcd's own
// go.mod carries local replace directives; a one-line main is the usual way
// around that and keeps the version pinned in this directory's go.mod.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
