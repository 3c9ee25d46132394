#!/usr/bin/env bash
# The users registry at scale, from a release build: seeds 100,000 users (examples/seed_users.rs)
# into a fresh SQLite database, starts the server on it, and prints
#   - p50/p95 of the users search server function (loopback round trip: an upper bound of server
#     time) for prefix searches, filters, and paging through 40 pages by name and by date
#   - requests per second for the server-rendered users page under a bounded loopback load (wrk)
# Usage: bash bench/users.sh   (BENCH_SKIP_BUILD=1 reuses the release build; BENCH_USERS=N to change the count)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null; }
[ "${BENCH_SKIP_BUILD:-}" = 1 ] || { bash scripts/install-toolchain.sh; cargo leptos build --release --split; }
cargo build --release --locked --features ssr --example seed_users 2>&1 | tail -n 1

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
db="sqlite://$work/users.db"
target/release/examples/seed_users "$db" "${BENCH_USERS:-100000}"

BIND_ADDR="127.0.0.1:$port" DATABASE_URL="$db" LOG_LEVEL=warn LEPTOS_ENV=PROD target/release/backoffice serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do curl -sf -o /dev/null "$base/readyz" && break; sleep 0.25; done

curl -s -o /dev/null -c "$work/jar" -H 'content-type: application/json' \
  -d '{"email":"compliance@sandbox.test","password":"sandbox-compliance","next":null}' "$base/api/auth/sign_in"
cookie=$(awk '$6 == "backoffice_session" { print $6 "=" $7 }' "$work/jar")

python3 bench/users_search.py "$port" "$cookie"

page="$base/users?q=anna&kyc=verified"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "cookie: $cookie" -H 'accept: text/html' "$page")
[ "$status" = 200 ] || { echo "users page answered $status"; exit 1; }
echo "== GET /users?q=anna&kyc=verified (server-rendered, 100k users): wrk, 2 threads, 8 connections, 10 s"
wrk -t2 -c8 -d10s --latency -H "cookie: $cookie" -H 'accept: text/html' "$page" \
  | grep -E 'Requests/sec|Latency|50%|90%|99%|requests in|Non-2xx'
echo "== server RSS after load: $(ps -o rss= -p "$server" | awk '{ printf "%.1f MB", $1/1024 }')"
