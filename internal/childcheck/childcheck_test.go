package childcheck

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"dbaas.io/operator/internal/render"
)

// TestMessage checks the words the webhook refuses with and doctor prints.
func TestMessage(t *testing.T) {
	cluster := schema.GroupVersionKind{Group: "example.dbaas.io", Version: "v1", Kind: "Cluster"}
	pooler := schema.GroupVersionKind{Group: "example.dbaas.io", Version: "v1", Kind: "Pooler"}
	backup := schema.GroupVersionKind{Group: "example.dbaas.io", Version: "v1", Kind: "Backup"}
	op := &render.Operator{Name: "Example operator", Version: "1.2.0", Install: "kubectl apply -f example.yaml"}
	tests := map[string]struct {
		result Result
		// want is the message; empty when the operator is installed.
		want string
	}{
		"installed": {
			result: Result{Engine: "ex", Operator: op, Kinds: []Kind{{GVK: cluster, State: OK}}},
		},
		"missing kinds, named by apiVersion": {
			result: Result{Engine: "ex", Operator: op, Kinds: []Kind{{GVK: cluster, State: Missing}, {GVK: pooler, State: Missing}, {GVK: backup, State: Missing}}},
			want:   "engine ex needs Example operator 1.2.0, which is not installed (example.dbaas.io/v1 Cluster, Pooler and Backup are not served); install it with: kubectl apply -f example.yaml",
		},
		"one missing, one of another version": {
			result: Result{Engine: "ex", Operator: op, Kinds: []Kind{{GVK: cluster, State: WrongVersion, Served: []string{"v1beta1"}}, {GVK: pooler, State: Missing}}},
			want:   "engine ex needs Example operator 1.2.0, which is not installed (example.dbaas.io/v1 Pooler is not served; example.dbaas.io/v1 Cluster is served only as v1beta1); install it with: kubectl apply -f example.yaml",
		},
		"no operator named": {
			result: Result{Engine: "ex", Kinds: []Kind{{GVK: cluster, State: Missing}}},
			want:   "the child operator of engine ex is not installed (example.dbaas.io/v1 Cluster is not served): install the operator that serves these kinds",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.result.Message(); got != tc.want {
				t.Errorf("message:\n%s\nwant\n%s", got, tc.want)
			}
			if got := tc.result.Installed(); got != (tc.want == "") {
				t.Errorf("Installed() = %t", got)
			}
		})
	}
}
