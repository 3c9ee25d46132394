#!/usr/bin/env bash
# Runs the Playwright tests in end2end/ against the server ($SERVER_BIN, default the debug build) in
# sandbox mode. The test files are dealt, in name order, into E2E_SHARDS groups (2 by default): each
# group has its own server on a free port with a fresh SQLite database, and runs its files one after
# another; the groups run side by side. Much of a browser test is waiting (for hydration, a
# countdown, a webhook), so two groups on this 2-core machine take ~60% of one's time.
# Usage: bash scripts/e2e.sh [test files under end2end/, all by default]
set -euo pipefail
cd "$(dirname "$0")/.."

shards=${E2E_SHARDS:-2}
work=$(mktemp -d)
groups=() # the running groups' process ids
stop() {
  for group in "${groups[@]}"; do kill "$group" 2>/dev/null || true; wait "$group" 2>/dev/null || true; done
  rm -rf "$work"
}
trap stop EXIT

if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(cd end2end && ls tests/*.test.js | sort); fi

# One group: a server, then its files against it. Its output goes to $work/<n>.log.
run_group() {
  local n=$1 port base_url token server
  shift
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  base_url="http://127.0.0.1:$port"
  # The token the tests deliver webhooks with, as P100 would.
  token="e2e-webhook-token-$port"
  STEP_UP_WINDOW=5s BIND_ADDR="127.0.0.1:$port" P100_WEBHOOK_SECRET="$token" DATABASE_URL="sqlite://$work/e2e-$n.db" \
    LEPTOS_SITE_ROOT=target/site LOG_LEVEL=warn "${SERVER_BIN:-target/debug/backoffice}" serve >"$work/server-$n.log" 2>&1 &
  server=$!
  trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do
    curl -sf -o /dev/null "$base_url/readyz" && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server-$n.log"; return 1; }
    sleep 0.5
  done
  (cd end2end && BASE_URL="$base_url" WEBHOOK_TOKEN="$token" node --test --test-concurrency=1 "$@") \
    || { echo "--- server log ---"; tail -n 50 "$work/server-$n.log"; return 1; }
}

[ "$shards" -le ${#files[@]} ] || shards=${#files[@]}
for ((n = 0; n < shards; n++)); do
  group=()
  for ((i = n; i < ${#files[@]}; i += shards)); do group+=("${files[$i]}"); done
  run_group "$n" "${group[@]}" >"$work/$n.log" 2>&1 &
  groups+=($!)
done

failed=0
for ((n = 0; n < shards; n++)); do
  wait "${groups[$n]}" || failed=1
  echo "=== end2end group $((n + 1)) of $shards"
  cat "$work/$n.log"
done
groups=()
exit "$failed"
