//go:build tools

// Package tools pins the Python language host's main package so `go mod tidy` keeps its
// dependencies. build.sh builds it from a patched copy of the module (see go.mod's replace).
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"
