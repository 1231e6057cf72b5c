# SyncLedger: the two commands that matter are `make demo` and `make test`; both install what
# they need first.

SWIFT ?= swift
CASE ?=
# Debian packages the build and the tests need: the C libraries (LMDB, OpenSSL's libcrypto for
# digests, libmicrohttpd for the HTTP server, libyaml for YAML), pkg-config to find them, and
# Python's LMDB binding for the test that decodes a ledger independently.
DEBIAN_PACKAGES = liblmdb-dev libssl-dev libmicrohttpd-dev libyaml-dev pkg-config python3 python3-lmdb util-linux

.PHONY: deps build demo test bench lint format clean

deps:
	@bash scripts/install-deps.sh $(DEBIAN_PACKAGES)

build: deps
	$(SWIFT) build

# The main job's story, told by the real engine against the sandbox (see docs/demo.md). Built
# for release: the debug build takes about twice as long, too close to the minute it aims for.
demo: deps
	$(SWIFT) build -c release --product syncledger
	"$$($(SWIFT) build -c release --show-bin-path)/syncledger" demo

# The command-line tests wait for child processes on the threads they run on. They run in a
# process of their own so that those waits never hold up the in-process tests, which check
# concurrency with wall-clock deadlines on the same two-thread pool.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip '^CLITests\.'
	$(SWIFT) test --skip-build --filter '^CLITests\.'

bench: deps
	$(SWIFT) build -c release --product syncledger-bench
	"$$($(SWIFT) build -c release --show-bin-path)/syncledger-bench" $(CASE)

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Benchmarks

format:
	$(SWIFT) format format --in-place --recursive Sources Tests Benchmarks

clean:
	rm -rf .build
