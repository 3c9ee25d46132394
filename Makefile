# The two commands a new engineer needs. Both install what is missing first.
.PHONY: run test

# Build and serve on http://127.0.0.1:3000 (SQLite, built-in P100 sandbox, demo staff).
run:
	bash scripts/run.sh

# Format and lint checks, unit and integration tests, then Playwright in Debian's Chromium.
test:
	bash scripts/test-all.sh
