#!/usr/bin/env bash
# Applies the committed migrations (prisma migrate deploy, wasm schema engine, nothing downloaded).
# The CLI idles ~10 s after finishing (prisma.config.ts, workaround 3); `timeout` bounds it.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
timeout 180 npx --no-install prisma migrate deploy >/dev/null
