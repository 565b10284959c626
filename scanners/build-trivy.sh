#!/usr/bin/env bash
# trivy, the Kubernetes scanner of the `make trivy-test` tier, built from the Go module proxy
# (release downloads cannot be reached here). A first build on a cold 2-core machine takes
# 30-50 minutes; with Go's caches warm it is a relink of under a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=v0.74.0
DEST="$PWD/.tools/bin"
STAMP="$PWD/.tools/trivy.version"
if [[ -x "$DEST/trivy" && "$(cat "$STAMP" 2>/dev/null)" == "$VERSION" ]]; then
  echo "trivy $VERSION: up to date ($DEST/trivy)"
  exit 0
fi
mkdir -p "$DEST"
start=$(date +%s)
# v0.74.0's module needs encoding/json/v2 (GOEXPERIMENT=jsonv2 on Go 1.26).
GOEXPERIMENT=jsonv2 GOBIN="$DEST" GOFLAGS=-mod=mod \
  go install "github.com/aquasecurity/trivy/cmd/trivy@$VERSION"
echo "$VERSION" > "$STAMP"
echo "trivy $VERSION built in $(( $(date +%s) - start )) s: $DEST/trivy"
