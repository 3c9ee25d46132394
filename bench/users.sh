#!/usr/bin/env bash
# The users registry at scale on SQLite, from a release build: bench/databases.sh for SQLite only.
# Seeds N users (100,000 by default), then prints the users search matrix (p50/p95 per case), the
# HTML size of the users pages and their requests per second under wrk.
# Usage: bash bench/users.sh [N]   (BENCH_SKIP_BUILD=1 reuses the release build)
set -euo pipefail
exec bash "$(dirname "$0")/databases.sh" --sqlite "${1:-100000}"
