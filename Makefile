# Shipwave build and test entry points. `make run` and `make test` are the only
# two commands a newcomer needs; every tool they use is installed from here.

SHELL := /bin/bash
GO ?= go
NODE_BIN := $(CURDIR)/node_modules/.bin
BUILD_DIR := $(CURDIR)/.build
FUNCTIONS := $(notdir $(wildcard functions/*))
GOTEST_FLAGS ?= -count=1 -timeout 12m

# phase prints the line every phase of `make test` starts with, stamped
# with the UTC time, so a slow phase shows in the log: $(call phase,name).
phase = printf '==> %s %s\n' "$$(date -u +%H:%M:%S)" "$(1)"

# The simulation (shared/sim) checks every invariant of DESIGN.md §6.
# SIM_SKIP=name,name ignores some (while one is being fixed); empty: none.
# In make test a failing seed is replayed SIM_CONFIRM times and fails the
# run only if a replay fails too (goroutine interleavings can differ; see
# docs/simulation.md); make soak and replays by hand fail on any violation.
SIM_SKIP ?=
export SIM_SKIP

export SHIPWAVE_DYNALITE := $(NODE_BIN)/dynalite
export SHIPWAVE_NODE_BIN := $(NODE_BIN)

.PHONY: all run test soak browser build sizes loadgen-image lint template-lint events deps npm-deps go-deps deploy clean fmt fuzz bench

all: build

## deps: install pinned Go modules and npm dev tools (project-local).
deps: go-deps npm-deps

go-deps:
	@$(call phase,go-deps)
	$(GO) mod download

npm-deps:
	@$(call phase,npm-deps)
	@$(MAKE) --no-print-directory node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## run: the main job, locally, on embedded defaults. API=HOST:PORT moves
## the local API (default 127.0.0.1:8081).
run: deps
	@echo "[make run] building bin/shipwave (the first build compiles the AWS SDK: a few minutes; later builds take seconds)"
	@set -o pipefail; $(GO) build -v -o bin/shipwave ./cmd/shipwave 2>&1 | \
	  awk '/^#|: /{print; next} {n++; if (n % 40 == 0) {printf "[make run] compiled %d packages…\n", n; fflush()}}'
	@echo "[make run] built; starting the local demo"
	@bin/shipwave local demo $(if $(API),--api $(API))

## browser: what the operator-surface tests drive: headless Chromium for
## tests/dashboard and tmux for the CLI's terminal test (Debian packages).
browser:
	@$(call phase,browser)
	@for p in chromium tmux; do command -v $$p >/dev/null || { echo "[make] installing $$p for the dashboard and terminal tests"; apt-get install -y $$p || { apt-get update && apt-get install -y $$p; }; }; done

## test: the whole suite (lint + template lint + unit + integration against
## dynalite and moto_server + end-to-end). moto_server and cfn-lint (with
## aws-sam-translator) must be on PATH: `pip install 'moto[server]' cfn-lint`.
## Phases print a "==> time name" line when they start. The end-to-end
## package runs last, on its own, so its time shows separately.
## The executables tests run as processes (cmd/loadgen, cmd/shipwave) are
## built once, here, for every package (shared/testbin reads SHIPWAVE_TESTBIN).
TESTBIN := $(BUILD_DIR)/testbin
## The packages whose tests run goroutines against each other run under the
## race detector instead (once, not twice). The simulation and the local
## stack are left out: under -race they would double the suite's time.
RACE_PKGS := ./shared/control ./shared/controlengine ./shared/states/... ./shared/store/... ./shared/notify/... \
  ./shared/fleet/... ./shared/loadtest/... ./shared/httpapi ./shared/triggers ./shared/chatops/...
test: export SIM_CONFIRM := 3
test: deps lint template-lint browser
	@$(call phase,test binaries)
	@mkdir -p $(TESTBIN)
	$(GO) build -o $(TESTBIN)/ ./cmd/loadgen ./cmd/shipwave
	@$(call phase,unit+integration)
	SHIPWAVE_TESTBIN=$(TESTBIN) $(GO) test $(GOTEST_FLAGS) $$($(GO) list ./... | grep -v '/tests/e2e$$' | grep -vxF "$$($(GO) list $(RACE_PKGS))")
	@$(call phase,race: unit+integration of the packages with goroutines)
	SHIPWAVE_TESTBIN=$(TESTBIN) $(GO) test -race $(GOTEST_FLAGS) $(RACE_PKGS)
	@$(call phase,e2e)
	SHIPWAVE_TESTBIN=$(TESTBIN) $(GO) test $(GOTEST_FLAGS) ./tests/e2e
	@$(call phase,done)

## soak: 100,000 simulated histories (shared/sim; about 20 minutes on 2 cores).
soak: go-deps
	$(GO) test -count=1 -timeout 120m ./shared/sim -run 'TestSimulation$$' -sim.n=100000 -sim.show=5 -v

## template-lint: cfn-lint on template.yaml (cfn-lint runs the SAM transform
## itself) and on the CloudFormation template the SAM translator makes of it
## (tests/template/sam-translate.py), in one run. Nothing is ignored
## globally; the one SAM false positive is ignored on its resource in
## template.yaml, with the reason: W1028 on HttpApi (SAM nests the
## conditional /alexa route's Fn::If HasAlexa inside another).
template-lint:
	@$(call phase,template-lint)
	@command -v cfn-lint >/dev/null || { echo "cfn-lint not found on PATH: pip install cfn-lint (it brings aws-sam-translator)"; exit 1; }
	@mkdir -p $(BUILD_DIR)
	python3 tests/template/sam-translate.py template.yaml > $(BUILD_DIR)/template.transformed.json
	cfn-lint template.yaml $(BUILD_DIR)/template.transformed.json

## lint: gofmt, go vet and staticcheck must be clean.
lint: go-deps
	@$(call phase,lint: gofmt)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	@$(call phase,lint: go vet)
	$(GO) vet ./...
	@$(call phase,lint: staticcheck)
	$(GO) tool staticcheck ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

## build: every function as a bootstrap for provided.al2023 on arm64, in
## .build/<name>/bootstrap (reproducible: -trimpath, no build id, no VCS stamp).
LAMBDA_GOFLAGS := -tags lambda.norpc -trimpath -buildvcs=false -ldflags='-s -w -buildid='
LAMBDA_ENV := GOOS=linux GOARCH=arm64 CGO_ENABLED=0

build: go-deps
	@set -e; for f in $(FUNCTIONS); do \
	  echo "build functions/$$f"; \
	  mkdir -p $(BUILD_DIR)/$$f; \
	  $(LAMBDA_ENV) $(GO) build $(LAMBDA_GOFLAGS) -o $(BUILD_DIR)/$$f/bootstrap ./functions/$$f; \
	done

## sizes: build, then list each stripped bootstrap's size in bytes.
sizes: build
	@for f in $(FUNCTIONS); do printf '%s %s\n' "$$f" "$$(stat -c %s $(BUILD_DIR)/$$f/bootstrap)"; done

# sam build (BuildMethod: makefile) runs build-<LogicalId> with ARTIFACTS_DIR
# set; each target builds one function straight into it. template.yaml's
# functions and these targets are checked against each other by
# tests/template.
define sam-build
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_GOFLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(1)
endef

build-TriggerFunction: ; $(call sam-build,trigger)
build-RecordFunction: ; $(call sam-build,record)
build-ApprovalFunction: ; $(call sam-build,approval)
build-LockFunction: ; $(call sam-build,lock)
build-ShiftFunction: ; $(call sam-build,shift)
build-HookFunction: ; $(call sam-build,hook)
build-BakeFunction: ; $(call sam-build,bake)
build-SyntheticFunction: ; $(call sam-build,synthetic)
build-FinalizeFunction: ; $(call sam-build,finalize)
build-RollbackFunction: ; $(call sam-build,rollback)
build-AlarmWatchFunction: ; $(call sam-build,alarmwatch)
build-ReconcileFunction: ; $(call sam-build,reconcile)
build-LoadTestAggregateFunction: ; $(call sam-build,loadtest-aggregate)
build-ApiFunction: ; $(call sam-build,api)
build-WebhookFunction: ; $(call sam-build,webhook)
build-SlackFunction: ; $(call sam-build,slack)
build-NotifyFunction: ; $(call sam-build,notify)
build-AlexaFunction: ; $(call sam-build,alexa)
build-CodePipelineFunction: ; $(call sam-build,codepipeline)
build-ScheduleFunction: ; $(call sam-build,schedule)
build-CodeDeployHookFunction: ; $(call sam-build,codedeploy-hook)

## events: copies of the signed Slack samples, re-signed now with the test
## secret (shipwave-sample-secret), in .build/events, for
## `sam local invoke SlackFunction -e .build/events/http-slack-deploy.json`
## within five minutes (docs/deploying.md, "Invoking functions locally").
events:
	$(GO) run ./cmd/sampleevents -secret shipwave-sample-secret -out $(BUILD_DIR)/events events/http-slack-*.json

## loadgen-image: the load-test container (cmd/loadgen) for linux/arm64.
## Push it to the stack's LoadGenRepository (see docs/deploying.md).
LOADGEN_IMAGE ?= shipwave-loadgen:latest
loadgen-image:
	docker build --platform linux/arm64 -f cmd/loadgen/Dockerfile -t $(LOADGEN_IMAGE) .

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

## deploy: sam build, then sam deploy with samconfig.toml (ENV=default|dev|prod).
## sam deploy ships what sam build put in .aws-sam/build; `make build`'s
## .build/ binaries are not what it uploads.
ENV ?= default
deploy: go-deps
	sam build --config-env $(ENV)
	sam deploy --config-env $(ENV)

clean:
	rm -rf $(BUILD_DIR) node_modules
