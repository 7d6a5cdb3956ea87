package charts

import (
	"testing"

	"sigs.k8s.io/yaml"

	"dbaas.io/operator/internal/podsecurity"
)

// TestChartPodSecurityRestricted: the operator's Pod, with the default values and
// with every option on (mounted Secrets and ConfigMaps, extra args and env), meets the
// Pod Security "restricted" profile as the API server's admission plugin judges it,
// with a read-only root filesystem: the check config/ runs on its manifests.
func TestChartPodSecurityRestricted(t *testing.T) {
	evaluator, err := podsecurity.NewEvaluator()
	if err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{"default values": nil, "every option": {"-f", allValues}} {
		t.Run(name, func(t *testing.T) {
			var found int
			for _, o := range render(t, args...) {
				doc, err := yaml.Marshal(o.Object)
				if err != nil {
					t.Fatal(err)
				}
				w, err := podsecurity.PodTemplate(doc)
				if err != nil {
					t.Fatal(err)
				}
				if w == nil {
					continue
				}
				found++
				for _, v := range evaluator.Violations(w.Meta, w.Spec) {
					t.Errorf("%s: %s", w.Where, v)
				}
			}
			if found == 0 {
				t.Fatal("the chart renders no Pod template: the operator's Deployment is missing")
			}
		})
	}
}
