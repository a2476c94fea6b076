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
	@# The local-reading tests list LMDB's reader table with mdb_stat.
	@if ! command -v mdb_stat >/dev/null 2>&1; then \
		echo "installing lmdb-utils"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq lmdb-utils; \
	fi
	@# The capture tests run private PostgreSQL clusters (initdb, pg_ctl, psql).
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v psql >/dev/null 2>&1; then \
		echo "installing postgresql"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql postgresql-client; \
	fi
	@# The etcd client's tests run private 3-member etcd clusters (Debian's etcd-server, 3.4).
	@if ! command -v etcd >/dev/null 2>&1 || ! command -v etcdctl >/dev/null 2>&1; then \
		echo "installing etcd-server and etcd-client"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq etcd-server etcd-client; \
	fi
	@# The report test opens `tidemark report` output in headless Chromium.
	@if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then \
		echo "installing chromium"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; \
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
	@# The checks that harm a server (-32005, -32001, -32002, -32006) against a second one started
	@# for them; the suite stops it with SIGTERM, after which its data must still verify clean.
	@bin=$$($(SWIFT) build --show-bin-path); dir=$$(mktemp -d /tmp/tm-disp-XXXXXX); pid=; \
	trap 'if [ -n "$$pid" ]; then kill $$pid 2>/dev/null; wait $$pid 2>/dev/null; fi; rm -rf "$$dir"' EXIT; \
	"$$bin/tidemark" serve --socket "$$dir/tidemark.sock" --data "$$dir/data" \
		--map-size 2MiB --max-queued-writes 4 --readers uid:4294967294 & pid=$$!; \
	for i in $$(seq 300); do [ -S "$$dir/tidemark.sock" ] && break; sleep 0.1; done; \
	"$$bin/tidemark" conformance --socket "$$dir/tidemark.sock" --disposable || exit 1; \
	wait $$pid; status=$$?; pid=; [ $$status -eq 0 ] || { echo "the disposable server exited $$status"; exit 1; }; \
	"$$bin/tidemark" verify --data "$$dir/data"
	@# The conformance suite against a server on the etcd backend, on a private 3-member
	@# cluster (examples/etcd-cluster): what the backend does not offer yet is counted apart.
	@bin=$$($(SWIFT) build --show-bin-path); dir=$$(mktemp -d /tmp/tm-conf-etcd-XXXXXX); pid=; \
	trap 'if [ -n "$$pid" ]; then kill $$pid 2>/dev/null; wait $$pid 2>/dev/null; fi; examples/etcd-cluster stop "$$dir/etcd"; rm -rf "$$dir"' EXIT; \
	endpoints=$$(examples/etcd-cluster start "$$dir/etcd" 31470) || exit 1; \
	"$$bin/tidemark" serve --backend etcd --etcd "$$endpoints" --socket "$$dir/tidemark.sock" & pid=$$!; \
	for i in $$(seq 300); do [ -S "$$dir/tidemark.sock" ] && break; sleep 0.1; done; \
	"$$bin/tidemark" conformance --socket "$$dir/tidemark.sock"
	@# The Python client's tests against the real binary (examples/python), on a data
	@# directory and then on the etcd backend (a private cluster; each server its own prefix).
	examples/python/run-tests "$$($(SWIFT) build --show-bin-path)/tidemark"
	@bin=$$($(SWIFT) build --show-bin-path); dir=$$(mktemp -d /tmp/tm-py-etcd-XXXXXX); \
	trap 'examples/etcd-cluster stop "$$dir/etcd"; rm -rf "$$dir"' EXIT; \
	endpoints=$$(examples/etcd-cluster start "$$dir/etcd" 31570) || exit 1; \
	echo "== the Python client's tests, Tidemark on the etcd backend"; \
	TIDEMARK_TEST_ETCD="$$endpoints" examples/python/run-tests "$$bin/tidemark"
	@# The Django query cache's tests on SQLite and PostgreSQL (installed and started if missing).
	examples/django/run-tests "$$($(SWIFT) build --show-bin-path)/tidemark"
	@# A minute of fuzzing framing, decoding and dispatch (`make fuzz` for longer runs).
	$(MAKE) fuzz-short

# libFuzzer over framing, decoding and dispatch (Sources/TidemarkFuzz), built in its own
# scratch path so the sanitizer flags never reach the normal build. `make fuzz` runs for
# FUZZ_SECONDS from seeds made of protocol/conformance; crash inputs land in
# $(FUZZ_SCRATCH)/artifacts (the Swift backtracer is off, or it would take the crash
# signal before libFuzzer saves the input; replay one: `swift build --product tidemark-fuzz` then
# `$$(swift build --show-bin-path)/tidemark-fuzz FILE`). FUZZ_CORPUS keeps the corpus.
FUZZ_SECONDS ?= 600
# `fuzz-short` (in `make test`) builds in debug: a third of the build time, a quarter of
# the speed, plenty for a minute's smoke run.
FUZZ_CONFIG ?= release
FUZZ_SCRATCH ?= .build-fuzz-$(FUZZ_CONFIG)
FUZZ_CORPUS ?=
FUZZ_BUILD = $(SWIFT) build -c $(FUZZ_CONFIG) --product tidemark-fuzz --scratch-path $(FUZZ_SCRATCH) \
	-Xswiftc -sanitize=fuzzer -Xswiftc -DTIDEMARK_FUZZ -Xswiftc -enable-testing -Xswiftc -use-ld=lld

.PHONY: fuzz fuzz-short fuzz-build

fuzz-build: deps
	$(FUZZ_BUILD)

fuzz: fuzz-build
	@bin=$$($(FUZZ_BUILD) --show-bin-path)/tidemark-fuzz; work=$$(mktemp -d /tmp/tm-fuzz-XXXXXX); \
	trap 'rm -rf "$$work"' EXIT; corpus="$(FUZZ_CORPUS)"; corpus="$${corpus:-$$work/corpus}"; \
	mkdir -p "$$corpus" "$$work/store" $(FUZZ_SCRATCH)/artifacts; \
	"$$bin" --write-seeds protocol/conformance "$$work/seeds" && \
	SWIFT_BACKTRACE=enable=no TIDEMARK_FUZZ_DIR="$$work/store" "$$bin" -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=20 \
		-rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=$(FUZZ_SCRATCH)/artifacts/ \
		"$$corpus" "$$work/seeds"

fuzz-short:
	$(MAKE) fuzz FUZZ_SECONDS=60 FUZZ_CONFIG=debug

# Soak (not part of `make test`): SOAK_SECONDS (default 600) of mixed load from 50 clients
# with watchers against the release build, then the invariants (clean SIGTERM, `verify`,
# every acknowledged write in the log after a restart) and VmRSS at minute 1 and the end.
SOAK_SECONDS ?= 600

.PHONY: soak

soak: release
	python3 Benchmarks/soak.py --binary "$$($(SWIFT) build -c release --show-bin-path)/tidemark" --seconds $(SOAK_SECONDS)

clean:
	rm -rf .build
