#!/usr/bin/env bash
# Command two: installs what is missing, then runs every test against real servers — a fresh
# PostgreSQL database (fupin_test, recreated each run) and Temporal servers the tests start from
# the pinned binaries in .venv — then the cluster test: Temporal's own two-node server on PostgreSQL
# (built once per machine from the Go module proxy, ~20 minutes the first time), with one node and
# one worker killed mid-procedure. Extra arguments go to jest (e.g. a test file) and skip the
# cluster test; FUPIN_CLUSTER_TEST=0 skips it too.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

"$ROOT/scripts/install.sh"
"$ROOT/scripts/pg.sh" start
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  "$ROOT/scripts/pg.sh" dropdb fupin_test
  "$ROOT/scripts/pg.sh" createdb fupin_test
  TEST_DATABASE_URL="postgresql://$PGUSER@$PGHOST:$PGPORT/fupin_test"
fi
export DATABASE_URL="$TEST_DATABASE_URL"
log "migrating the test database"
"$ROOT/scripts/migrate.sh"
log "type-checking and linting (workflow sandbox rules, floating promises)"
npx --no-install tsc -p tsconfig.json --noEmit
npx --no-install eslint .
log "running the tests"
npx --no-install jest --runInBand "$@"
if [ $# -eq 0 ] && [ "${FUPIN_CLUSTER_TEST:-1}" = 1 ]; then
  log "building Temporal's server for the cluster test (once per machine)"
  "$ROOT/scripts/cluster-build.sh" >/dev/null
  log "running the cluster test (scripts/up.sh --cluster; a node and a worker are killed)"
  FUPIN_CLUSTER_TEST=1 npx --no-install jest --runInBand test/cluster
fi
