package policy

import (
	"fmt"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
)

// specPatch is the patch the engine's definition of an operation makes to the
// cluster's spec, nil for an operation the engine does not define or that patches
// nothing. The engine's definition is the one that counts (how Reconfiguring merges
// parameters, for one): the ops policy judges its result rather than redoing it.
//
// It depends on the cluster's spec and the request's spec only, so the evaluation
// made at admission answers the one made when the operation starts.
func specPatch(engine *render.Engine, ops *dbaasv1.OpsRequest, cluster *dbaasv1.DatabaseCluster) (map[string]any, error) {
	if !engine.HasOperation(string(ops.Spec.Type)) {
		return nil, nil
	}
	in, err := provider.ClusterInput(cluster)
	if err != nil {
		return nil, err
	}
	spec, err := toMap(&dbaasv1.OpsRequest{Spec: ops.Spec}, false)
	if err != nil {
		return nil, err
	}
	request := map[string]any{"metadata": map[string]any{"name": ops.Name}, "spec": spec["spec"]}
	op, err := engine.Operation(render.Input{Cluster: in}, render.OpsInput{Request: request}, string(ops.Spec.Type))
	if err != nil {
		return nil, fmt.Errorf("cannot evaluate the spec patch of %s: %w", ops.Spec.Type, err)
	}
	return op.SpecPatch, nil
}
