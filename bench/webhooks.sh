#!/usr/bin/env bash
# Webhook intake under a bounded loopback load (wrk -t2 -c8 -d10s, each connection pausing 10 ms
# between deliveries: at most ~800 a second, under the per-source limit): authenticated deliveries to
# the registered base URL, each body different so each is verified, classified and stored (not taken
# as a redelivery), then answered 200; the worker applies them meanwhile, as in production. Every
# other delivery names a user in the registry (a sandbox user, its status said again), so half the
# events are applied through a write transaction while the intake stores the rest.
# Target: p99 <= 20 ms on this 2-core machine. A second run sends deliveries without our token (401
# and a count per source, or 429 once the source is over its limit).
# Usage: bash bench/webhooks.sh   (BENCH_SKIP_BUILD=1 to reuse the current release build;
#        BENCH_BIN=target/debug/backoffice to measure another build)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null; }
[ "${BENCH_SKIP_BUILD:-}" = 1 ] || cargo build --release --locked --features ssr --bin backoffice
bin=${BENCH_BIN:-target/release/backoffice}

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
BIND_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$work/bench.db" LOG_LEVEL=error P100_WEBHOOK_SECRET=bench-token \
  "$bin" serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 240); do curl -sf -o /dev/null "$base/readyz" && break; sleep 0.25; done

users=$(python3 -c "import sqlite3; print(','.join('\"%s\"' % r[0] for r in sqlite3.connect('$work/bench.db').execute('SELECT external_user_id FROM users LIMIT 20')))")
[ -n "$users" ] || { echo "no users in the registry to name" >&2; exit 1; }

script() {
  cat <<LUA
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "$1"
local n = 0
local users = { $users }
-- Each wrk thread has its own Lua state: a prefix of its own keeps the bodies different across threads.
local prefix = ""
init = function(args) prefix = tostring({}):sub(8) end
delay = function() return $2 end
request = function()
  n = n + 1
  local body
  if n % 2 == 0 then
    body = string.format('{"externalUserId":"bench-%s-%d","status":"ACTIVE"}', prefix, n)
  else
    body = string.format('{"externalUserId":"%s","status":"ACTIVE","delivery":"%s-%d"}', users[n % #users + 1], prefix, n)
  end
  return wrk.format(nil, "/webhooks/p100", nil, body)
end
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout
  io.write(string.format("%d requests, %.0f req/s, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, non-2xx or errors %d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000, errors))
end
LUA
}

echo "== authenticated deliveries (verify + store + 200)"
script bench-token 10 >"$work/ok.lua"
wrk -t2 -c8 -d10s -s "$work/ok.lua" "$base" | tail -n 1
stored=$(python3 -c "import sqlite3; print(sqlite3.connect('$work/bench.db').execute('SELECT COUNT(*) FROM webhook_events').fetchone()[0])")
echo "events stored: $stored"
sleep 5
left=$(python3 -c "import sqlite3; print(sqlite3.connect('$work/bench.db').execute(\"SELECT COUNT(*) FROM webhook_events WHERE status = 'received'\").fetchone()[0])")
echo "still waiting for the worker 5 s after the load: $left"

echo "== deliveries without our token (401 counted, or 429)"
script forged 0 >"$work/forged.lua"
wrk -t2 -c8 -d10s -s "$work/forged.lua" "$base" | tail -n 1
