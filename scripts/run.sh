#!/usr/bin/env bash
# Sets up and runs the back office on its embedded defaults: SQLite under data/, the built-in P100
# sandbox, demo staff (see README). Any variable from .env.example can be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-toolchain.sh
cargo leptos build --release --split
exec env LEPTOS_ENV=PROD target/release/backoffice serve
