#!/usr/bin/env bash
# Build the real engine tools from their Go modules into .engine/ (`make engine`).
#
# Each binary is a small wrapper module under engine/ pinned by its go.mod/go.sum. A binary is
# rebuilt only when its wrapper, version or the Go toolchain changed (a stamp per binary). The
# build times of the last run are written to .engine/build-times.tsv.
#
# A binary built once on this machine for the same key is copied from the machine's build cache
# (PAIF_BUILD_CACHE, default ~/.cache/paif-pulumi/bin) instead of being rebuilt: a fresh clone
# (CI) of an unchanged commit gets its tools in seconds. The key covers everything the build
# reads, and the builds are reproducible (-trimpath), so a cached binary is the one a build
# would make.
#
# Nothing here downloads anything but Go modules through the Go module proxy.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ENGINE_SRC="$ROOT/engine"
OUT="$ROOT/.engine"
BIN="$OUT/bin"
STAMPS="$OUT/stamps"
mkdir -p "$BIN" "$STAMPS" "$OUT/pulumi-home"

# The versions, in one place (docs/engine.md explains each choice).
PULUMI_VERSION="v3.276.0"
# The pulumi-kubernetes provider module is served only at this pseudo-version, which is the
# commit tagged v4.25.0; the Python SDK pin in pyproject.toml matches it.
KUBERNETES_PROVIDER_VERSION="4.25.0"
# The Python language host: sdk/v3 v3.79.0 is the last release whose module holds it
# (python/cmd/pulumi-language-python and its executor script); later ones moved it out to a
# module the proxy does not serve. Built with engine/language-python/pulumi-language-python.patch.
LANGUAGE_HOST_SDK_VERSION="v3.79.0"
export CGO_ENABLED=0
# The wrappers' go.mod files are aligned (docs/engine.md, "Build times"): the modules the tools share
# (the Pulumi SDK, k8s.io/*, grpc, protobuf, otel, golang.org/x/*) are at one version in all of them,
# so Go's build cache compiles each shared package once for all binaries. Its cache key also holds
# the GOEXPERIMENT set, so the engine builds with trivy's (scanners/build-trivy.sh needs jsonv2) and
# shares packages with it too. Each wrapper builds on its own go.mod, never a go.work.
export GOEXPERIMENT=jsonv2 GOWORK=off
# No debug information: nothing here is run under a debugger, and DWARF is a large part of the
# compile and link work of binaries this size (stack traces keep their file:line).
export GOFLAGS="${GOFLAGS:-} -trimpath -gcflags=all=-dwarf=false"
STRIP="-s -w"
CACHE="${PAIF_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/paif-pulumi/bin}"

: > "$OUT/build-times.tsv.new"

stamp_of() {  # name dir extra... -> a key that changes when anything the build reads changes
  local name="$1" dir="$2"
  shift 2
  {
    go version
    go env GOAMD64 GOEXPERIMENT
    echo "$GOFLAGS $STRIP"
    echo "$@"
    cat "$dir"/go.mod "$dir"/go.sum "$dir"/*.go
    cat "$dir"/*.patch 2>/dev/null || true
  } | sha256sum | cut -c1-16
}

build() {  # name dir package ldflags tags
  local name="$1" dir="$2" pkg="$3" ldflags="${4:-}" tags="${5:-}"
  local key
  key="$(stamp_of "$name" "$dir" "$pkg" "$ldflags" "$tags")"
  if [[ -x "$BIN/$name" && -f "$STAMPS/$name" && "$(cat "$STAMPS/$name")" == "$key" ]]; then
    echo "engine: $name is up to date"
    printf '%s\tcached\t0\n' "$name" >> "$OUT/build-times.tsv.new"
    return
  fi
  if [[ -x "$CACHE/$name-$key" ]]; then
    cp "$CACHE/$name-$key" "$BIN/$name.tmp"
    mv "$BIN/$name.tmp" "$BIN/$name"
    echo "$key" > "$STAMPS/$name"
    echo "engine: $name copied from the build cache ($CACHE/$name-$key)"
    printf '%s\tcopied\t0\n' "$name" >> "$OUT/build-times.tsv.new"
    return
  fi
  echo "engine: building $name ($pkg)"
  local start=$SECONDS
  (cd "$dir" && go build -tags "$tags" -ldflags "$STRIP $ldflags" -o "$BIN/$name.tmp" "$pkg")
  mv "$BIN/$name.tmp" "$BIN/$name"
  echo "$key" > "$STAMPS/$name"
  # Best effort: a read-only or full cache only costs the next clone a rebuild.
  local tmp
  if mkdir -p "$CACHE" 2>/dev/null && tmp="$(mktemp "$CACHE/.$name.XXXXXX" 2>/dev/null)"; then
    { cp "$BIN/$name" "$tmp" && chmod +x "$tmp" && mv "$tmp" "$CACHE/$name-$key"; } || rm -f "$tmp"
  fi
  printf '%s\tbuilt\t%d\n' "$name" "$((SECONDS - start))" >> "$OUT/build-times.tsv.new"
  echo "engine: $name built in $((SECONDS - start)) s"
}

# The Pulumi CLI. pkg/go.mod has replace directives, so `go install pkg@v` is refused; the
# wrapper requires pkg/v3 and sdk/v3 at the same version and builds the package.
build pulumi "$ENGINE_SRC/cli" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
  "osusergo,grpcnotrace"

# The Kubernetes provider. Its main embeds a versioned schema that its release process
# generates; do the same from the module's committed schema.json and terraform-mapping.json.
k8s_dir="$(cd "$ENGINE_SRC/kubernetes" && go mod download -json github.com/pulumi/pulumi-kubernetes/provider/v4 \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
python3 - "$k8s_dir/cmd/pulumi-resource-kubernetes" "$ENGINE_SRC/kubernetes" "$KUBERNETES_PROVIDER_VERSION" <<'PY'
import json, sys
from pathlib import Path
src, dst, version = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
schema = json.loads((src / "schema.json").read_text())
schema["version"] = version
for name, value in (("schema-embed.json", schema),
                    ("terraform-mapping-embed.json", json.loads((src / "terraform-mapping.json").read_text()))):
    text = json.dumps(value, separators=(",", ":"))
    path = dst / name
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
PY
build pulumi-resource-kubernetes "$ENGINE_SRC/kubernetes" . \
  "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$KUBERNETES_PROVIDER_VERSION"

# The Kubernetes API server and its store: the Supervisor's and the VKS clusters' API.
build etcd "$ENGINE_SRC/etcd" .
build kube-apiserver "$ENGINE_SRC/kube-apiserver" . "" "providerless"

# The Python language host (`pulumi up` runs __main__.py through it; a policy pack folder too),
# built from a copy of its module with our patch applied: the host predates the ProgramInfo
# the CLI sends (runtime options such as virtualenv, a plugin's folder), docs/engine.md.
sdk_dir="$(cd "$OUT" && GOFLAGS=-mod=mod go mod download -json \
  "github.com/pulumi/pulumi/sdk/v3@$LANGUAGE_HOST_SDK_VERSION" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
patched="$OUT/src/pulumi-sdk-$LANGUAGE_HOST_SDK_VERSION"
rm -rf "$patched"
mkdir -p "$OUT/src"
cp -r "$sdk_dir" "$patched"
chmod -R u+w "$patched"
# git apply outside any repository (the checkout around .engine/ must not claim the paths).
(cd "$patched" && GIT_CEILING_DIRECTORIES="$OUT/src" git apply -p1 \
  "$ENGINE_SRC/language-python/pulumi-language-python.patch")
build pulumi-language-python "$ENGINE_SRC/language-python" \
  github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$LANGUAGE_HOST_SDK_VERSION"
# The host runs programs through this script, which it looks for beside itself.
install -m 0755 "$patched/python/cmd/pulumi-language-python-exec" "$BIN/pulumi-language-python-exec"

# The vSphere and Harbor providers cannot be built here (docs/engine.md); the engine tier's
# stand-in for them is tests/engine/standin_provider.py, never put on PATH by env.sh.

mv "$OUT/build-times.tsv.new" "$OUT/build-times.tsv"

cat > "$OUT/env.sh" <<ENV
# Source this to use the tools built by engine/build.sh (make engine): the Pulumi CLI, its
# Python language host (pulumi-language-python), the Kubernetes provider, etcd, kube-apiserver.
export PATH="$BIN:\$PATH"
export PULUMI_HOME="$OUT/pulumi-home"
export PULUMI_SKIP_UPDATE_CHECK=1
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=1
ENV
echo "engine: ready; source .engine/env.sh"
