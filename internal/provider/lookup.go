package provider

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// lookupInput is an object an engine's requires named, as the engine sees it: only
// the fields the reference lists (with apiVersion, kind and metadata.name, so that
// its presence still shows), else the whole object without its resourceVersion. The
// render of a cluster is memoized by its input, so what the engine does not read
// must not be in it: a child operator writing the status of the child the engine
// reads its image from would otherwise make every reconcile evaluate the engine
// again.
func lookupInput(u *unstructured.Unstructured, fields []string) (map[string]any, error) {
	if len(fields) == 0 {
		obj := observedInput(u)
		if meta, ok := obj["metadata"].(map[string]any); ok {
			delete(meta, "resourceVersion")
		}
		return obj, nil
	}
	// Only the listed fields are copied: a reconcile does not copy a child's status
	// to read its image.
	out := map[string]any{
		"apiVersion": u.GetAPIVersion(),
		"kind":       u.GetKind(),
		"metadata":   map[string]any{"name": u.GetName()},
	}
	for _, f := range fields {
		path := strings.Split(f, ".")
		v, found, err := unstructured.NestedFieldNoCopy(u.Object, path...)
		if err != nil || !found {
			// A path through a value that is no object is absent, as in CUE.
			continue
		}
		// SetNestedField copies v. out holds only values copied along paths the object
		// has: a path cannot meet a value that is no object here, but an error is not
		// to be dropped.
		if err := unstructured.SetNestedField(out, v, path...); err != nil {
			return nil, fmt.Errorf("fields %q of %s %s: %w", f, u.GetKind(), u.GetName(), err)
		}
	}
	blankSecretValues(out)
	return out, nil
}
