#!/usr/bin/env bash
# Figures for the closing note, from a release build:
#   - hydrate wasm size, raw and brotli (budget: <= 1.0 MB raw, <= 300 KB brotli)
#   - server time per sign-in (argon2id at the OWASP cost dominates it, by design)
#   - requests per second and latency for an authenticated page under a bounded loopback load (wrk)
#   - the sandbox's request latency under the same load
#   - payouts submitted one by one, the payouts list, the reconciliation report and finance home
#     over 5,200 movements, and a 100,000-row streamed export
# Usage: bash bench/run.sh            (BENCH_SKIP_BUILD=1 to reuse the current release build)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null; }
[ "${BENCH_SKIP_BUILD:-}" = 1 ] || { bash scripts/install-toolchain.sh; cargo leptos build --release --split; }

echo "== sizes (the budget is for the first load: the main wasm; each page's code loads with it or later)"
node -e '
  const fs = require("fs"), zlib = require("zlib"), pkg = "target/site/pkg/";
  const size = (f) => {
    const raw = fs.readFileSync(pkg + f);
    const br = zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } });
    return [raw.length, zlib.gzipSync(raw, { level: 9 }).length, br.length];
  };
  const show = (name, [raw, gz, br]) => console.log(`${name}: ${raw} B raw, ${gz} B gzip -9, ${br} B brotli -q 11`);
  for (const f of ["backoffice.wasm", "backoffice.js", "backoffice.css"]) show(f, size(f));
  // Each lazy page and the split-out files it needs (cargo leptos --split writes the manifest).
  const manifest = JSON.parse(fs.readFileSync(pkg + "__wasm_split_manifest.json", "utf8"));
  const main = size("backoffice.wasm");
  let heaviest = null;
  for (const [fn, chunks] of Object.entries(manifest)) {
    if (!fn.includes("_route_view_")) continue;
    const total = chunks.map((c) => size(c + ".wasm")).reduce((a, b) => a.map((x, i) => x + b[i]), [0, 0, 0]);
    const page = fn.replace(/^__/, "").replace(/_route_view_.*/, "");
    show(`  page ${page} (its own files)`, total);
    const first = main.map((x, i) => x + total[i]);
    if (!heaviest || first[0] > heaviest[1][0]) heaviest = [page, first];
  }
  show(`first load of the heaviest page (${heaviest[0]}): main + its files`, heaviest[1]);
'

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
sandbox_key=bench-sandbox-key
BIND_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$work/bench.db" LOG_LEVEL=warn LEPTOS_ENV=PROD SANDBOX_API_KEY=$sandbox_key \
  target/release/backoffice serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do curl -sf -o /dev/null "$base/readyz" && break; sleep 0.25; done

echo "== sign-in (30 sequential, seconds per request as seen by curl on loopback)"
for _ in $(seq 1 30); do
  curl -s -o /dev/null -w '%{time_total}\n' -c "$work/jar" -H 'content-type: application/json' \
    -d '{"email":"admin@sandbox.test","password":"sandbox-admin","next":null}' "$base/api/auth/sign_in"
done | sort -n | awk '{ t[NR] = $1 } END { printf "p50 %.1f ms, p95 %.1f ms, max %.1f ms\n", t[int(NR*0.5)]*1000, t[int(NR*0.95)]*1000, t[NR]*1000 }'

cookie=$(awk '$6 == "backoffice_session" { print $6 "=" $7 }' "$work/jar")
page="$base/audit"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "cookie: $cookie" -H 'accept: text/html' "$page")
[ "$status" = 200 ] || { echo "authenticated page answered $status"; exit 1; }

echo "== authenticated page GET /audit (server-rendered, signed in as admin): wrk, 2 threads, 16 connections, 10 s"
wrk -t2 -c16 -d10s --latency -H "cookie: $cookie" -H 'accept: text/html' "$page" \
  | grep -E 'Requests/sec|Latency|50%|90%|99%|requests in|Non-2xx'
echo "== sandbox GET /v1/partner/balances (the simulated P100, over loopback): wrk, 2 threads, 16 connections, 10 s"
wrk -t2 -c16 -d10s --latency -H "x-api-key: $sandbox_key" "$base/sandbox/p100/v1/partner/balances" \
  | grep -E 'Requests/sec|Latency|50%|90%|99%|requests in|Non-2xx'
echo "== sandbox GET /v1/user/demo-0042/transactions"
wrk -t2 -c16 -d10s --latency -H "x-api-key: $sandbox_key" "$base/sandbox/p100/v1/user/demo-0042/transactions?limit=50" \
  | grep -E 'Requests/sec|Latency|50%|90%|99%|requests in|Non-2xx'
echo "== history page POST /api/balances/history (partner, EUR only; reads P100 page by page): wrk, 2 threads, 16 connections, 10 s"
cat >"$work/history.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = '{"holder":"Partner","filter":{"currency":"eur"}}'
LUA
wrk -t2 -c16 -d10s --latency -s "$work/history.lua" -H "cookie: $cookie" "$base/api/balances/history" \
  | grep -E 'Requests/sec|Latency|50%|90%|99%|requests in|Non-2xx'
echo "== payouts: 200 SEPA payouts of 5 EUR, each reviewed then submitted (recorded, audited, sent to the sandbox), one after another"
sepa='{"Sepa":{"holder":"Partner","beneficiary":"Bench","iban":"DE89370400440532013000","bic":"","amount":"5","reference":"bench"}}'
for _ in $(seq 1 200); do
  key=$(curl -s -H "cookie: $cookie" -H 'content-type: application/json' -d "{\"input\":$sepa}" "$base/api/payouts/review" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')
  curl -s -o /dev/null -w '%{time_total}\n' -H "cookie: $cookie" -H 'content-type: application/json' \
    -d "{\"input\":$sepa,\"key\":\"$key\"}" "$base/api/payouts/submit"
done | sort -n | awk '{ t[NR] = $1 } END { printf "submit: p50 %.1f ms, p95 %.1f ms, max %.1f ms\n", t[int(NR*0.5)]*1000, t[int(NR*0.95)]*1000, t[NR]*1000 }'
echo "== payouts list POST /api/payouts/list (200 rows): wrk, 2 threads, 16 connections, 10 s"
cat >"$work/payouts.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = '{"filter":{}}'
LUA
wrk -t2 -c16 -d10s --latency -s "$work/payouts.lua" -H "cookie: $cookie" "$base/api/payouts/list" \
  | grep -E 'Requests/sec|Latency|50%|90%|99%|requests in|Non-2xx'
echo "== reconciliation: 5,000 more SEPA payouts recorded today (as sent, with P100 ids), then the report and the finance home"
python3 - "$work/bench.db" <<'PY'
import json, sqlite3, sys, uuid, datetime
db = sqlite3.connect(sys.argv[1], timeout=30)
admin = db.execute("SELECT id FROM staff WHERE email = 'admin@sandbox.test'").fetchone()[0]
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
body = json.dumps({"amount": "5.00", "currency": "eur", "destinationIban": "DE89370400440532013000", "transferTitle": "bench"})
rows = [(str(uuid.uuid4()), "sepa", "eur", "5.00", "1.00", "DE89370400440532013000", body, str(uuid.uuid4()), "completed",
         str(uuid.uuid4()), admin, now, now, now) for _ in range(5_000)]
db.executemany("""INSERT INTO movements (id, kind, currency, amount, fee, destination, details, idempotency_key, status,
    upstream_id, created_by, created_at, updated_at, submitted_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", rows)
db.commit()
PY
for call in "report:{\"filter\":{}}" "home:{}"; do
  name=${call%%:*}; body=${call#*:}
  printf 'wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\nwrk.body = [[%s]]\n' "$body" >"$work/$name.lua"
  echo "-- POST /api/reconciliation/$name (5,200 movements judged; the page gets the newest 500): wrk, 2 threads, 8 connections, 10 s"
  wrk -t2 -c8 -d10s --latency -s "$work/$name.lua" -H "cookie: $cookie" "$base/api/reconciliation/$name" \
    | grep -E 'Requests/sec|Latency|50%|90%|99%|requests in|Non-2xx'
done
echo "== server RSS after load: $(ps -o rss= -p "$server" | awk '{ printf "%.1f MB", $1/1024 }')"

echo "== history export: 100,000 more partner entries at P100, then GET /exports/transactions.csv (streamed)"
python3 - "$work/bench.db" <<'PY'
import sqlite3, sys, uuid
db = sqlite3.connect(sys.argv[1], timeout=30)
rows = [(str(uuid.uuid4()), "partner", "sepa_deposit", "eur", f"{i % 50000 + 1}.{i % 100:02d}", "SUCCESSFUL",
         f"2025-01-{i % 28 + 1:02d}T{i % 24:02d}:{i % 60:02d}:{i % 60:02d}.000Z") for i in range(100_000)]
db.executemany("INSERT INTO sandbox_transactions (id, owner, kind, currency, amount, status, created_at) VALUES (?,?,?,?,?,?,?)", rows)
db.commit()
PY
rss_before=$(ps -o rss= -p "$server")
peak=$rss_before
curl -s -o "$work/export.csv" -w '%{time_total} %{size_download}\n' -H "cookie: $cookie" "$base/exports/transactions.csv" >"$work/export.timing" &
fetch=$!
while kill -0 "$fetch" 2>/dev/null; do
  now=$(ps -o rss= -p "$server"); [ "$now" -gt "$peak" ] && peak=$now; sleep 0.1
done
read -r seconds bytes <"$work/export.timing"
echo "$(($(wc -l <"$work/export.csv") - 1)) rows, $bytes bytes in ${seconds}s; server RSS $((rss_before / 1024)) MB before, peak $((peak / 1024)) MB during"
