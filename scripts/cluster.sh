#!/usr/bin/env bash
# Temporal's own multi-service server as a two-node cluster on PostgreSQL — the step up from the
# embedded dev server when a province outgrows one process. usage: scripts/cluster.sh up | down
#
#   up    builds the pinned server, sql tool and Web UI once (scripts/cluster-build.sh), creates
#         the Temporal and visibility databases and brings their schemas up to date with the sql
#         tool, starts two server nodes (every service in each; own gRPC, membership and metrics
#         ports; one ring through the cluster_membership table), a TCP balancer on
#         $TEMPORAL_ADDRESS in front of both frontends, and the Web UI on $TEMPORAL_UI_PORT; then
#         creates the namespace and the search attributes (scripts/temporal-setup.ts).
#   down  stops them (data stays in PostgreSQL).
#
# scripts/up.sh --cluster runs this, then two workers and two API processes behind $API_PORT.
# Ports: node n uses CLUSTER_PORT_BASE + 100·(n−1) + {1 frontend, 2 history, 3 matching,
# 4 worker, 5 frontend HTTP, 11–14 membership, 20 metrics}.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/proc.sh"

CLUSTER_NODES="${CLUSTER_NODES:-2}"
CLUSTER_PORT_BASE="${CLUSTER_PORT_BASE:-7300}"
CLUSTER_HISTORY_SHARDS="${CLUSTER_HISTORY_SHARDS:-16}" # fixed when the databases are created
# Workflows a history node keeps in memory. The server's default (128 000 per node, each kept an
# hour after its last use) held every case opened in the last hour, ~25 kB each: one node grew to
# 3.7 GB while 10^5 cases opened (bench/RESULTS.md). A case past the bound is read back from
# PostgreSQL at its next task.
CLUSTER_HISTORY_CACHE_ENTRIES="${CLUSTER_HISTORY_CACHE_ENTRIES:-8192}"
TEMPORAL_DB="${TEMPORAL_DB:-temporal}"
TEMPORAL_VISIBILITY_DB="${TEMPORAL_VISIBILITY_DB:-temporal_visibility}"
TEMPORAL_PGPASSWORD="${TEMPORAL_PGPASSWORD:-}"
conf="$DATA_DIR/cluster"
schema_log="$DATA_DIR/logs/temporal-schema.log"

node_port() { echo $((CLUSTER_PORT_BASE + 100 * ($1 - 1) + $2)); }
frontends() { for n in $(seq 1 "$CLUSTER_NODES"); do printf '127.0.0.1:%s ' "$(node_port "$n" 1)"; done; }

sql_tool() { # database args...
  local db="$1"; shift
  "$bin/temporal-sql-tool" --plugin postgres12 --ep "$PGHOST" -p "$PGPORT" -u "$PGUSER" \
    ${TEMPORAL_PGPASSWORD:+--pw "$TEMPORAL_PGPASSWORD"} --db "$db" "$@"
}

setup_schema() { # database schema-folder
  "$ROOT/scripts/pg.sh" createdb "$1"
  if ! psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$1" -tAc "SELECT 1 FROM schema_version LIMIT 1" 2>/dev/null | grep -q 1; then
    log "creating the $2 schema in $1"
    sql_tool "$1" setup-schema -v 0.0 >>"$schema_log" 2>&1 || { tail -n 20 "$schema_log" >&2; exit 1; }
  fi
  # idempotent: applies only the versions the database has not seen
  sql_tool "$1" update-schema -d "$dir/schema/postgresql/v12/$2/versioned" >>"$schema_log" 2>&1 \
    || { tail -n 20 "$schema_log" >&2; exit 1; }
}

datastore() { # name database maxConns
  cat <<YAML
    $1:
      sql:
        pluginName: postgres12
        databaseName: $2
        connectAddr: "$PGHOST:$PGPORT"
        connectProtocol: tcp
        user: $PGUSER
        password: "$TEMPORAL_PGPASSWORD"
        maxConns: $3
        maxIdleConns: $3
        maxConnLifetime: 1h
YAML
}

node_config() { # n
  local n="$1" svc i=0
  cat <<YAML
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: $CLUSTER_HISTORY_SHARDS
  datastores:
$(datastore default "$TEMPORAL_DB" 20)
$(datastore visibility "$TEMPORAL_VISIBILITY_DB" 5)
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: "127.0.0.1:$(node_port "$n" 20)"
services:
YAML
  for svc in frontend history matching worker; do
    i=$((i + 1))
    printf '  %s:\n    rpc:\n      grpcPort: %s\n      membershipPort: %s\n      bindOnLocalHost: true\n' \
      "$svc" "$(node_port "$n" "$i")" "$(node_port "$n" $((10 + i)))"
    [ "$svc" = frontend ] && printf '      httpPort: %s\n' "$(node_port "$n" 5)"
  done
  cat <<YAML
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "$TEMPORAL_ADDRESS"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "$conf/dynamicconfig.yaml"
  pollInterval: 10s
YAML
}

# What the dev server turns on and this project relies on: workflow updates (every decision),
# and search attributes visible to the next request right after they are created; and the bound
# on the history nodes' workflow cache (CLUSTER_HISTORY_CACHE_ENTRIES).
dynamic_config() {
  cat <<YAML
frontend.enableUpdateWorkflowExecution:
  - value: true
frontend.enableUpdateWorkflowExecutionAsyncAccepted:
  - value: true
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
history.hostLevelCacheMaxSize:
  - value: $CLUSTER_HISTORY_CACHE_ENTRIES
YAML
}

ui_config() {
  cat <<YAML
temporalGrpcAddress: $TEMPORAL_ADDRESS
host: ${TEMPORAL_ADDRESS%:*}
port: $TEMPORAL_UI_PORT
enableUi: true
defaultNamespace: $TEMPORAL_NAMESPACE
cors:
  cookieInsecure: true
YAML
}

up() {
  dir="$("$ROOT/scripts/cluster-build.sh")"
  bin="$dir/bin"
  "$ROOT/scripts/pg.sh" start
  setup_schema "$TEMPORAL_DB" temporal
  setup_schema "$TEMPORAL_VISIBILITY_DB" visibility
  mkdir -p "$conf/ui"
  dynamic_config > "$conf/dynamicconfig.yaml"
  ui_config > "$conf/ui/cluster.yaml"
  # one after the other: the first node of a new cluster writes its metadata, the others read it
  for n in $(seq 1 "$CLUSTER_NODES"); do
    node_config "$n" > "$conf/node-$n.yaml"
    launch "temporal-$n" "$bin/temporal-server" --config-file "$conf/node-$n.yaml" --allow-no-auth start
    wait_for "Temporal node $n" "$TEMPORAL_CLI" operator cluster health --address "127.0.0.1:$(node_port "$n" 1)"
  done
  # shellcheck disable=SC2046
  launch temporal-balancer npx --no-install tsx "$ROOT/scripts/balancer.ts" "$TEMPORAL_ADDRESS" $(frontends)
  wait_for "Temporal balancer" "$TEMPORAL_CLI" operator cluster health --address "$TEMPORAL_ADDRESS"
  npx --no-install tsx "$ROOT/scripts/temporal-setup.ts" >&2
  launch temporal-ui "$bin/temporal-ui-server" --root "$conf" --config ui --env cluster start
  log "Temporal cluster: $CLUSTER_NODES nodes behind $TEMPORAL_ADDRESS (frontends $(frontends)), Web UI http://${TEMPORAL_ADDRESS%:*}:$TEMPORAL_UI_PORT"
}

down() {
  stop_process temporal-ui
  stop_process temporal-balancer
  for pidfile in "$DATA_DIR"/run/temporal-[0-9]*.pid; do
    [ -e "$pidfile" ] && stop_process "$(basename "$pidfile" .pid)"
  done
  return 0
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
