# The two commands a newcomer needs:
#   make run    builds and runs the service on the embedded store with demo data, prints the URL
#   make test   runs every check and test (formatting, lints, both store backends, browser tests)
# Everything else here is a helper of those two.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: run test lint unit-tests browser-tests screenshots web-deps chromium coturn pg-up bench bench-http bench-sfu demo clean-data

# The pages' npm packages (KERN-UX) come first; without npm the service still starts, unstyled.
run:
	@if [ -d web/node_modules/@kern-ux/native ]; then :; \
	elif command -v npm >/dev/null; then npm ci --prefix web --no-audit --no-fund \
	  || echo "npm ci --prefix web failed: the pages will be unstyled" >&2; \
	else echo "npm is missing: the pages will be unstyled (KERN-UX comes from npm ci --prefix web)" >&2; fi
	$(CARGO) run --quiet -p api --bin buergeramt -- serve --demo

# Browser tests run after the cargo tests (they are slower and need the binary anyway).
test: lint unit-tests
	$(MAKE) browser-tests

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# PostgreSQL is brought up (or started as a throwaway cluster) first; the PostgreSQL suites
# never skip silently: without a server they fail. The TURN tests start their own coturn.
unit-tests: coturn
	BUERGERAMT_TEST_DATABASE_URL="$$(scripts/pg-up.sh)" $(CARGO) test --workspace --exclude buergeramt-bench --locked --no-fail-fast

# The real binary in Debian's chromium (playwright-core) with axe-core; see tests/browser/.
# Never skipped: without chromium, and not root to install it, this fails and says why.
browser-tests: chromium coturn web-deps
	npm ci --prefix tests/browser --no-audit --no-fund
	$(CARGO) build --quiet -p api --bin buergeramt --locked
	node --test tests/browser/

# Refreshes the README's screenshots in docs/screenshots.
screenshots:
	BUERGERAMT_SCREENSHOT_DIR="$(CURDIR)/docs/screenshots" $(MAKE) browser-tests

web-deps:
	npm ci --prefix web --no-audit --no-fund

# libfaketime: booking.test.js starts the server's clock on a weekday morning (check-in needs
# an appointment today, and the demo offices are closed at night and at weekends).
chromium:
	@if [ -x /usr/bin/chromium ] && ls /usr/lib/*/faketime/libfaketimeMT.so.1 >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium libfaketime; \
	else \
	  echo "/usr/bin/chromium or libfaketime is missing and installing them needs root: run 'sudo apt-get install chromium libfaketime' (Debian), then 'make browser-tests' again" >&2; \
	  exit 1; \
	fi

# Debian's coturn (`turnserver`, `turnadmin`) for the TURN tests, which start their own instances
# on loopback on free ports (a coturn service that the package may start does not disturb them).
coturn:
	@if [ -x /usr/bin/turnserver ] && [ -x /usr/bin/turnadmin ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq coturn; \
	else \
	  echo "/usr/bin/turnserver is missing and installing it needs root: run 'sudo apt-get install coturn' (Debian), then 'make test' again" >&2; \
	  exit 1; \
	fi

pg-up:
	@scripts/pg-up.sh

bench:
	BUERGERAMT_TEST_DATABASE_URL="$$(scripts/pg-up.sh)" $(CARGO) bench -p buergeramt-bench --locked --bench store
	$(MAKE) bench-http
	$(MAKE) bench-sfu

# N concurrent 1:1 calls of synthetic WebRTC peers through one SFU, against a direct baseline.
bench-sfu:
	$(CARGO) run --release --locked -p media --example sfu_bench -- 20 10

# The real binary (release build) under 64 concurrent HTTP clients, on PostgreSQL and SQLite.
bench-http:
	$(CARGO) build --release --locked -p api --bin buergeramt
	BUERGERAMT_TEST_DATABASE_URL="$$(scripts/pg-up.sh)" $(CARGO) bench -p buergeramt-bench --locked --bench http

demo:
	$(CARGO) run --quiet -p api --bin buergeramt -- demo

clean-data:
	rm -rf ./data
