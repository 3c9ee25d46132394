#!/usr/bin/env bash
# Every check and test: formatting, lints, unit and integration tests (on SQLite, then again on a
# throwaway PostgreSQL), then Playwright end-to-end tests in Debian's Chromium against the real
# server, and a Playwright pass through nginx ending TLS in front of two instances on PostgreSQL.
# Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step, then how long it took and how busy the machine's cores were meanwhile (bench/ reports
# the whole against its target; a step well under 100 % is waiting on something, not computing).
busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
step() {
  local started=$SECONDS busy0 all0 busy1 all1
  read -r busy0 all0 < <(busy_ticks)
  "$@"
  read -r busy1 all1 < <(busy_ticks)
  echo "== step done in $((SECONDS - started)) s, cores $((100 * (busy1 - busy0) / (all1 - all0 + 1))) % busy: $*"
}

step bash scripts/install-toolchain.sh --test

# A one-off build gains nothing from incremental state, which is half of target/ on disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

step cargo fmt --check
step cargo clippy --locked --all-targets --features ssr -- -D warnings
step cargo clippy --locked --lib --no-default-features --features hydrate --target wasm32-unknown-unknown -- -D warnings

step cargo leptos build --split
# Four at a time on two cores: the integration tests spend a third of their time waiting on
# sockets and timers (140 s with two, 97 s with four).
step cargo test --locked --features ssr -- --test-threads=4
step bash scripts/with-postgres.sh cargo test --locked --features ssr --test integration -- --test-threads=4
step bash scripts/e2e.sh
step bash scripts/with-postgres.sh bash scripts/through-nginx.sh
echo "== every check and test passed in $((SECONDS / 60)) min $((SECONDS % 60)) s"
