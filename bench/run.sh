#!/usr/bin/env bash
# Runs a benchmark on a database of its own, created fresh each run (fupin_bench), so runs compare:
#   bash bench/run.sh [start-and-sign] [N=500]
#   bash bench/run.sh compare [N=300] [rounds=3]   (the project against the bare-Temporal baseline, bench/baseline/)
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"
bench="${1:-start-and-sign}"
shift || true
"$ROOT/scripts/install.sh"
"$ROOT/scripts/pg.sh" start
"$ROOT/scripts/pg.sh" dropdb fupin_bench
"$ROOT/scripts/pg.sh" createdb fupin_bench
export DATABASE_URL="postgresql://$PGUSER@$PGHOST:$PGPORT/fupin_bench"
"$ROOT/scripts/migrate.sh" >/dev/null
log "running bench/$bench.ts $*"
npx --no-install tsx "bench/$bench.ts" "$@"
