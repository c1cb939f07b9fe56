#!/usr/bin/env bash
# A project-local PostgreSQL cluster on loopback ($PGHOST:$PGPORT), data under $DATA_DIR/postgres.
# usage: scripts/pg.sh start | stop | status | createdb NAME | dropdb NAME
# Skipped entirely when PG_EXTERNAL=1 (DATABASE_URL then points at a server you run).
set -euo pipefail
source "$(dirname "$0")/env.sh"

PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
[ -n "$PG_BIN" ] || PG_BIN="$(dirname "$(command -v initdb)")"
PGDATA="${PGDATA:-$DATA_DIR/postgres}"

# initdb refuses to run as root: run the server as the 'postgres' system user when we are root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_cluster() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql --shell /bin/bash postgres
    # The data folder must be reachable by 'postgres'; a checkout under a private home is not.
    if ! runuser -u postgres -- test -x "$ROOT" 2>/dev/null; then
      PGDATA="/var/lib/postgresql/fupin-$(printf '%s' "$ROOT" | md5sum | cut -c1-8)"
    fi
  fi
  mkdir -p "$(dirname "$PGDATA")"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $PGDATA"
    mkdir -p "$PGDATA"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    as_owner "$PG_BIN/initdb" -D "$PGDATA" -U "$PGUSER" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
}

case "${1:-start}" in
  start)
    [ "${PG_EXTERNAL:-0}" = 1 ] && exit 0
    ensure_cluster
    if as_owner "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then exit 0; fi
    # another checkout's cluster on the same port serves just as well
    if psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
      log "using the PostgreSQL already listening on $PGHOST:$PGPORT"
      exit 0
    fi
    log "starting PostgreSQL on $PGHOST:$PGPORT"
    as_owner "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 start \
      -o "-h $PGHOST -p $PGPORT -k /tmp -c fsync=${PG_FSYNC:-on} -c max_connections=200" >/dev/null
    ;;
  stop)
    [ "${PG_EXTERNAL:-0}" = 1 ] && exit 0
    ensure_cluster
    as_owner "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  status)
    ensure_cluster
    as_owner "$PG_BIN/pg_ctl" -D "$PGDATA" status
    ;;
  createdb)
    psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$2'" | grep -q 1 \
      || psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qc "CREATE DATABASE \"$2\""
    ;;
  dropdb)
    psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qc "DROP DATABASE IF EXISTS \"$2\" WITH (FORCE)"
    ;;
  *) echo "usage: $0 start|stop|status|createdb NAME|dropdb NAME" >&2; exit 2 ;;
esac
