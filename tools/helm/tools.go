//go:build tools

// Package helm pins the helm command that `make helm` builds into bin/helm, for
// `helm lint` and `helm template` of charts/dbaas-operator in `make test`. It is a
// module of its own so that Helm's Kubernetes libraries do not move the versions of
// the operator's (go.mod) or of the control plane's (tools/go.mod).
package helm

import _ "helm.sh/helm/v4/cmd/helm"
