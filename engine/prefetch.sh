#!/usr/bin/env bash
# Download the Go modules of the builds (engine/'s wrappers and scanners/trivy) into the module
# cache, without compiling anything. `.ci/run` starts this in the background beside its Python
# tiers: on a cold machine the downloads (3.7 GB of sources, about 4 minutes of wall clock but
# only some 40 CPU-seconds, docs/engine.md) then leave the builds' critical path. The builds
# download whatever is still missing themselves, so this is only ever a head start.
# (The language host's module is copied and patched by engine/build.sh; it downloads it there.)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export GOWORK=off
child=""
# .ci/run stops this (TERM) when a tier fails first: take the running download along.
trap '[[ -n "$child" ]] && kill "$child" 2>/dev/null; exit 143' TERM
for dir in engine/cli engine/kubernetes engine/etcd engine/kube-apiserver scanners/trivy; do
  start=$SECONDS
  (cd "$ROOT/$dir" && exec go mod download) &
  child=$!
  wait "$child"
  child=""
  echo "prefetch: $dir's modules in $((SECONDS - start)) s"
done
