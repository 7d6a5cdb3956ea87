package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/policy"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
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
	fs := flag.NewFlagSet("policy eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "file of DatabaseCluster and OpsRequest YAML documents")
	policiesDir := fs.String("policies-dir", "", "folder of Rego policies and data (default: the embedded policies)")
	enginesDir := fs.String("engines-dir", "", "folder of engine packages that override the embedded ones")
	labels := map[string]string{}
	fs.Func("namespace-label", "a label of the objects' namespace, KEY=VALUE (repeatable); dbaas.io/tier selects the tier", func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("want KEY=VALUE, got %q", s)
		}
		labels[k] = v
		return nil
	})
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *file == "" {
		return errors.New("-f is required")
	}
	var set *policy.Set
	var err error
	if *policiesDir != "" {
		set, err = policy.Load(os.DirFS(*policiesDir))
	} else {
		set, err = policy.Load(policies.FS)
	}
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
	e := &evaluator{set: set, providers: &provider.Factory{Registry: registry}, labels: labels, clusters: map[string]*dbaasv1.DatabaseCluster{}}
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

// evaluator evaluates the gates the way the operator's policy.Gate does, without a
// cluster to read namespaces from.
type evaluator struct {
	set       *policy.Set
	providers *provider.Factory
	labels    map[string]string
	clusters  map[string]*dbaasv1.DatabaseCluster
}

func (e *evaluator) cluster(c *dbaasv1.DatabaseCluster) (policy.Decision, error) {
	p, err := e.providers.Get(c.Spec.Engine)
	if err != nil {
		return policy.Decision{}, err
	}
	in, err := provider.ClusterInput(c)
	if err != nil {
		return policy.Decision{}, err
	}
	result, err := p.Engine().Render(render.Input{Cluster: in})
	if err != nil {
		return policy.Decision{}, err
	}
	gate := e.gate()
	var rendered []map[string]any
	for _, o := range result.Objects {
		rendered = append(rendered, provider.Child(c, o.Key, o.Object).Object)
	}
	return gate.Cluster(context.Background(), c, p.Engine(), rendered)
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
	return e.gate().Ops(context.Background(), o, c, p.Engine())
}

func (e *evaluator) gate() *policy.Gate {
	return &policy.Gate{Current: func() *policy.Set { return e.set }, Namespaces: policy.StaticNamespaces(e.labels)}
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
