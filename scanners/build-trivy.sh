#!/usr/bin/env bash
# trivy, the Kubernetes scanner of the `make trivy-test` tier, built from the Go module proxy
# (release downloads cannot be reached here): the upstream `cmd/trivy`, unchanged, built inside the
# wrapper module scanners/trivy/ (go.mod/go.sum), whose versions of the modules trivy shares with
# engine/ (grpc, protobuf, otel, golang.org/x/*, cloud SDKs) are the engine's, so the two builds
# share compiled packages in Go's build cache. Cold (empty Go caches) this is the second-longest
# build of CI; docs/engine.md has the measured times and the alignment.
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
# v0.74.0's module needs encoding/json/v2 (GOEXPERIMENT=jsonv2 on Go 1.26); engine/build.sh sets
# the same, since the experiment is part of every compiled package's cache key.
export GOEXPERIMENT=jsonv2
WRAPPER="$PWD/scanners/trivy"
FLAGS=(-trimpath -gcflags=all=-dwarf=false "-ldflags=-s -w")
# The key covers everything the build reads: toolchain, flags and the wrapper module's files.
key="$({ go version; go env GOAMD64 GOEXPERIMENT; echo "$VERSION ${FLAGS[*]}"
  cat "$WRAPPER"/go.mod "$WRAPPER"/go.sum "$WRAPPER"/*.go; } | sha256sum | cut -c1-16)"
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
grep -q "^require github.com/aquasecurity/trivy $VERSION\$" "$WRAPPER/go.mod" \
  || { echo "build-trivy.sh: $WRAPPER/go.mod does not require trivy $VERSION" >&2; exit 1; }
(cd "$WRAPPER" && GOWORK=off go build "${FLAGS[@]}" -o "$DEST/trivy.tmp" github.com/aquasecurity/trivy/cmd/trivy)
mv "$DEST/trivy.tmp" "$DEST/trivy"
echo "$key" > "$STAMP"
# Best effort: a read-only or full cache only costs the next clone a rebuild.
if mkdir -p "$CACHE" 2>/dev/null && tmp="$(mktemp "$CACHE/.trivy.XXXXXX" 2>/dev/null)"; then
  { cp "$DEST/trivy" "$tmp" && chmod +x "$tmp" && mv "$tmp" "$CACHE/trivy-$key"; } || rm -f "$tmp"
fi
echo "trivy $VERSION built in $(( $(date +%s) - start )) s: $DEST/trivy"
