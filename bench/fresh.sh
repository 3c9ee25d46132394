#!/usr/bin/env bash
# From `git clone` to the first page, as a new engineer on a fresh machine: clones this repository
# (its HEAD) into a temporary folder and runs the README's `make run` there with empty tool
# folders, so nothing installed or cached is reused (CARGO_HOME: crates and the build tools;
# npm's cache; the clone's own target/ and node_modules/). Prints the minutes until the sign-in
# page answers. Then it changes one line under src/app and runs `make run` again: the minutes a
# small change costs.
# What it cannot empty: the Rust toolchain itself (rustup's, as on every machine of this kind) and
# the wasm32 target when already added (adding it takes seconds). Build tools installed earlier with
# cargo are kept off PATH.
# Usage: bash bench/fresh.sh   (BENCH_KEEP=1 keeps the temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run=""
stop() {
  [ -z "$run" ] || { kill -- "-$run" 2>/dev/null || true; wait "$run" 2>/dev/null || true; }
  run=""
}
trap 'stop; [ "${BENCH_KEEP:-}" = 1 ] || rm -rf "$work"' EXIT

git clone -q . "$work/app"
# The toolchain's own commands (rustup's proxies) and nothing else this machine installed with cargo:
# the build tools must come from the clone's `make run`.
rustup_bin=$(dirname "$(command -v rustup)")
mkdir -p "$work/toolchain"
for tool in cargo rustc rustup rustdoc rust-gdb rust-lldb; do
  [ -e "$rustup_bin/$tool" ] && ln -s "$rustup_bin/$tool" "$work/toolchain/$tool"
done
path=$(tr ':' '\n' <<<"$PATH" | grep -vx "$rustup_bin" | paste -sd:)
export CARGO_HOME="$work/cargo" npm_config_cache="$work/npm-cache"
export PATH="$CARGO_HOME/bin:$work/toolchain:$path" BIND_ADDR="127.0.0.1:$port"
unset CARGO_TARGET_DIR RUSTFLAGS
command -v cargo-leptos wasm-bindgen >/dev/null && { echo "build tools still on PATH"; exit 1; }

# `make run` in the clone, in its own process group; the minutes until the page answers.
first_page() {
  local started=$SECONDS
  (cd "$work/app" && exec setsid make run >"$work/$1.log" 2>&1) &
  run=$!
  until curl -sf -o /dev/null "http://$BIND_ADDR/sign-in"; do
    kill -0 "$run" 2>/dev/null || { tail -n 30 "$work/$1.log"; echo "make run stopped"; exit 1; }
    sleep 2
  done
  awk -v s=$((SECONDS - started)) -v what="$2" 'BEGIN { printf "%s: %d min %02d s\n", what, s / 60, s % 60 }'
  stop
}

echo "== $(nproc) cores; $(git rev-parse --short HEAD)"
first_page fresh "clone -> first page (tools, dependencies, the app)"
sed -i 's|"Everyone the back office onboarded.|"Everyone the back office has onboarded.|' "$work/app/src/app/pages/users/mod.rs"
first_page change "one line changed in src/app -> first page"
