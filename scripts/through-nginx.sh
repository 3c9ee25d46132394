#!/usr/bin/env bash
# The deployment deploy/backoffice.nginx.conf describes, run for real: nginx (Debian's package)
# ending TLS with a throwaway certificate in front of two app instances ($SERVER_BIN, default the
# debug build) on one PostgreSQL database, and the Playwright pass in end2end/proxy/ through it.
# Run inside scripts/with-postgres.sh (it provides TEST_POSTGRES_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${TEST_POSTGRES_URL:?run me inside scripts/with-postgres.sh}"

work=$(mktemp -d)
chmod 755 "$work"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
https_port=$(free_port)
app_ports=("$(free_port)" "$(free_port)")
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap stop EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$work/tls.key" -out "$work/tls.pem" 2>/dev/null

# nginx reaches the app from 127.0.0.2, the browser reaches nginx from 127.0.0.1: an audit row
# showing 127.0.0.2 would be the proxy's address, not the member's.
export DATABASE_URL="$TEST_POSTGRES_URL" P100_MODE=sandbox LEPTOS_SITE_ROOT=target/site LOG_LEVEL=warn \
  PUBLIC_URL="https://127.0.0.1:$https_port" TRUSTED_PROXIES=127.0.0.2 STEP_UP_WINDOW=1s \
  SESSION_KEY="$(openssl rand -hex 64)" SANDBOX_API_KEY="$(openssl rand -hex 24)" \
  P100_WEBHOOK_SECRET="$(openssl rand -hex 24)"
for i in 0 1; do
  BIND_ADDR="127.0.0.1:${app_ports[$i]}" "${SERVER_BIN:-target/debug/backoffice}" serve >"$work/app$i.log" 2>&1 &
  pids+=($!)
  # The first instance migrates the database before the second starts.
  for _ in $(seq 1 120); do
    curl -sf -o /dev/null "http://127.0.0.1:${app_ports[$i]}/readyz" && break
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/app$i.log"; exit 1; }
    sleep 0.5
  done
done

APP_1="127.0.0.1:${app_ports[0]}" APP_2="127.0.0.1:${app_ports[1]}" PROXY_ADDRESS=127.0.0.2 LISTEN="127.0.0.1:$https_port" \
  SERVER_NAME=localhost TLS_CERT="$work/tls.pem" TLS_KEY="$work/tls.key" \
  envsubst '${APP_1} ${APP_2} ${PROXY_ADDRESS} ${LISTEN} ${SERVER_NAME} ${TLS_CERT} ${TLS_KEY}' \
  <deploy/backoffice.nginx.conf >"$work/site.conf"
mkdir -p "$work/tmp"
chmod 777 "$work/tmp"
cat >"$work/nginx.conf" <<CONF
daemon off;
user www-data;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 256; }
http {
    log_format upstreams '\$remote_addr \$upstream_addr \$status "\$request"';
    access_log $work/nginx-access.log upstreams;
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    include $work/site.conf;
}
CONF
nginx -t -q -c "$work/nginx.conf" -e "$work/nginx-error.log"
nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" &
pids+=($!)
for _ in $(seq 1 60); do
  curl -skf -o /dev/null "https://127.0.0.1:$https_port/readyz" && break
  sleep 0.25
done

BASE_URL="https://127.0.0.1:$https_port" bash -c 'cd end2end && node --test --test-concurrency=1 proxy/' || {
  echo "--- nginx ---"; tail -n 20 "$work/nginx-error.log"
  for i in 0 1; do echo "--- app $i ---"; tail -n 30 "$work/app$i.log"; done
  exit 1
}

# Both instances answered.
for port in "${app_ports[@]}"; do
  grep -q " 127.0.0.1:$port " "$work/nginx-access.log" || { echo "instance on $port never answered through nginx" >&2; exit 1; }
done
echo "through nginx: $(wc -l <"$work/nginx-access.log") requests over TLS, shared by both instances"
