# CareLedger. The two commands that matter: `make run` and `make test`.
# Every tool is installed by a prerequisite below that skips work already done.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
# Builds read the committed .sqlx/ query data, never a live database.
export SQLX_OFFLINE := true

STAMPS := target/.stamps
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/version = "\(.*\)"/\1/p}' Cargo.lock)
SQLX_CLI_VERSION := 0.8.6
PG_ADMIN_URL ?= postgres://postgres@127.0.0.1:5432/postgres
# The database `cargo sqlx prepare --check` compares the committed query data against.
SQLX_CHECK_DB := postgres://postgres@127.0.0.1:5432/careledger_sqlx_check

.PHONY: run test bench bench-compare build web contracts contracts-check sqlx-prepare sqlx-check forge-test rust-test \
        deps deps-test reset clean-stamps fmt fmt-check lint screenshots

## run: start PostgreSQL (if needed), the chain, the contracts, the api and the web app
run: deps build web
	@scripts/run.sh

## test: formatting and lints, then every test: Rust (real PostgreSQL + Anvil), browser, contracts (forge), generated-file checks
test: fmt-check lint deps-test contracts-check sqlx-check web rust-test forge-test
	@echo "make test: all suites passed"

## fmt: format every Rust file (rustfmt.toml)
fmt:
	cargo fmt --all

fmt-check:
	cargo fmt --all --check

## lint: clippy on every crate and target, warnings as errors (the web app for wasm32 too)
lint: deps
	cargo clippy --workspace --all-targets --exclude careledger-web -- -D warnings
	cargo clippy -p careledger-web --target wasm32-unknown-unknown -- -D warnings

## screenshots: copy the browser tests' screenshots (target/screenshots/) to docs/screenshots/
screenshots:
	@test -n "$$(ls target/screenshots/*.png 2>/dev/null)" || { echo "no screenshots: run the browser tests first (make test)"; exit 1; }
	cp target/screenshots/*.png docs/screenshots/

build: deps
	cargo build -p careledger

web: deps
	@scripts/build-web.sh

contracts: $(STAMPS)/npm
	node contracts/tools/build.mjs

contracts-check: $(STAMPS)/npm
	node contracts/tools/build.mjs --check

forge-test: $(STAMPS)/npm
	contracts/tools/forge-test.sh

rust-test: deps
	DATABASE_URL=$(PG_ADMIN_URL) cargo test -p careledger -p careledger-password -p careledger-bench -p careledger-vocab --no-fail-fast

## bench: the standard benchmark set on Anvil and Ganache; writes docs/PERFORMANCE.md
bench: deps web
	cargo build --release -p careledger -p careledger-bench
	@scripts/bench.sh

## bench-compare: this checkout against BASE=<revision>, side by side in alternating rounds
bench-compare: deps
	@scripts/bench-compare.sh

## sqlx-prepare: regenerate .sqlx/ after changing a query (needs PostgreSQL)
sqlx-prepare: $(STAMPS)/sqlx-cli
	@scripts/sqlx-db.sh $(SQLX_CHECK_DB)
	SQLX_OFFLINE=false DATABASE_URL=$(SQLX_CHECK_DB) cargo sqlx prepare --workspace -- -p careledger --all-targets

sqlx-check: $(STAMPS)/sqlx-cli
	@scripts/sqlx-db.sh $(SQLX_CHECK_DB)
	SQLX_OFFLINE=false DATABASE_URL=$(SQLX_CHECK_DB) cargo sqlx prepare --check --workspace -- -p careledger --all-targets

## reset: delete the local database and chain state (asks first)
reset:
	@scripts/reset.sh

deps: $(STAMPS)/npm $(STAMPS)/wasm-target $(STAMPS)/wasm-bindgen-$(WASM_BINDGEN_VERSION) $(STAMPS)/openssl
deps-test: deps $(STAMPS)/sqlx-cli $(STAMPS)/chromium

$(STAMPS):
	@mkdir -p $@

# `npm ci`: installs exactly what the lock pins and never rewrites it.
$(STAMPS)/npm: package.json package-lock.json | $(STAMPS)
	npm ci --no-audit --no-fund
	@touch $@

$(STAMPS)/wasm-target: rust-toolchain.toml | $(STAMPS)
	rustup target add wasm32-unknown-unknown
	@touch $@

$(STAMPS)/wasm-bindgen-$(WASM_BINDGEN_VERSION): Cargo.lock | $(STAMPS)
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (matches Cargo.lock)"; \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@touch $@

$(STAMPS)/sqlx-cli: | $(STAMPS)
	@if ! cargo sqlx --version 2>/dev/null | grep -q "$(SQLX_CLI_VERSION)"; then \
	  cargo install sqlx-cli --version $(SQLX_CLI_VERSION) --no-default-features --features postgres,rustls; \
	fi
	@touch $@

# OpenSSL's headers and pkg-config: webauthn-rs (passkeys) links OpenSSL.
$(STAMPS)/openssl: | $(STAMPS)
	@scripts/install-openssl.sh
	@touch $@

$(STAMPS)/chromium: | $(STAMPS)
	@scripts/install-chromium.sh
	@touch $@

clean-stamps:
	rm -rf $(STAMPS)
