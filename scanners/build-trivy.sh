#!/usr/bin/env bash
# trivy, the Kubernetes scanner of the `make trivy-test` tier, built from the Go module proxy
# (release downloads cannot be reached here): the upstream `cmd/trivy`, unchanged. Cold (empty
# Go caches) this is the second-longest build of CI; docs/engine.md has the measured times.
#
# Like engine/build.sh: no debug information (less compile and link work), reproducible
# (-trimpath, no cgo), and a binary built once on this machine for the same key is copied from
# the machine's build cache (PAIF_BUILD_CACHE, default ~/.cache/paif-pulumi/bin) instead of
# being rebuilt, so a fresh clone (CI) of an unchanged commit gets it in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=v0.74.0
DEST="$PWD/.tools/bin"
STAMP="$PWD/.tools/trivy.version"
CACHE="${PAIF_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/paif-pulumi/bin}"
export CGO_ENABLED=0
# v0.74.0's module needs encoding/json/v2 (GOEXPERIMENT=jsonv2 on Go 1.26).
export GOEXPERIMENT=jsonv2
FLAGS=(-trimpath -gcflags=all=-dwarf=false "-ldflags=-s -w")
key="$({ go version; go env GOAMD64 GOEXPERIMENT; echo "$VERSION ${FLAGS[*]}"; } | sha256sum | cut -c1-16)"
if [[ -x "$DEST/trivy" && "$(cat "$STAMP" 2>/dev/null)" == "$key" ]]; then
  echo "trivy $VERSION: up to date ($DEST/trivy)"
  exit 0
fi
mkdir -p "$DEST"
if [[ -x "$CACHE/trivy-$key" ]]; then
  cp "$CACHE/trivy-$key" "$DEST/trivy.tmp"
  mv "$DEST/trivy.tmp" "$DEST/trivy"
  echo "$key" > "$STAMP"
  echo "trivy $VERSION: copied from the build cache ($CACHE/trivy-$key)"
  exit 0
fi
start=$(date +%s)
GOBIN="$DEST" GOFLAGS=-mod=mod go install "${FLAGS[@]}" "github.com/aquasecurity/trivy/cmd/trivy@$VERSION"
echo "$key" > "$STAMP"
# Best effort: a read-only or full cache only costs the next clone a rebuild.
if mkdir -p "$CACHE" 2>/dev/null && tmp="$(mktemp "$CACHE/.trivy.XXXXXX" 2>/dev/null)"; then
  { cp "$DEST/trivy" "$tmp" && chmod +x "$tmp" && mv "$tmp" "$CACHE/trivy-$key"; } || rm -f "$tmp"
fi
echo "trivy $VERSION built in $(( $(date +%s) - start )) s: $DEST/trivy"
