#!/usr/bin/env bash
# The Temporal dev server (official CLI from .venv) with its SQLite file under $DATA_DIR, its web
# UI. Runs in the foreground; scripts/temporal-setup.ts then adds the search attributes.
set -euo pipefail
source "$(dirname "$0")/env.sh"
mkdir -p "$DATA_DIR/temporal"
host="${TEMPORAL_ADDRESS%:*}"
port="${TEMPORAL_ADDRESS##*:}"
exec "$TEMPORAL_CLI" server start-dev \
  --ip "$host" --port "$port" \
  --ui-ip "$host" --ui-port "$TEMPORAL_UI_PORT" \
  --db-filename "$DATA_DIR/temporal/temporal.sqlite" \
  --namespace "$TEMPORAL_NAMESPACE" \
  --log-level warn
