#!/usr/bin/env bash
# Builds Temporal's own multi-service server, its SQL schema tool and the standalone Web UI from
# the Go module proxy, pinned, into a cache folder shared by every clone on this machine
# ($FUPIN_CACHE, default ~/.cache/fupin). Skipped when the binaries are already there. The first
# build takes ~15–25 minutes on 2 cores; the Go module and build caches (~4 GB) can be deleted
# afterwards with `go clean -cache -modcache` — the schemas are copied next to the binaries.
set -euo pipefail
source "$(dirname "$0")/env.sh"

TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-v1.32.0}"
TEMPORAL_UI_VERSION="${TEMPORAL_UI_VERSION:-v2.55.0}"
dest="$CLUSTER_CACHE/temporal-$TEMPORAL_SERVER_VERSION-ui-$TEMPORAL_UI_VERSION"

if [ -x "$dest/bin/temporal-server" ] && [ -x "$dest/bin/temporal-sql-tool" ] \
  && [ -x "$dest/bin/temporal-ui-server" ] && [ -d "$dest/schema/postgresql" ]; then
  echo "$dest"
  exit 0
fi

command -v go >/dev/null || { echo "Go is needed to build the Temporal server (apt-get install golang or the Go toolchain)" >&2; exit 1; }
mkdir -p "$dest/bin" "$dest/.build"
export GOFLAGS=-mod=mod
export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
# Go ≥ 1.26.8 builds v1.32.0; newer server tags need a newer toolchain (GOTOOLCHAIN=auto).
build() { # package@version output-name
  local gobin="$dest/.build/$2"
  mkdir -p "$gobin"
  log "building $1 (cached in $dest)"
  GOBIN="$gobin" go install -trimpath -ldflags='-s -w' "$1"
  mv "$gobin/$(basename "${1%@*}")" "$dest/bin/$2.tmp" && mv "$dest/bin/$2.tmp" "$dest/bin/$2"
}
[ -x "$dest/bin/temporal-sql-tool" ] || build "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION" temporal-sql-tool
[ -x "$dest/bin/temporal-server" ] || build "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" temporal-server
[ -x "$dest/bin/temporal-ui-server" ] || build "github.com/temporalio/ui-server/v2/cmd/server@$TEMPORAL_UI_VERSION" temporal-ui-server
if [ ! -d "$dest/schema/postgresql" ]; then
  mod="$(go env GOMODCACHE)/go.temporal.io/server@$TEMPORAL_SERVER_VERSION"
  mkdir -p "$dest/schema"
  cp -r "$mod/schema/postgresql" "$dest/schema/postgresql.tmp"
  chmod -R u+w "$dest/schema/postgresql.tmp"
  mv "$dest/schema/postgresql.tmp" "$dest/schema/postgresql"
fi
rm -rf "$dest/.build"
echo "$dest"
