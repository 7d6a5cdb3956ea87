// Package doctor checks that a cluster has what a DatabaseCluster needs: our CRDs
// and admission webhooks, and, for each engine, its child operator's CRDs served at
// the versions the engine renders and, where it can be seen, the child operator
// running at the release the engine is written for. `dbaasctl doctor` prints its
// report. What each engine needs comes from the engine (its kinds and operator),
// what we install from the generated manifests (package config): no list here.
package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"k8s.io/client-go/discovery"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"dbaas.io/operator/internal/childcheck"
	"dbaas.io/operator/internal/render"
)

// Status is the outcome of one check.
type Status string

// The outcomes. OK, MISSING, WRONG VERSION and NOT READY of a required check make
// the report fail; NOT FOUND and SKIPPED only inform.
const (
	OK           Status = "OK"
	Missing      Status = "MISSING"
	WrongVersion Status = "WRONG VERSION"
	// NotReady: it exists but cannot work (a webhook without a CA bundle or without
	// its Service).
	NotReady Status = "NOT READY"
	// NotFound: no child operator Deployment was seen (none runs on `make dev`, and
	// one may run outside the cluster).
	NotFound Status = "NOT FOUND"
	// Skipped: the check could not be made (no permission to read what it needs).
	Skipped Status = "SKIPPED"
)

// Check is one line of the report.
type Check struct {
	// Engine is the engine the check is for; empty for our own CRDs and webhooks.
	Engine string `json:"engine,omitempty"`
	// Subject is what was checked: "CRD databaseclusters.dbaas.io", "webhook
	// vdatabasecluster.dbaas.io", "kind postgresql.cnpg.io/v1 Cluster", "operator
	// CloudNativePG 1.30.0".
	Subject string `json:"subject"`
	Status  Status `json:"status"`
	Detail  string `json:"detail,omitempty"`
	// Fix is the command that installs what is missing or of the wrong version.
	Fix string `json:"fix,omitempty"`
	// Required checks must be OK for a DatabaseCluster to work.
	Required bool `json:"required"`
}

// Failed reports whether the check makes the report fail.
func (c Check) Failed() bool {
	return c.Required && c.Status != OK
}

// Report is every check, and for each engine whose child operator is not
// installed the message the admission webhook refuses its clusters with.
type Report struct {
	Checks []Check `json:"checks"`
	// Engines maps each engine whose child operator is not installed to that
	// message.
	Engines map[string]string `json:"engines,omitempty"`
	// OK is true when no required check failed.
	OK bool `json:"ok"`
}

// Failures counts the checks that failed.
func (r *Report) Failures() int {
	n := 0
	for _, c := range r.Checks {
		if c.Failed() {
			n++
		}
	}
	return n
}

// Cluster is how doctor reads a cluster.
type Cluster struct {
	// Client reads webhook configurations, Services and Deployments (scheme:
	// operator.Scheme).
	Client client.Reader
	// Discovery tells which kinds the API server serves.
	Discovery discovery.DiscoveryInterface
}

// Options select what Run checks.
type Options struct {
	// Engine limits the engine checks to one engine; empty checks every engine.
	Engine string
}

// Run checks the cluster for the given engines.
func Run(ctx context.Context, c Cluster, engines []*render.Engine, o Options) (*Report, error) {
	if o.Engine != "" {
		i := slices.IndexFunc(engines, func(e *render.Engine) bool { return e.Name == o.Engine })
		if i < 0 {
			names := make([]string, 0, len(engines))
			for _, e := range engines {
				names = append(names, e.Name)
			}
			return nil, fmt.Errorf("engine %q is not loaded; loaded engines: %s", o.Engine, strings.Join(names, ", "))
		}
		engines = engines[i : i+1]
	}
	served := childcheck.New(c.Discovery, 0)
	r := &Report{}
	crds, err := ourCRDs(served)
	if err != nil {
		return nil, err
	}
	r.Checks = append(r.Checks, crds...)
	hooks, err := ourWebhooks(ctx, c.Client)
	if err != nil {
		return nil, err
	}
	r.Checks = append(r.Checks, hooks...)
	deployments, listErr := listDeployments(ctx, c.Client)
	for _, e := range engines {
		result, err := served.Engine(e)
		if err != nil {
			return nil, err
		}
		r.Checks = append(r.Checks, kindChecks(result)...)
		addOns, err := addOnChecks(served, e)
		if err != nil {
			return nil, err
		}
		r.Checks = append(r.Checks, addOns...)
		if !result.Installed() {
			if r.Engines == nil {
				r.Engines = map[string]string{}
			}
			r.Engines[e.Name] = result.Message()
		}
		if e.Operator != nil {
			r.Checks = append(r.Checks, operatorCheck(e, deployments, listErr))
		}
	}
	r.OK = r.Failures() == 0
	return r, nil
}

// kindChecks are the lines of one engine's kinds.
func kindChecks(result childcheck.Result) []Check {
	var fix string
	if result.Operator != nil {
		fix = result.Operator.Install
	}
	checks := make([]Check, 0, len(result.Kinds))
	for _, k := range result.Kinds {
		c := Check{Engine: result.Engine, Subject: "kind " + k.String(), Status: Status(k.State), Required: true}
		switch k.State {
		case childcheck.OK:
			c.Detail = "served"
		case childcheck.Missing:
			c.Detail, c.Fix = "not served: its CRD is not installed", fix
		case childcheck.WrongVersion:
			c.Detail, c.Fix = "served only as "+strings.Join(k.Served, ", "), fix
		}
		checks = append(checks, c)
	}
	return checks
}

// Connect builds the clients doctor reads the cluster with.
func Connect(cfg *rest.Config) (Cluster, error) {
	c, err := client.New(cfg, client.Options{Scheme: clientgoscheme.Scheme})
	if err != nil {
		return Cluster{}, fmt.Errorf("cannot create a client: %w", err)
	}
	d, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return Cluster{}, fmt.Errorf("cannot create a discovery client: %w", err)
	}
	return Cluster{Client: c, Discovery: d}, nil
}
