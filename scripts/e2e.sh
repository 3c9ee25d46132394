#!/usr/bin/env bash
# Starts the server ($SERVER_BIN, default the debug build) on a free port with a fresh
# SQLite database (or the empty one E2E_DATABASE_URL names) in sandbox mode, runs the Playwright
# tests in end2end/ against it, and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export BASE_URL="http://127.0.0.1:$port"
# The token the tests deliver webhooks with, as P100 would.
export WEBHOOK_TOKEN="e2e-webhook-token-$port"

STEP_UP_WINDOW=5s BIND_ADDR="127.0.0.1:$port" P100_WEBHOOK_SECRET="$WEBHOOK_TOKEN" DATABASE_URL="${E2E_DATABASE_URL:-sqlite://$work/e2e.db}" LEPTOS_SITE_ROOT=target/site LOG_LEVEL=warn \
  "${SERVER_BIN:-target/debug/backoffice}" serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

for _ in $(seq 1 120); do
  curl -sf -o /dev/null "$BASE_URL/readyz" && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.5
done

(cd end2end && npm test) || { echo "--- server log ---"; tail -n 50 "$work/server.log"; exit 1; }
