# Tidemark: `make serve` starts the service on the default socket and data directory,
# `make test` runs the whole suite. Both install liblmdb-dev first when it is missing.

SWIFT ?= swift
SERVE_ARGS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build release serve test clean

all: build

# The one system dependency: LMDB's headers and library (Debian's liblmdb-dev).
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists lmdb; then \
		echo "installing liblmdb-dev"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq liblmdb-dev pkg-config; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product tidemark

# Runs in the foreground; stop it with Ctrl-C (SIGINT), which shuts down gracefully.
serve: release
	$$($(SWIFT) build -c release --show-bin-path)/tidemark serve $(SERVE_ARGS)

# Builds everything (the end-to-end tests start the real `tidemark` binary) and runs
# every test.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test
	@# The protocol conformance suite against a real `tidemark serve` (stopped by PID, even on failure).
	@bin=$$($(SWIFT) build --show-bin-path); dir=$$(mktemp -d /tmp/tm-conf-XXXXXX); pid=; \
	trap 'if [ -n "$$pid" ]; then kill $$pid 2>/dev/null; wait $$pid 2>/dev/null; fi; rm -rf "$$dir"' EXIT; \
	"$$bin/tidemark" serve --socket "$$dir/tidemark.sock" --data "$$dir/data" & pid=$$!; \
	for i in $$(seq 300); do "$$bin/tidemark" stats --socket "$$dir/tidemark.sock" >/dev/null 2>&1 && break; sleep 0.1; done; \
	"$$bin/tidemark" conformance --socket "$$dir/tidemark.sock"

clean:
	rm -rf .build
