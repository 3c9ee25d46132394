#!/usr/bin/env bash
# Runs the Playwright tests in end2end/ against the server ($SERVER_BIN, default the debug build) in
# sandbox mode, in E2E_SHARDS groups side by side (2 by default). Each file gets a server of its own
# on a fresh SQLite database; each group takes the next file whenever its last one is done. The
# longest start first, so the short ones even out the end: the accessibility sweep (a short file
# that visits every page as every role), then the rest largest first. Much of a browser test is
# waiting (for hydration, a countdown, a webhook), so two groups on this 2-core machine take ~60% of
# one's time.
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

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(cd end2end && echo tests/a11y.test.js && ls -S tests/*.test.js | grep -v '^tests/a11y\.')
fi

# The index of the next file no group has taken yet (one group at a time asks).
echo 0 >"$work/next"
take() {
  local lock index
  exec {lock}>"$work/next.lock"
  flock "$lock"
  index=$(<"$work/next")
  echo $((index + 1)) >"$work/next"
  exec {lock}>&-
  echo "$index"
}

# One test file against a server of its own on a free port with a fresh SQLite database, so no file
# sees what another left behind, whichever group takes it and after what (the server is up in ~1 s).
run_file() {
  local index=$1 port base_url token failed=0
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  base_url="http://127.0.0.1:$port"
  # The token the tests deliver webhooks with, as P100 would.
  token="e2e-webhook-token-$port"
  STEP_UP_WINDOW=5s BIND_ADDR="127.0.0.1:$port" P100_WEBHOOK_SECRET="$token" DATABASE_URL="sqlite://$work/e2e-$index.db" \
    LEPTOS_SITE_ROOT=target/site LOG_LEVEL=warn "${SERVER_BIN:-target/debug/backoffice}" serve >"$work/server-$index.log" 2>&1 &
  server=$!
  for _ in $(seq 1 240); do
    curl -sf -o /dev/null "$base_url/readyz" && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server-$index.log"; return 1; }
    sleep 0.25
  done
  (cd end2end && BASE_URL="$base_url" WEBHOOK_TOKEN="$token" node --test "${files[$index]}") \
    || { failed=1; echo "--- server log ---"; tail -n 50 "$work/server-$index.log"; }
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  return "$failed"
}

# One group: files from the queue until none is left. Its output goes to $work/<n>.log.
run_group() {
  local index failed=0 server=""
  trap 'if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi' EXIT
  while index=$(take) && [ "$index" -lt ${#files[@]} ]; do
    echo "--- ${files[$index]}"
    run_file "$index" || failed=1
  done
  return "$failed"
}

[ "$shards" -le ${#files[@]} ] || shards=${#files[@]}
for ((n = 0; n < shards; n++)); do
  run_group >"$work/$n.log" 2>&1 &
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
