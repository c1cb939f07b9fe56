#!/usr/bin/env bash
# Command one: brings up the whole system on embedded defaults — PostgreSQL (project-local
# cluster), the Temporal dev server (SQLite file, web UI), migrations, demo data, the worker and
# the API — all in the background with logs under .data/logs. Stop it with scripts/down.sh.
#
#   scripts/up.sh --cluster   the same system on Temporal's own two-node server on PostgreSQL
#                             (scripts/cluster.sh; built once from the Go module proxy), with two
#                             workers and two API processes behind the same addresses.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/proc.sh"
cd "$ROOT"
mode=embedded
case "${1:-}" in
  --cluster) mode=cluster ;;
  "") ;;
  *) echo "usage: $0 [--cluster]" >&2; exit 2 ;;
esac

"$ROOT/scripts/install.sh"
"$ROOT/scripts/pg.sh" start
"$ROOT/scripts/pg.sh" createdb "$PG_DB"
log "applying migrations"
"$ROOT/scripts/migrate.sh"
# Demo mode (the default on embedded settings) seeds demo people with tokens; FUPIN_DEMO=0 does not.
export FUPIN_DEMO="${FUPIN_DEMO:-1}"
if [ "$FUPIN_DEMO" = 1 ]; then
  log "seeding demo data (demo mode; FUPIN_DEMO=0 to skip)"
  npx --no-install tsx scripts/seed.ts > "$DATA_DIR/demo.json"
else
  echo '{"units":[],"households":0}' > "$DATA_DIR/demo.json"
fi

# The workflow code bundled once for every worker (FUPIN_WORKFLOW_BUNDLE), and each worker's heap
# bounded (WORKER_HEAP_MB) together with its cache of cases (WORKER_MAX_CACHED_WORKFLOWS).
log "bundling the workflow code"
npx --no-install tsx scripts/bundle.ts "$DATA_DIR/workflow-bundle"
export FUPIN_WORKFLOW_BUNDLE="$DATA_DIR/workflow-bundle"
worker_node_options="--max-old-space-size=${WORKER_HEAP_MB:-640}"

if [ "$mode" = embedded ]; then
  launch temporal "$ROOT/scripts/temporal.sh"
  wait_for "Temporal" "$TEMPORAL_CLI" operator cluster health --address "$TEMPORAL_ADDRESS"
  npx --no-install tsx scripts/temporal-setup.ts >&2
  launch worker env NODE_OPTIONS="$worker_node_options" npx --no-install tsx worker/main.ts
  launch api npx --no-install tsx api/main.ts
else
  "$ROOT/scripts/cluster.sh" up
  # Two of each, as a province would run them on two machines: workers share the task queue,
  # the APIs sit behind one balancer on $API_PORT.
  api_backends=()
  for n in 1 2; do
    launch "worker-$n" env WORKER_METRICS_PORT=$((API_PORT + 10 + n)) NODE_OPTIONS="$worker_node_options" npx --no-install tsx worker/main.ts
    launch "api-$n" env API_PORT=$((API_PORT + n)) npx --no-install tsx api/main.ts
    api_backends+=("127.0.0.1:$((API_PORT + n))")
  done
  for n in 1 2; do wait_for "API $n" curl -fsS "http://127.0.0.1:$((API_PORT + n))/healthz"; done
  launch api-balancer npx --no-install tsx scripts/balancer.ts "127.0.0.1:$API_PORT" "${api_backends[@]}"
fi
wait_for "API" curl -fsS "http://127.0.0.1:$API_PORT/healthz"
log "scheduling the annual assessments and periodic duties"
npx --no-install tsx scripts/schedules.ts >&2

node -e '
const demo = require(process.argv[1]);
const api = process.argv[2], ui = process.argv[3];
console.log("\n  脱贫退出与成效考核 — procedures are running\n");
console.log("  API          " + api);
console.log("  Temporal UI  " + ui);
console.log("  Database     " + process.argv[4]);
console.log("  Logs         .data/logs/   (stop everything: bash scripts/down.sh)\n");
console.log("  Demo bearer tokens (" + demo.households + " households):");
for (const u of demo.units) console.log("   " + (u.level + " " + u.name).padEnd(22) + "\n      staff " + u.tokens.STAFF + "\n      deputy " + u.tokens.DEPUTY + "\n      leader " + u.tokens.LEADER);
const v1 = demo.units.find((u) => u.id === "demo-v1");
if (v1) {
  console.log("\n  Try:  curl -s " + api + "/inbox -H \"Authorization: Bearer " + v1.tokens.STAFF + "\"");
  console.log("        curl -s -X POST " + api + "/procedures/household-exit/bulk -H \"Authorization: Bearer " + v1.tokens.STAFF + "\" -H \"Content-Type: application/json\" -d \x27{\"villageId\":\"demo-v1\"}\x27\n");
}
' "$DATA_DIR/demo.json" "http://127.0.0.1:$API_PORT" "http://127.0.0.1:$TEMPORAL_UI_PORT" "$DATABASE_URL"
