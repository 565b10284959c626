//go:build tools

// Package tools pins trivy's main package so `go mod tidy` keeps its dependencies; build-trivy.sh
// builds that package (upstream's cmd/trivy, unchanged) with this module's versions, which are
// aligned with engine/'s so the two builds share compiled packages (docs/engine.md).
package tools

import _ "github.com/aquasecurity/trivy/cmd/trivy"
