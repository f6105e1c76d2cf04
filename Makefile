# Two commands matter on a fresh machine: `make up` and `make test`.
# Everything else is a step of theirs that can be run on its own.
SHELL := /bin/bash
GO ?= go
# The tools are compiled as the images' Go programs are (static, -trimpath,
# no VCS stamp): the packages both link, k8s.io/client-go v0.34.4 and the
# rest, are then compiled once in the Go build cache, not once per flag set.
export CGO_ENABLED := 0
export GOFLAGS := -trimpath -buildvcs=false

.PHONY: help up down node-add node-remove nodes probes test test-short verify e2e schemas images node-image bench-app bench-cluster bench-gitops bench-cold

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

up: ## the local cluster, Flux from the local git server synced to HEAD, then the post-sync probes
	$(GO) run ./tools/up --summary-file .cache/up-summary.txt
	@# The probes' tables, then the app URL and next commands again, last.
	$(GO) run ./tools/verify --live; rc=$$?; cat .cache/up-summary.txt; exit $$rc

probes: ## the post-sync probes on the live cluster (PROBES=name,... selects)
	$(GO) run ./tools/verify --live $(if $(PROBES),--probe $(PROBES))

down: ## delete the cluster and check nothing is left behind
	$(GO) run ./tools/down

node-add: ## join one more worker (NAME=<cluster>-... names it; default the next parallel-poc-addedN)
	$(GO) run ./tools/nodes add $(if $(NAME),--name $(NAME))

node-remove: ## cordon, drain (paced by PDBs) and delete an added worker, its container and volume: NODE=name
	@test -n "$(NODE)" || { echo "usage: make node-remove NODE=<name> (make nodes lists them)"; exit 2; }
	$(GO) run ./tools/nodes remove $(NODE)

nodes: ## the cluster's node containers, and which were added after creation
	$(GO) run ./tools/nodes list

test: test-short verify e2e ## every test tier: unit, manifests, then the live cluster

test-short: ## unit tests, no cluster, seconds
	$(GO) vet ./...
	$(GO) test -short -count=1 ./...

e2e: ## end-to-end tier: reuses a healthy cluster or brings (and removes) its own
	PARALLEL_POC_E2E=1 $(GO) test ./tools/e2e -count=1 -v -timeout 80m

verify: ## render, schema-check and policy-check every overlay (the PR check)
	$(GO) run ./tools/verify

schemas: ## regenerate tools/schemas from the pinned Kubernetes OpenAPI and CRDs
	$(GO) run ./tools/schemagen

images: ## build the app, load-generator and certgen OCI archives into .cache/images
	$(GO) run ./tools/imagebuild

node-image: ## build the kind node image from pinned sources (cached by recipe)
	$(GO) run ./tools/nodeimage

bench-cluster: ## node image build time, make up to Ready, idle cluster memory
	$(GO) run ./tools/bench/cluster

bench-cold: ## make up from nothing (empty caches, no cluster): the step table, CPU-bound or waiting
	$(GO) run ./tools/bench/cold $(if $(RECREATE),-recreate)

bench-app: ## requests/s of the app on loopback, with vs without its metrics middleware
	$(GO) run ./tools/bench/apprps

bench-gitops: ## push-to-applied latency of Flux, median of N (5) pushes, beside the intervals
	$(GO) run ./tools/bench/gitops $(if $(N),-n $(N))
