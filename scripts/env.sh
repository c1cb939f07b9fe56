# Shared settings for the project's scripts. Source it; every value can be overridden from the
# environment. Embedded defaults: a project-local PostgreSQL cluster and the Temporal dev server
# (SQLite file) under .data/, both on loopback.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
export DATA_DIR="${DATA_DIR:-$ROOT/.data}"
export VENV_DIR="${VENV_DIR:-$ROOT/.venv}"
export PGHOST="${PGHOST:-127.0.0.1}"
export PGPORT="${PGPORT:-55432}"
export PGUSER="${PGUSER:-fupin}"
export PG_DB="${PG_DB:-fupin}"
export DATABASE_URL="${DATABASE_URL:-postgresql://$PGUSER@$PGHOST:$PGPORT/$PG_DB}"
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
export TEMPORAL_NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
export TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
export API_PORT="${API_PORT:-3000}"
export TEMPORAL_CLI="${TEMPORAL_CLI:-$VENV_DIR/bin/temporal}"
export TEMPORAL_TEST_SERVER="${TEMPORAL_TEST_SERVER:-$VENV_DIR/bin/temporal-test-server}"
export PATH="$ROOT/node_modules/.bin:$PATH"
log() { printf '\033[1;34m[fupin]\033[0m %s\n' "$*" >&2; }
# Cluster mode (scripts/cluster.sh): Temporal's own server built once per machine, outside the clone.
export FUPIN_CACHE="${FUPIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fupin}"
export CLUSTER_CACHE="${CLUSTER_CACHE:-$FUPIN_CACHE/cluster}"
