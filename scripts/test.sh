#!/usr/bin/env bash
# Command two: installs what is missing, then runs every test against real servers — a fresh
# PostgreSQL database (fupin_test, recreated each run) and Temporal servers the tests start from
# the pinned binaries in .venv. Extra arguments go to jest (e.g. a test file).
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
