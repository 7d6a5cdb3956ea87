package simulate

import (
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// requirement is an object a child operator reads before it acts on a child (the
// issuer a Certificate names, the Secret a Cluster serves TLS with): the
// simulation's `requires`, keyed.
type requirement struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	// ClusterScoped objects are looked up without a namespace; the others in the
	// child's.
	ClusterScoped bool `json:"clusterScoped,omitempty"`
}

// lookup reads what the simulation requires for child from the API server (never
// a cache: the simulator's watches only the children), and returns those that
// exist, keyed, and the keys of those that do not. An object whose kind the API
// server does not serve does not exist.
func (s *Simulator) lookup(ctx context.Context, child *unstructured.Unstructured, requires map[string]requirement) (map[string]any, []string, error) {
	found := map[string]any{}
	var missing []string
	for key, r := range requires {
		gv, err := schema.ParseGroupVersion(r.APIVersion)
		if err != nil {
			return nil, nil, fmt.Errorf("the simulation of %s %s requires %s with a bad apiVersion: %w", child.GetKind(), child.GetName(), key, err)
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gv.WithKind(r.Kind))
		at := client.ObjectKey{Namespace: child.GetNamespace(), Name: r.Name}
		if r.ClusterScoped {
			at.Namespace = ""
		}
		err = s.client.Get(ctx, at, u)
		switch {
		case apierrors.IsNotFound(err), meta.IsNoMatchError(err):
			missing = append(missing, key)
		case err != nil:
			return nil, nil, fmt.Errorf("cannot read %s %s that the simulation of %s %s requires: %w", r.Kind, r.Name, child.GetKind(), child.GetName(), err)
		default:
			found[key] = u.Object
		}
	}
	slices.Sort(missing)
	return found, missing, nil
}
