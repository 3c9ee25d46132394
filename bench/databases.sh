#!/usr/bin/env bash
# The users search page and the approvals inbox on each database, from a release build. For SQLite
# and then for PostgreSQL (a throwaway server from scripts/with-postgres.sh: loopback, fsync off),
# it seeds N users (examples/seed_users.rs, timed) and 200 SEPA payouts waiting for a second member
# (reviewed and submitted through the app), starts the server on that database, and prints
#   - the users search matrix (bench/users_search.py: p50/p95 of every combination of filters,
#     terms, sorts and keyset pages)
#   - the HTML size of each page below, then requests per second and p50/p95/p99 latency under a
#     bounded loopback load (wrk: 2 threads, 8 connections, 10 s), signed in as compliance for the
#     users pages and as the second finance member for the inbox:
#     /users, /users?q=anna, /users?kyc=verified&account=ACTIVE (the widest pair of filters),
#     /users?q=anna&kyc=verified, /approvals
# Usage: bash bench/databases.sh [N]   (N users, 100,000 by default; BENCH_SKIP_BUILD=1 reuses the
# release build and the seeder; --sqlite measures SQLite only, as bench/users.sh does)
set -euo pipefail
cd "$(dirname "$0")/.."

server=""
work=""
stop() {
  [ -z "$server" ] || { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  [ -z "$work" ] || rm -rf "$work"
  server="" work=""
}
trap stop EXIT

# One database: the URL of an empty one, and its name for the report.
measure() {
  local url=$1 name=$2 port base
  work=$(mktemp -d)
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  echo "== $name"
  target/release/examples/seed_users "$url" "$users"
  BIND_ADDR="127.0.0.1:$port" DATABASE_URL="$url" LOG_LEVEL=warn LEPTOS_ENV=PROD SANDBOX_API_KEY=bench-sandbox-key \
    target/release/backoffice serve >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 240); do curl -sf -o /dev/null "$base/readyz" && break; sleep 0.25; done

  sign_in() { # handle -> cookie
    curl -s -o /dev/null -c "$work/$1.jar" -H 'content-type: application/json' \
      -d "{\"email\":\"$1@sandbox.test\",\"password\":\"sandbox-$1\",\"next\":null}" "$base/api/auth/sign_in"
    awk '$6 == "backoffice_session" { print $6 "=" $7 }' "$work/$1.jar"
  }
  local maker checker compliance
  maker=$(sign_in finance)
  checker=$(sign_in finance2)
  compliance=$(sign_in compliance)

  local sepa='{"Sepa":{"holder":"Partner","beneficiary":"Bench","iban":"DE89370400440532013000","bic":"","amount":"1001","reference":"bench"}}'
  for _ in $(seq 1 200); do
    key=$(curl -s -H "cookie: $maker" -H 'content-type: application/json' -d "{\"input\":$sepa}" "$base/api/payouts/review" \
      | python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')
    curl -sf -o /dev/null -H "cookie: $maker" -H 'content-type: application/json' \
      -d "{\"input\":$sepa,\"key\":\"$key\"}" "$base/api/payouts/submit"
  done
  echo "seeded; the inbox lists $(curl -s -H "cookie: $checker" -H 'accept: text/html' "$base/approvals" \
    | grep -o 'href="/approvals/[0-9a-f-]*"' | sort -u | wc -l) requests for finance2"

  python3 bench/users_search.py "$port" "$compliance"

  cat >"$work/percentiles.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("  %.0f requests/s, %d non-2xx; latency p50 %.1f ms, p95 %.1f ms, p99 %.1f ms\n",
    summary.requests / (summary.duration / 1e6), summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
LUA
  local pages=("users" "users?q=anna" "users?kyc=verified&account=ACTIVE" "users?q=anna&kyc=verified")
  for path in "${pages[@]}" approvals; do
    local cookie=$compliance
    [ "$path" != approvals ] || cookie=$checker
    read -r status bytes < <(curl -s -o /dev/null -w '%{http_code} %{size_download}\n' \
      -H "cookie: $cookie" -H 'accept: text/html' "$base/$path")
    [ "$status" = 200 ] || { echo "/$path answered $status"; return 1; }
    echo "GET /$path ($(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1024 }') KB of HTML)"
    wrk -t2 -c8 -d10s -s "$work/percentiles.lua" -H "cookie: $cookie" -H 'accept: text/html' "$base/$path" | grep requests/s
  done
  echo "server RSS after load: $(ps -o rss= -p "$server" | awk '{ printf "%.1f MB", $1/1024 }')"
  stop
}

if [ "${1:-}" = --postgres ]; then
  users=$2
  # Run by with-postgres.sh below: one database on its throwaway server.
  psql -q "$TEST_POSTGRES_URL" -c "CREATE DATABASE bench"
  measure "${TEST_POSTGRES_URL%/*}/bench" "PostgreSQL $(psql -Atc 'SHOW server_version' "$TEST_POSTGRES_URL")"
  exit
fi

case "${1:-}" in
  --sqlite) users=${2:-100000} ;;
  *) users=${1:-100000} ;;
esac
command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null; }
[ "${BENCH_SKIP_BUILD:-}" = 1 ] || { bash scripts/install-toolchain.sh; cargo leptos build --release --split; }
[ "${BENCH_SKIP_BUILD:-}" = 1 ] && [ -x target/release/examples/seed_users ] \
  || cargo build --release --locked --features ssr --example seed_users 2>&1 | tail -n 1

dir=$(mktemp -d)
measure "sqlite://$dir/bench.db" "SQLite (WAL, one file)"
rm -rf "$dir"
[ "${1:-}" = --sqlite ] || bash scripts/with-postgres.sh bash bench/databases.sh --postgres "$users"
