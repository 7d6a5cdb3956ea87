package charts

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"dbaas.io/operator/internal/childcrds"
)

// The chart's optional objects are of other projects' kinds. Their CRDs come from the
// Go modules go.mod requires, never from copies (as the child operators' do):
// cert-manager ships its CRDs in its module; the Prometheus Operator ships only the
// Go types of its API, from which controller-gen generates them, as it does itself.
const (
	certManagerModule = "github.com/cert-manager/cert-manager"
	monitoringModule  = "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring"
)

// certManagerCRDs are the files of certManagerModule the chart needs (Certificate, Issuer).
var certManagerCRDs = []string{"deploy/crds/crd-certificates.yaml", "deploy/crds/crd-issuers.yaml"}

// monitoringCRDs are the generated files the chart needs (ServiceMonitor, PrometheusRule).
var monitoringCRDs = []string{"monitoring.coreos.com_servicemonitors.yaml", "monitoring.coreos.com_prometheusrules.yaml"}

// installOptionalCRDs installs the CRDs of cert-manager's and the Prometheus
// Operator's kinds that the chart renders when their options are on.
func installOptionalCRDs(ctx context.Context, cfg *rest.Config) error {
	root, err := childcrds.Root()
	if err != nil {
		return err
	}
	var crds []*apiextensionsv1.CustomResourceDefinition
	dir, err := childcrds.ModuleDir(ctx, root, certManagerModule)
	if err != nil {
		return err
	}
	for _, f := range certManagerCRDs {
		crd, err := readCertManagerCRD(filepath.Join(dir, f))
		if err != nil {
			return err
		}
		crds = append(crds, crd)
	}
	generated, err := childcrds.GenerateSource(ctx, root, filepath.Join(root, "bin", "controller-gen"), childcrds.Source{
		Module: monitoringModule, Path: "v1", Generated: "bin/crds/monitoring.coreos.com",
	}, os.Stderr)
	if err != nil {
		return fmt.Errorf("cannot generate the Prometheus Operator's CRDs (make controller-gen builds bin/controller-gen): %w", err)
	}
	for _, f := range monitoringCRDs {
		crd, err := readCRD(filepath.Join(generated.CRDPath(), f), nil)
		if err != nil {
			return err
		}
		crds = append(crds, crd)
	}
	if _, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{CRDs: crds}); err != nil {
		return fmt.Errorf("cannot install the CRDs of cert-manager and the Prometheus Operator: %w", err)
	}
	return nil
}

// readCertManagerCRD reads a CRD of cert-manager's module. Those files are the
// templates of cert-manager's own chart, in YAML comments except for the labels,
// whose values are template actions: the labels are dropped, and anything else that
// still holds an action fails.
func readCertManagerCRD(path string) (*apiextensionsv1.CustomResourceDefinition, error) {
	return readCRD(path, func(m map[string]any) {
		if meta, ok := m["metadata"].(map[string]any); ok {
			delete(meta, "labels")
		}
	})
}

// readCRD reads one CRD, changed by edit when it is not nil.
func readCRD(path string, edit func(map[string]any)) (*apiextensionsv1.CustomResourceDefinition, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if edit != nil {
		edit(m)
	}
	clean, err := yaml.Marshal(m)
	if err != nil {
		return nil, err
	}
	if strings.Contains(string(clean), "{{") {
		return nil, fmt.Errorf("%s: a template action is left in the CRD", path)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(clean, crd); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if crd.Kind != "CustomResourceDefinition" {
		return nil, fmt.Errorf("%s: a %s, not a CustomResourceDefinition", path, crd.Kind)
	}
	return crd, nil
}
