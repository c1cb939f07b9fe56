#!/usr/bin/env bash
# Stops what scripts/up.sh started (APIs, workers, the Temporal dev server or cluster, the
# balancers, PostgreSQL). Data stays.
set -uo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/proc.sh"
# the front first, the servers last: requests in flight finish, workers drain their tasks
for pattern in 'api-balancer' 'api*' 'worker*' 'temporal-ui' 'temporal-balancer' 'temporal*'; do
  for pidfile in "$DATA_DIR"/run/$pattern.pid; do
    [ -e "$pidfile" ] && stop_process "$(basename "$pidfile" .pid)"
  done
done
if [ "${PG_EXTERNAL:-0}" != 1 ]; then
  "$ROOT/scripts/pg.sh" stop
  log "stopped PostgreSQL"
fi
