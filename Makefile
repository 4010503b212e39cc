# Shipwave build and test entry points. `make run` and `make test` are the only
# two commands a newcomer needs; every tool they use is installed from here.

SHELL := /bin/bash
GO ?= go
NODE_BIN := $(CURDIR)/node_modules/.bin
BUILD_DIR := $(CURDIR)/.build
FUNCTIONS := $(notdir $(wildcard functions/*))
GOTEST_FLAGS ?= -count=1 -timeout 12m

export SHIPWAVE_DYNALITE := $(NODE_BIN)/dynalite
export SHIPWAVE_NODE_BIN := $(NODE_BIN)

.PHONY: all run test build lint deps npm-deps go-deps deploy clean fmt fuzz bench

all: build

## deps: install pinned Go modules and npm dev tools (project-local).
deps: go-deps npm-deps

go-deps:
	$(GO) mod download

npm-deps: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## run: the main job, locally, on embedded defaults.
run: deps
	$(GO) run ./cmd/shipwave local demo

## test: the whole suite (lint + unit + integration against dynalite + end-to-end).
test: deps lint
	$(GO) test $(GOTEST_FLAGS) ./...

## lint: gofmt, go vet and staticcheck must be clean.
lint: go-deps
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

## build: every function as a bootstrap for provided.al2023 on arm64.
build: go-deps
	@set -e; for f in $(FUNCTIONS); do \
	  echo "build functions/$$f"; \
	  mkdir -p $(BUILD_DIR)/$$f; \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w -buildid=' \
	    -o $(BUILD_DIR)/$$f/bootstrap ./functions/$$f; \
	done

## fuzz: run every fuzz target briefly (FUZZTIME=30s to go longer).
FUZZTIME ?= 10s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

## bench: Go benchmarks (see docs/benchmarks.md for the scripts under tests/bench).
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...

## deploy: sam deploy with samconfig.toml (ENV=default|dev|prod).
ENV ?= default
deploy: build
	sam deploy --config-env $(ENV)

clean:
	rm -rf $(BUILD_DIR) node_modules
