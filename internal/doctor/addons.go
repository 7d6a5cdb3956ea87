package doctor

import (
	"strings"

	"dbaas.io/operator/internal/childcheck"
	"dbaas.io/operator/internal/render"
)

// addOnChecks are the lines of one engine's add-on kinds (the Prometheus
// operator's PodMonitor): not required, since only the clusters that turn the
// feature on need them, and those are refused at admission while the kind is not
// served, with the same words as the detail here.
func addOnChecks(served *childcheck.Checker, e *render.Engine) ([]Check, error) {
	var checks []Check
	for _, gvk := range e.Kinds {
		addOn, ok := e.AddOns[gvk]
		if !ok {
			continue
		}
		k, err := served.Kind(gvk)
		if err != nil {
			return nil, err
		}
		c := Check{Engine: e.Name, Subject: "add-on kind " + k.String(), Status: Status(k.State), Fix: addOn.Install}
		switch k.State {
		case childcheck.OK:
			c.Detail = "served"
		case childcheck.Missing:
			c.Detail = "not served: optional, a cluster with " + childcheck.FeatureField(addOn.Feature) + " needs it (" + addOn.Name + ")"
		case childcheck.WrongVersion:
			c.Detail = "served only as " + strings.Join(k.Served, ", ") + ": optional, a cluster with " + childcheck.FeatureField(addOn.Feature) + " needs it (" + addOn.Name + ")"
		}
		checks = append(checks, c)
	}
	return checks, nil
}
