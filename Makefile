# roster — `make` builds bin/roster; `make test` is THE test command.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

# Extra arguments for go test, e.g. make test TESTFLAGS='-run Foo -v'
TESTFLAGS ?=
export TESTFLAGS

GO ?= go

.DEFAULT_GOAL := build

.PHONY: build run test test-sqlite bench lint fmt clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/roster ./cmd/roster

run:
	$(GO) run ./cmd/roster serve --demo --data ./tmp/roster-data

# Starts a throwaway PostgreSQL (installing it first if needed and possible)
# and runs the whole suite with -race against it.
test:
	bash scripts/test.sh

# Same suite without PostgreSQL (PG subtests skip unless CI=true).
test-sqlite:
	env -u ROSTER_TEST_DATABASE_URL $(GO) test -race -count=1 $(TESTFLAGS) ./...

# The query benchmark: BENCH_USERS demo users (seeded once into
# tmp/bench-N), the index build time, p50/p95 of the query mix and the
# process's resident memory. Then the Go micro-benchmarks.
BENCH_USERS ?= 1000000
bench: build
	./bin/roster bench --users $(BENCH_USERS) --data ./tmp/bench-$(BENCH_USERS) --log-level warn
	./bin/roster bench-mail --users $(BENCH_USERS) --data ./tmp/bench-mail-$(BENCH_USERS) --log-level warn
	./bin/roster bench-member --users $(BENCH_USERS) --data ./tmp/bench-member-$(BENCH_USERS) --log-level warn
	./bin/roster bench-scim --users $(BENCH_USERS) --data ./tmp/bench-$(BENCH_USERS) --log-level warn
	$(GO) test -run '^$$' -bench . -benchmem ./...

# golangci-lint, pinned, installed from the Go module proxy into tmp/tools
# on first use (its build takes a few minutes once).
GOLANGCI_VERSION := v2.15.0
GOLANGCI := tmp/tools/golangci-lint-$(GOLANGCI_VERSION)

$(GOLANGCI):
	mkdir -p tmp/tools
	GOBIN=$(CURDIR)/tmp/tools $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)
	mv tmp/tools/golangci-lint $(GOLANGCI)

lint: $(GOLANGCI)
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed on:"; gofmt -l .; exit 1; }
	$(GOLANGCI) run ./...

fmt:
	gofmt -w .

clean:
	rm -rf bin/ tmp/ *.test *.out *.prof
