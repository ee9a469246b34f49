# mcp-edge-pool: `make demo` runs the demo, `make test` runs every test. Both set themselves up.
SHELL := /bin/bash
ENV := . scripts/env.sh &&
# No incremental caches (about 1.5 GB for the host and wasm32 test builds): `make` builds each
# target once; a developer's own `cargo test` keeps them.
export CARGO_INCREMENTAL ?= 0

.PHONY: all setup pkg demo test test-native test-lint test-wasm test-pkg test-node test-conformance test-workerd test-www soak fuzz bench audit clean

all: test

setup:
	@scripts/setup.sh

pkg: setup
	@$(ENV) scripts/build-pkg.sh

demo: pkg
	@$(ENV) node demo/run.mjs

test: setup
	@$(MAKE) --no-print-directory test-native test-lint test-wasm pkg test-pkg test-node test-conformance test-workerd test-www
	@echo "make test: all suites passed (target/ now $$(du -sh target 2>/dev/null | cut -f1))"

test-native:
	cargo test --locked

test-lint:
	cargo fmt --check
	cargo clippy --locked --all-targets -- -D warnings
	cargo clippy --locked --all-targets --target wasm32-unknown-unknown -- -D warnings
	cargo build --locked --target wasm32-unknown-unknown --lib
	cargo check --locked --manifest-path fuzz/Cargo.toml --bins

test-wasm:
	@$(ENV) scripts/test-wasm.sh

test-pkg:
	@$(ENV) node --test tests/js/ tests/pkg/ tests/types/

test-node:
	@$(ENV) scripts/test-node.sh

test-conformance:
	@$(ENV) scripts/test-conformance.sh

test-workerd:
	@$(ENV) node --test tests/workerd/

test-www:
	@$(ENV) node --test tests/www/

# Long runs, outside `make test`: see RELIABILITY.md and BENCHMARKS.md.
soak: pkg
	@$(ENV) node tests/soak/soak.mjs $(CYCLES) --http-client fetch
	@$(ENV) node tests/soak/soak.mjs $(CYCLES) --http-client node

fuzz: setup
	@scripts/fuzz.sh $(SECONDS_PER_TARGET)

audit:
	@scripts/audit.sh $(ADVISORY_DB)

bench: pkg
	@$(ENV) scripts/bench.sh

clean:
	rm -rf target pkg tests/node/node_modules tests/conformance/node_modules tests/types/node_modules
