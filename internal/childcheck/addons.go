package childcheck

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"dbaas.io/operator/internal/render"
)

// AddOns checks the add-on kinds among gvks (the kinds of one cluster's rendered
// objects) and returns a message for those the API server does not serve: which
// kind, the feature that renders it and how to install it. Empty when every one is
// served. An add-on kind belongs to another project than the child operator (the
// Prometheus operator's PodMonitor), so only a cluster that renders it needs it.
func (c *Checker) AddOns(e *render.Engine, gvks []schema.GroupVersionKind) (string, error) {
	var problems []string
	var seen []schema.GroupVersionKind
	for _, gvk := range gvks {
		addOn, ok := e.AddOns[gvk]
		if !ok || slices.Contains(seen, gvk) {
			continue
		}
		seen = append(seen, gvk)
		k, err := c.Kind(gvk)
		if err != nil {
			return "", err
		}
		if k.State != OK {
			problems = append(problems, MissingAddOn(k, addOn))
		}
	}
	return strings.Join(problems, "; "), nil
}

// MissingAddOn is the message for an add-on kind the API server does not serve.
func MissingAddOn(k Kind, addOn render.AddOn) string {
	served := "is not served"
	if k.State == WrongVersion {
		served = "is served only as " + strings.Join(k.Served, ", ")
	}
	return fmt.Sprintf("%s renders %s, which %s: install %s's CRDs with: %s; or turn off %s",
		FeatureField(addOn.Feature), k.String(), served, addOn.Name, addOn.Install, addOn.Feature)
}

// FeatureField is the spec field that renders an add-on kind, the first word of its
// feature ("spec.monitoring.enabled"), without the note on how to turn it off.
func FeatureField(feature string) string {
	f, _, _ := strings.Cut(feature, " ")
	return f
}
