package provider

import (
	"fmt"
	"strings"

	"dbaas.io/operator/internal/render"
)

// Factory returns the Provider of an engine by name, from the engines loaded now.
type Factory struct {
	Registry *render.Registry
	// Admission selects the engines' admission views (render.Engine.Admission): the
	// webhooks' factory sets it, so their renders have a memo and instances of their
	// own, apart from the reconcilers'.
	Admission bool
}

// Get returns the provider of the named engine, or an error listing the engines
// that exist.
func (f *Factory) Get(name string) (Provider, error) {
	e, ok := f.Registry.Get(name)
	if !ok && f.Registry.Problem(name) != nil {
		return nil, f.Registry.Problem(name)
	}
	if !ok {
		return nil, fmt.Errorf("engine %q is not loaded; loaded engines: %s", name, strings.Join(f.Registry.Names(), ", "))
	}
	if f.Admission {
		e = e.Admission()
	}
	return &cueProvider{engine: e}, nil
}
