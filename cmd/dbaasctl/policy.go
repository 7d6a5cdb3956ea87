package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/policy"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/policies"
)

// errDenied makes dbaasctl exit non-zero when a policy denies an object.
var errDenied = errors.New("denied")

// runPolicy evaluates, offline, the decisions the operator would make for the
// DatabaseClusters and OpsRequests of a file: the same policies (embedded, or a
// folder), the same engines, the same messages.
//
//	dbaasctl policy eval -f objects.yaml [--policies-dir DIR] [--engines-dir DIR] [--namespace-label k=v]...
func runPolicy(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "eval" {
		return errors.New("usage: dbaasctl policy eval -f FILE [--policies-dir DIR] [--engines-dir DIR] [--namespace-label KEY=VALUE]")
	}
	flags := flag.NewFlagSet("policy eval", flag.ContinueOnError)
	flags.SetOutput(stderr)
	file := flags.String("f", "", "file of DatabaseCluster and OpsRequest YAML documents")
	policiesDir := flags.String("policies-dir", "", "folder of Rego policies and data (default: the embedded policies)")
	enginesDir := flags.String("engines-dir", "", "folder of engine packages that override the embedded ones")
	labels := map[string]string{}
	flags.Func("namespace-label", "a label of the objects' namespace, KEY=VALUE (repeatable); dbaas.io/tier selects the tier", func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("want KEY=VALUE, got %q", s)
		}
		labels[k] = v
		return nil
	})
	if err := flags.Parse(args[1:]); err != nil {
		return err
	}
	if *file == "" {
		return errors.New("-f is required")
	}
	var fsys fs.FS = policies.FS
	if *policiesDir != "" {
		fsys = os.DirFS(*policiesDir)
	}
	set, err := policy.Load(fsys)
	if err != nil {
		return err
	}
	registry, err := loadRegistry(*enginesDir)
	if err != nil {
		return err
	}
	objects, err := readObjects(*file)
	if err != nil {
		return err
	}
	e := &evaluator{
		gate:      &policy.Gate{Current: func() *policy.Set { return set }, Namespaces: policy.StaticNamespaces(labels)},
		providers: &provider.Factory{Registry: registry},
		clusters:  map[string]*dbaasv1.DatabaseCluster{},
	}
	for _, c := range objects.clusters {
		e.clusters[c.Name] = c
	}
	denied := false
	for _, c := range objects.clusters {
		d, err := e.cluster(c)
		if err != nil {
			return fmt.Errorf("DatabaseCluster %s: %w", c.Name, err)
		}
		denied = report(stdout, "DatabaseCluster/"+c.Name, d) || denied
	}
	for _, o := range objects.ops {
		d, err := e.ops(o)
		if err != nil {
			return fmt.Errorf("OpsRequest %s: %w", o.Name, err)
		}
		denied = report(stdout, "OpsRequest/"+o.Name, d) || denied
	}
	if denied {
		return errDenied
	}
	return nil
}

// evaluator evaluates the gates with the operator's policy.Gate, with static namespace
// labels rather than a cluster to read namespaces from.
type evaluator struct {
	gate      *policy.Gate
	providers *provider.Factory
	clusters  map[string]*dbaasv1.DatabaseCluster // by name, for the OpsRequests' clusterRef
}

func (e *evaluator) cluster(c *dbaasv1.DatabaseCluster) (policy.Decision, error) {
	p, err := e.providers.Get(c.Spec.Engine)
	if err != nil {
		return policy.Decision{}, err
	}
	children, err := renderChildren(p, c)
	if err != nil {
		return policy.Decision{}, err
	}
	rendered := make([]map[string]any, len(children))
	for i, child := range children {
		rendered[i] = child.Object
	}
	return e.gate.Cluster(context.Background(), c, p.Engine(), rendered)
}

func (e *evaluator) ops(o *dbaasv1.OpsRequest) (policy.Decision, error) {
	c, ok := e.clusters[o.Spec.ClusterRef]
	if !ok {
		return policy.Decision{}, fmt.Errorf("the file has no DatabaseCluster %q for it", o.Spec.ClusterRef)
	}
	p, err := e.providers.Get(c.Spec.Engine)
	if err != nil {
		return policy.Decision{}, err
	}
	// The policy judges the spec patch of the engine's evaluation of the
	// operation, as the operator's admission passes it.
	var patch map[string]any
	if p.Engine().HasOperation(string(o.Spec.Type)) {
		op, err := p.Operations().Evaluate(c, o, nil, nil, nil)
		if err != nil {
			return policy.Decision{}, fmt.Errorf("cannot evaluate %s on DatabaseCluster %s: %w", o.Spec.Type, c.Name, err)
		}
		patch = op.SpecPatch
	}
	return e.gate.Ops(context.Background(), o, c, p.Engine(), patch)
}

// report prints one decision and says whether it denies.
func report(w io.Writer, name string, d policy.Decision) bool {
	if d.Allowed() {
		fmt.Fprintf(w, "%s: allowed\n", name)
		return false
	}
	fmt.Fprintf(w, "%s: denied\n", name)
	for _, v := range d.Violations {
		fmt.Fprintf(w, "  %s: %s (%s)\n", v.Field, v.Message, v.Reason)
	}
	return true
}
