# The two commands a newcomer needs:
#   make run    builds and runs the service on the embedded store with demo data, prints the URL
#   make test   runs every check and test (formatting, lints, both store backends)
# Everything else here is a helper of those two.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: run test lint unit-tests pg-up bench demo clean-data

run:
	$(CARGO) run --quiet -p api --bin buergeramt -- serve --demo

test: lint unit-tests

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# PostgreSQL is brought up (or started as a throwaway cluster) first; the PostgreSQL suites
# never skip silently: without a server they fail.
unit-tests:
	BUERGERAMT_TEST_DATABASE_URL="$$(scripts/pg-up.sh)" $(CARGO) test --workspace --exclude buergeramt-bench --locked --no-fail-fast

pg-up:
	@scripts/pg-up.sh

bench:
	BUERGERAMT_TEST_DATABASE_URL="$$(scripts/pg-up.sh)" $(CARGO) bench -p buergeramt-bench --locked

demo:
	$(CARGO) run --quiet -p api --bin buergeramt -- demo

clean-data:
	rm -rf ./data
