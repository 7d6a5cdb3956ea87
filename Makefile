# dbaas-operator: one DatabaseCluster and OpsRequest API over CloudNativePG, Percona
# and Strimzi. `make help` lists the targets.

# Tools and binaries live in bin/ (git-ignored).
LOCALBIN ?= $(CURDIR)/bin
# K8S_BIN holds etcd, kube-apiserver, kube-controller-manager and kubectl for tests and
# `make dev`.
K8S_BIN ?= $(LOCALBIN)/k8s

CONTROLLER_TOOLS_VERSION ?= v0.23.0
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
CUE ?= $(LOCALBIN)/cue
HELM ?= $(LOCALBIN)/helm
STATICCHECK_VERSION ?= v0.8.2

# GO_TEST_FLAGS are passed to `go test` by `make test`.
GO_TEST_FLAGS ?= -race -timeout 45m
# DEV_ARGS are passed to `dbaasctl dev` by `make dev`.
DEV_ARGS ?=
# `make bench-scale` creates N clusters with WRITERS writers, soaks for SOAK and runs
# OPS operations, with SHARDS operator processes splitting the namespaces;
# BENCH_SCALE_ARGS adds flags of hack/benchscale (-json, -log-dir, …).
N ?= 1000
WRITERS ?= 10
SOAK ?= 30m
OPS ?= 50
SHARDS ?= 1
BENCH_SCALE_ARGS ?=

# GENERATED are the paths that generate, manifests and schemas write (schemas/gen is
# git-ignored).
GENERATED = api config/crd/bases config/rbac config/webhook charts/dbaas-operator/templates/generated schemas/api

# CI is "true" in CI, where `make test` also checks that generated files are committed.
CI ?=

SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: generate
generate: controller-gen ## Generate the DeepCopy methods of api/.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: manifests
manifests: controller-gen ## Generate the CRDs (config/crd/bases), the ClusterRole (config/rbac), the webhook configuration (config/webhook) and the chart's copies of them (charts/dbaas-operator/templates/generated).
	$(CONTROLLER_GEN) rbac:roleName=dbaas-operator crd webhook paths="./..." \
		output:crd:artifacts:config=config/crd/bases \
		output:rbac:artifacts:config=config/rbac \
		output:webhook:artifacts:config=config/webhook
	go run ./hack/chartgen

.PHONY: schemas
schemas: manifests cue child-crds ## Generate CUE schemas: schemas/api from our CRDs (committed), schemas/gen/<group> from the child CRDs in the module cache and bin/crds (git-ignored).
	CUE=$(CUE) hack/gen-schemas.sh

.PHONY: child-crds
child-crds: controller-gen ## Generate the child CRDs that no module ships (Strimzi's, from the Go types of strimzi-client-go) into bin/crds/, when missing or stale.
	go run ./internal/childcrds/gen -controller-gen $(CONTROLLER_GEN)

.PHONY: vet-samples
vet-samples: cue ## Check every config/samples/*.yaml against the CUE schema of its kind in schemas/api.
	CUE=$(CUE) hack/vet-samples.sh

.PHONY: fmt
fmt: ## Format the Go code.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet and fail on Go files that gofmt would change.
	go vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	if [[ -n $$unformatted ]]; then echo "gofmt would change these files (run make fmt):"; echo "$$unformatted"; exit 1; fi

.PHONY: lint
lint: vet ## Run vet and staticcheck.
	go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

.PHONY: verify-generated
verify-generated: generate manifests schemas ## Fail when generated files (api, config, schemas/api) differ from what is committed.
	@if ! git diff --exit-code --stat -- $(GENERATED); then \
		echo "generated files are out of date: run 'make generate manifests schemas' and commit the result"; exit 1; fi
	@untracked=$$(git status --porcelain --untracked-files=all -- $(GENERATED) | grep '^??' || true); \
	if [[ -n $$untracked ]]; then echo "generated files are not committed:"; echo "$$untracked"; exit 1; fi

.PHONY: test
test: k8s-bin cue child-crds schemas $(if $(filter true,$(CI)),verify-generated) vet-samples vet chart-check ## Run all Go tests against a real control plane (in CI also verify-generated).
	go test $(GO_TEST_FLAGS) ./...

# CHART is the operator's Helm chart; CHART_ALL_VALUES turns on every option.
CHART = charts/dbaas-operator
CHART_ALL_VALUES = $(CHART)/ci/all-values.yaml

.PHONY: chart-check
chart-check: helm ## Lint the Helm chart and render it with the default values and with every option on (the Go test in charts/ applies what it renders).
	$(HELM) lint --strict $(CHART)
	$(HELM) lint --strict $(CHART) -f $(CHART_ALL_VALUES)
	$(HELM) template dbaas $(CHART) --namespace dbaas-system >/dev/null
	$(HELM) template dbaas $(CHART) --namespace dbaas-system -f $(CHART_ALL_VALUES) >/dev/null

.PHONY: bench
bench: ## Run the benchmarks of internal/ and engines/.
	go test -run '^$$' -bench . -benchmem ./internal/... ./engines/...

.PHONY: bench-scale
bench-scale: k8s-bin child-crds build ## Measure the operator at scale (N, WRITERS, SOAK, OPS, SHARDS): the floor, convergence, soak, idle, ops; not part of `make test`.
	go build -o $(LOCALBIN)/benchscale ./hack/benchscale
	KUBEBUILDER_ASSETS=$(K8S_BIN) $(LOCALBIN)/benchscale -n $(N) -writers $(WRITERS) -soak $(SOAK) -ops $(OPS) -shards $(SHARDS) \
		-operator $(LOCALBIN)/dbaas-operator $(BENCH_SCALE_ARGS)

.PHONY: dev
dev: k8s-bin child-crds ## Start a local control plane with the operator: dbaasctl dev $(DEV_ARGS).
	go run ./cmd/dbaasctl dev $(DEV_ARGS)

.PHONY: verify-kustomize
verify-kustomize: k8s-bin ## Check that config/default, config/prometheus, config/grafana and config/samples render with kubectl kustomize.
	$(K8S_BIN)/kubectl kustomize config/default >/dev/null
	$(K8S_BIN)/kubectl kustomize config/prometheus >/dev/null
	$(K8S_BIN)/kubectl kustomize config/grafana >/dev/null
	$(K8S_BIN)/kubectl kustomize config/samples >/dev/null

##@ Build

.PHONY: build
build: kubectl-dbaas ## Build bin/dbaas-operator, bin/dbaasctl and the kubectl plugin bin/kubectl-dbaas.
	go build -o $(LOCALBIN)/dbaas-operator ./cmd/dbaas-operator

# kubectl-dbaas is dbaasctl under the name kubectl looks for: with bin/ on PATH,
# `kubectl dbaas list` runs `dbaasctl list`.
.PHONY: kubectl-dbaas
kubectl-dbaas: ## Build bin/dbaasctl and link bin/kubectl-dbaas to it (the kubectl plugin).
	go build -o $(LOCALBIN)/dbaasctl ./cmd/dbaasctl
	ln -sf dbaasctl $(LOCALBIN)/kubectl-dbaas

##@ Release

# VERSION is the version of the image (its tag, labels and --version) and of the
# release manifests; REGISTRY is where `make image-push` pushes
# $(REGISTRY)/dbaas-operator and what `make release` pins, e.g. ghcr.io/acme.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
REGISTRY ?=
# The image's one time (config, history, every file): SOURCE_DATE_EPOCH when set,
# otherwise the time of the last commit, so that two builds of a commit are
# byte-identical. IMAGE_SOURCE is the org.opencontainers.image.source label.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
IMAGE_REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
IMAGE_SOURCE ?= $(shell git remote get-url origin 2>/dev/null)
IMAGE_PLATFORMS ?= linux/amd64,linux/arm64
IMAGE_TAR = dist/dbaas-operator-$(VERSION).oci.tar

.PHONY: image
image: ## Build the operator's image for IMAGE_PLATFORMS without Docker into dist/dbaas-operator-$(VERSION).oci.tar (an OCI image layout).
	go run ./hack/image build -version '$(VERSION)' -revision '$(IMAGE_REVISION)' -source '$(IMAGE_SOURCE)' \
		-source-date-epoch '$(SOURCE_DATE_EPOCH)' -platforms '$(IMAGE_PLATFORMS)' -out $(IMAGE_TAR)

.PHONY: image-push
image-push: ## Push dist/dbaas-operator-$(VERSION).oci.tar to $(REGISTRY)/dbaas-operator:$(VERSION), with the credentials of docker or podman login.
	@[[ -n "$(REGISTRY)" ]] || { echo "set REGISTRY, e.g. make image-push REGISTRY=ghcr.io/acme"; exit 1; }
	go run ./hack/image push -in $(IMAGE_TAR) -registry '$(REGISTRY)' -tag '$(VERSION)'

.PHONY: release
release: k8s-bin ## Write dist/crds.yaml and dist/install.yaml from config/default, the operator pinned to $(REGISTRY)/dbaas-operator@<digest of dist/dbaas-operator-$(VERSION).oci.tar>.
	@[[ -n "$(REGISTRY)" ]] || { echo "set REGISTRY, e.g. make release REGISTRY=ghcr.io/acme"; exit 1; }
	go run ./hack/release -version '$(VERSION)' -registry '$(REGISTRY)' -image $(IMAGE_TAR) -kubectl $(K8S_BIN)/kubectl -out dist

##@ Tools

# k8s-bin builds etcd from tools/etcd and kube-apiserver, kube-controller-manager and
# kubectl from tools/, each when missing or older than its module's go.mod or go.sum.
# KUBE_VERSION stamps the version that the Kubernetes binaries report.
KUBE_CMDS = kube-apiserver kube-controller-manager kubectl
KUBE_VERSION = $(shell cd tools && go list -m -f '{{.Version}}' k8s.io/kubernetes)
KUBE_LDFLAGS = $(foreach pkg,k8s.io/component-base/version k8s.io/client-go/pkg/version,\
	-X $(pkg).gitVersion=$(KUBE_VERSION) \
	-X $(pkg).gitMajor=$(word 1,$(subst ., ,$(patsubst v%,%,$(KUBE_VERSION)))) \
	-X $(pkg).gitMinor=$(word 2,$(subst ., ,$(patsubst v%,%,$(KUBE_VERSION)))) \
	-X $(pkg).gitTreeState=clean)

.PHONY: k8s-bin
k8s-bin: ## Build etcd, kube-apiserver, kube-controller-manager and kubectl into bin/k8s from the Go modules in tools/ (when missing or stale).
	@stale() { local bin=$$1; shift; [[ ! -x $$bin ]] && return 0; for f in "$$@"; do [[ $$f -nt $$bin ]] && return 0; done; return 1; }; \
	build_etcd=false; kube_cmds=(); \
	if stale $(K8S_BIN)/etcd tools/etcd/go.mod tools/etcd/go.sum; then build_etcd=true; fi; \
	for cmd in $(KUBE_CMDS); do \
		if stale $(K8S_BIN)/$$cmd tools/go.mod tools/go.sum; then kube_cmds+=($$cmd); fi; \
	done; \
	names=("$${kube_cmds[@]}"); if $$build_etcd; then names=(etcd "$${names[@]}"); fi; \
	if (( $${#names[@]} )); then \
		echo "building $${names[*]} from Go modules (a first build of all takes ~10 minutes on 2 cores)…"; \
		mkdir -p $(K8S_BIN); \
	fi; \
	if $$build_etcd; then \
		(cd tools/etcd && go build -o $(K8S_BIN)/etcd go.etcd.io/etcd/server/v3); \
	fi; \
	if (( $${#kube_cmds[@]} )); then \
		(cd tools && go build -ldflags "$(KUBE_LDFLAGS)" -o $(K8S_BIN)/ $${kube_cmds[@]/#/k8s.io/kubernetes/cmd/}); \
	fi

# HELM_VERSION is the helm.sh/helm/v4 version that tools/helm/go.mod requires.
HELM_VERSION = $(shell cd tools/helm && go list -m -f '{{.Version}}' helm.sh/helm/v4)

.PHONY: helm
helm: ## Build bin/helm from the Go module in tools/helm (when missing or older than its go.mod or go.sum).
	@if ! [[ -x $(HELM) ]] || [[ tools/helm/go.mod -nt $(HELM) ]] || [[ tools/helm/go.sum -nt $(HELM) ]]; then \
		echo "building helm $(HELM_VERSION) from Go modules"; \
		(cd tools/helm && go build -trimpath -ldflags "-X helm.sh/helm/v4/internal/version.version=$(HELM_VERSION) -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
			-o $(HELM) helm.sh/helm/v4/cmd/helm); \
	fi

.PHONY: controller-gen
controller-gen: ## Install controller-gen $(CONTROLLER_TOOLS_VERSION) into bin/ when missing or of another version.
	@if ! [[ -x $(CONTROLLER_GEN) ]] || ! $(CONTROLLER_GEN) --version | grep -qF '$(CONTROLLER_TOOLS_VERSION)'; then \
		echo "installing controller-gen $(CONTROLLER_TOOLS_VERSION)"; \
		GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION); \
	fi

.PHONY: cue
cue: ## Build bin/cue at the cuelang.org/go version go.mod requires, when missing or of another version.
	@want=$$(go list -m -f '{{.Version}}' cuelang.org/go); \
	if ! [[ -x $(CUE) ]] || ! $(CUE) version | grep -qF "cue version $$want"; then \
		echo "building cue $$want"; \
		go build -o $(CUE) cuelang.org/go/cmd/cue; \
	fi
