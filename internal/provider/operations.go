package provider

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/render"
)

// cueOperations evaluates the operations a CUE engine defines.
type cueOperations struct {
	engine *render.Engine
}

func (o cueOperations) Types() []string { return o.engine.Operations }

func (o cueOperations) Queued(opType string) bool { return !o.engine.Unqueued[opType] }

// Evaluate fills the cluster, with its status, into input and the OpsRequest, the
// children (by key), the created objects (by name) and the looked-up objects into ops.
func (o cueOperations) Evaluate(cluster *dbaasv1.DatabaseCluster, ops *dbaasv1.OpsRequest, observed, created []*unstructured.Unstructured, lookups map[string]*unstructured.Unstructured) (*render.Operation, error) {
	in, err := ClusterInput(cluster)
	if err != nil {
		return nil, err
	}
	status, err := toMap(cluster.Status)
	if err != nil {
		return nil, err
	}
	in["status"] = status
	request, err := toMap(ops)
	if err != nil {
		return nil, err
	}
	if meta, ok := request["metadata"].(map[string]any); ok {
		// What engines have no use for, and what changes at every write, so the
		// evaluation of an unchanged operation is memoized.
		delete(meta, "managedFields")
		delete(meta, "resourceVersion")
	}
	opsIn := render.OpsInput{
		Request:  request,
		Observed: map[string]map[string]any{},
		Created:  map[string]map[string]any{},
		Lookups:  map[string]map[string]any{},
	}
	for _, u := range observed {
		if key := KeyOf(u); key != "" {
			opsIn.Observed[key] = observedInput(u)
		}
	}
	for _, u := range created {
		opsIn.Created[u.GetName()] = observedInput(u)
	}
	for name, u := range lookups {
		opsIn.Lookups[name] = observedInput(u)
	}
	return o.engine.Operation(render.Input{Cluster: in}, opsIn, string(ops.Spec.Type))
}
