#!/usr/bin/env bash
# Sets up and runs the back office on its embedded defaults: SQLite under data/, the built-in P100
# sandbox, demo staff (see README). Any variable from .env.example can be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-toolchain.sh
# Optimised for this machine: wasm-opt's smaller files matter on a network, not here (scripts/wasm-opt).
WASM_OPT=off cargo leptos build --release --split
# Without the P100 variables this is the sandbox, chosen on purpose (the server warns when a
# production build falls into the sandbox without being told).
# The sandbox also makes demo money on its first start, so every list has rows to show.
if [ -z "${P100_BASE_URL:-}${P100_API_KEY:-}" ]; then
  export P100_MODE="${P100_MODE:-sandbox}" SANDBOX_DEMO_DATA="${SANDBOX_DEMO_DATA:-on}"
fi
exec env LEPTOS_ENV=PROD target/release/backoffice serve
