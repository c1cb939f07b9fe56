#!/usr/bin/env bash
# Writes a new migration from the change to prisma/schema.prisma: scripts/new-migration.sh NAME
# (prisma migrate dev --create-only against the local database, with the shadow-database
# workaround of prisma.config.ts). Review the SQL, then commit it.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
name="${1:?usage: scripts/new-migration.sh NAME}"
"$ROOT/scripts/pg.sh" start
"$ROOT/scripts/pg.sh" createdb "$PG_DB"
"$ROOT/scripts/migrate.sh"
before=$(ls prisma/migrations | wc -l)
# The wasm engine may print "null pointer passed to rust" while disposing the shadow database
# after the file is written; the folder count is what tells success.
timeout 180 npx --no-install prisma migrate dev --create-only --name "$name" || true
after=$(ls prisma/migrations | wc -l)
[ "$after" -gt "$before" ] || { echo "no migration was written (is the schema unchanged?)" >&2; exit 1; }
ls -d prisma/migrations/*_"$name"
