package provider

import (
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/render"
)

// ClusterInput is the cluster as an engine sees it: identity, labels, annotations
// and spec. Server-set metadata and status are left out so they never change a render.
func ClusterInput(cluster *dbaasv1.DatabaseCluster) (map[string]any, error) {
	spec, err := toMap(cluster.Spec)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the spec of %s: %w", cluster.Name, err)
	}
	meta := map[string]any{"name": cluster.Name, "namespace": cluster.Namespace}
	if len(cluster.Labels) > 0 {
		meta["labels"] = cluster.Labels
	}
	if a := userAnnotations(cluster.Annotations); len(a) > 0 {
		meta["annotations"] = a
	}
	in := map[string]any{
		"apiVersion": dbaasv1.GroupVersion.String(),
		"kind":       "DatabaseCluster",
		"metadata":   meta,
		"spec":       spec,
	}
	// The version the operator last applied is what the engine's version rules judge
	// spec.version against, on every path: the webhook and the reconcile alike.
	if v := cluster.Status.Version; v != "" {
		in["status"] = map[string]any{"version": v}
	}
	return in, nil
}

// Prepare returns the engine input of a cluster without lookups: its identity,
// spec and the one-shot children recorded in its status.
func Prepare(cluster *dbaasv1.DatabaseCluster) (*Prepared, error) {
	in, err := ClusterInput(cluster)
	if err != nil {
		return nil, err
	}
	prepared := &Prepared{Cluster: cluster, Input: render.Input{Cluster: in}}
	for _, o := range cluster.Status.OneShots {
		if prepared.Input.Context.OneShots == nil {
			prepared.Input.Context.OneShots = map[string]string{}
		}
		prepared.Input.Context.OneShots[o.Key] = string(o.Phase)
	}
	return prepared, nil
}

// userAnnotations drops annotations tools write for themselves, and the operator's
// own acknowledgements, which are no input of the render.
func userAnnotations(in map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range in {
		if k == "kubectl.kubernetes.io/last-applied-configuration" || k == dbaasv1.RecreateDeletedAnnotation {
			continue
		}
		out[k] = v
	}
	return out
}

// observedInput is a child as an engine sees it: managed fields dropped and, for
// Secrets, values blanked so secret data never enters an evaluation.
func observedInput(u *unstructured.Unstructured) map[string]any {
	obj := u.DeepCopy().Object
	if meta, ok := obj["metadata"].(map[string]any); ok {
		delete(meta, "managedFields")
	}
	blankSecretValues(obj)
	return obj
}

// blankSecretValues blanks the values of a Secret (a copy) in place, keeping its keys.
func blankSecretValues(obj map[string]any) {
	if obj["apiVersion"] != "v1" || obj["kind"] != "Secret" {
		return
	}
	for _, field := range []string{"data", "stringData"} {
		if data, ok := obj[field].(map[string]any); ok {
			for k := range data {
				data[k] = ""
			}
		}
	}
}

func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// KeyOf returns the engine key of a child, from the annotation the controller set.
func KeyOf(u *unstructured.Unstructured) string {
	return strings.TrimSpace(u.GetAnnotations()[dbaasv1.KeyAnnotation])
}
