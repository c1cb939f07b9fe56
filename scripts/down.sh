#!/usr/bin/env bash
# Stops what scripts/up.sh started (API, worker, Temporal dev server, PostgreSQL). Data stays.
set -uo pipefail
source "$(dirname "$0")/env.sh"
for name in api worker temporal; do
  pidfile="$DATA_DIR/run/$name.pid"
  if [ -f "$pidfile" ]; then
    pid=$(cat "$pidfile")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    rm -f "$pidfile"
    log "stopped $name"
  fi
done
"$ROOT/scripts/pg.sh" stop
log "stopped PostgreSQL"
