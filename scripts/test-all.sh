#!/usr/bin/env bash
# Every check and test: formatting, lints, unit and integration tests (on SQLite, then again on a
# throwaway PostgreSQL), then Playwright end-to-end tests in Debian's Chromium against the real
# server, and a Playwright pass through nginx ending TLS in front of two instances on PostgreSQL.
# Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-toolchain.sh --test

# A one-off build gains nothing from incremental state, which is half of target/ on disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

cargo fmt --check
cargo clippy --locked --all-targets --features ssr -- -D warnings
cargo clippy --locked --lib --no-default-features --features hydrate --target wasm32-unknown-unknown -- -D warnings

cargo leptos build --split
cargo test --locked --features ssr
bash scripts/with-postgres.sh cargo test --locked --features ssr --test integration
bash scripts/e2e.sh
bash scripts/with-postgres.sh bash scripts/through-nginx.sh
