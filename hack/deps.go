//go:build tools

// Package hack pins modules the build uses for their files or commands rather than
// their Go packages: the child operators' CRDs (installed into test control planes
// straight from the module cache, see internal/childcrds), the Go types that
// Strimzi's CRDs are generated from (`make child-crds`), the cue command, and the CRDs
// of the kinds the Helm chart renders with its options on (cert-manager's, shipped in
// its module; the Prometheus Operator's, generated from its Go types), which the
// chart's test installs (charts/optional_crds_test.go).
//
// The Percona modules are not in the public checksum database: go.sum pins them, so
// builds need nothing more, but changing their versions needs
// GONOSUMDB=github.com/percona (for go get and go mod tidy).
package hack

import (
	_ "cuelang.org/go/cmd/cue"
	_ "github.com/RedHatInsights/strimzi-client-go/apis/kafka.strimzi.io/v1beta2"
	_ "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	_ "github.com/cloudnative-pg/cloudnative-pg/api/v1"
	_ "github.com/percona/percona-server-mongodb-operator/pkg/apis/psmdb/v1"
	_ "github.com/percona/percona-xtradb-cluster-operator/pkg/apis/pxc/v1"
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
)
