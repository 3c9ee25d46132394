#!/usr/bin/env bash
# Installs what building the app needs, idempotently: the wasm target, cargo-leptos, wasm-bindgen-cli,
# and the npm build tools (Tailwind, wasm-opt). With --test it also installs Debian's Chromium, the
# end-to-end test packages, Debian's PostgreSQL server (the integration suite runs on it too) and
# Debian's nginx (a Playwright pass runs through it). Versions and the reasons for them:
# ../shared/TOOLCHAIN.md.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.129 # must equal the wasm-bindgen pin in Cargo.toml
export DEBIAN_FRONTEND=noninteractive
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

rustup target list --installed | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown

# The build tools run for seconds per build, so they are compiled cheaply: at opt-level 1, without
# LTO (wasm-bindgen unoptimised would take long over the app's wasm). Both install in about 16
# minutes on a fresh 2-core machine instead of 25 (README, "Build times").
export CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false \
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=false

cargo leptos --version 2>/dev/null | grep -qx "cargo-leptos $CARGO_LEPTOS_VERSION" \
  || cargo install --locked cargo-leptos --version "$CARGO_LEPTOS_VERSION" --features no_downloads

wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WASM_BINDGEN_VERSION" \
  || cargo install --locked wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
unset CARGO_PROFILE_RELEASE_OPT_LEVEL CARGO_PROFILE_RELEASE_LTO CARGO_PROFILE_RELEASE_CODEGEN_UNITS \
  CARGO_PROFILE_RELEASE_DEBUG

# `npm install`, not `npm ci`: see TOOLCHAIN.md (npm 11 lockfiles for @tailwindcss/cli).
[ -x node_modules/.bin/tailwindcss ] && [ -x node_modules/binaryen/bin/wasm-opt ] \
  || npm install --no-audit --no-fund
# cargo-leptos runs node_modules/.bin/wasm-opt: ours, which `make run` can turn off (see it).
ln -sfn ../../scripts/wasm-opt node_modules/.bin/wasm-opt

if [ "${1:-}" = "--test" ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
  [ -x /usr/sbin/nginx ] || missing+=(nginx)
  command -v envsubst >/dev/null || missing+=(gettext-base)
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update
    apt-get install -y "${missing[@]}"
  fi
  [ -d end2end/node_modules/playwright-core ] && [ -d end2end/node_modules/axe-core ] \
    || (cd end2end && npm install --no-audit --no-fund)
fi
