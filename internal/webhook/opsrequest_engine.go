package webhook

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/apply"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
)

// evaluate runs the engine's definition of the operation on the cluster and its
// children as the cache has them, the way the OpsRequest controller does when the
// operation starts (objects named by observe are not read: no engine judges its
// parameters on them).
func (v *OpsRequestValidator) evaluate(ctx context.Context, p provider.Provider, cluster *dbaasv1.DatabaseCluster, ops *dbaasv1.OpsRequest) (*render.Operation, error) {
	reader := v.Cache
	if reader == nil {
		reader = v.Client
	}
	observed, err := apply.Owned(ctx, reader, p.Engine().Kinds, cluster.Namespace,
		map[string]string{dbaasv1.ClusterLabel: cluster.Name}, cluster.UID)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("cannot read the children of DatabaseCluster %s: %w", cluster.Name, err))
	}
	op, err := p.Operations().Evaluate(cluster, ops, observed, nil, nil)
	if err != nil {
		return nil, opsInvalid(ops, field.Invalid(parametersPath(ops), string(ops.Spec.Type), err.Error()))
	}
	return op, nil
}

// invalidParameters are the engine's objections to the operation (its invalid list),
// on the operation's parameters.
func invalidParameters(ops *dbaasv1.OpsRequest, op *render.Operation) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range op.Invalid {
		errs = append(errs, field.Forbidden(parametersPath(ops), msg))
	}
	return errs
}

// taken refuses objects the operation would create that exist already: whatever made
// them, the operation would find them instead of making its own (a Backup op would
// report an earlier backup as the new one).
func (v *OpsRequestValidator) taken(ctx context.Context, ops *dbaasv1.OpsRequest, op *render.Operation) (field.ErrorList, error) {
	var errs field.ErrorList
	for _, a := range op.Actions {
		if a.Create == nil {
			continue
		}
		want := &unstructured.Unstructured{Object: a.Create}
		u, err := existing(ctx, v.Client, want.GroupVersionKind(), ops.Namespace, want.GetName())
		if err != nil {
			return nil, err
		}
		if u == nil {
			continue
		}
		errs = append(errs, field.Forbidden(parametersPath(ops), fmt.Sprintf(
			"%s exists already (%s), and this %s would create it: choose a name that is not taken",
			describe(u), madeBy(u), ops.Spec.Type)))
	}
	return errs, nil
}

// parametersPath is spec.<parameters> of the operation's type (spec.backup for a
// Backup) when the request has them, else spec.type.
func parametersPath(ops *dbaasv1.OpsRequest) *field.Path {
	s := ops.Spec
	given := map[dbaasv1.OpsType]bool{
		dbaasv1.OpsHorizontalScaling: s.HorizontalScaling != nil,
		dbaasv1.OpsVerticalScaling:   s.VerticalScaling != nil,
		dbaasv1.OpsVolumeExpansion:   s.VolumeExpansion != nil,
		dbaasv1.OpsReconfiguring:     s.Reconfiguring != nil,
		dbaasv1.OpsUpgrade:           s.Upgrade != nil,
		dbaasv1.OpsBackup:            s.Backup != nil,
		dbaasv1.OpsRestore:           s.Restore != nil,
		dbaasv1.OpsSwitchover:        s.Switchover != nil,
		dbaasv1.OpsRebuildInstance:   s.RebuildInstance != nil,
		dbaasv1.OpsCustom:            s.Custom != nil,
	}
	if !given[s.Type] {
		return field.NewPath("spec", "type")
	}
	// The parameters' field is the type's name with a lower-case first letter.
	return field.NewPath("spec", strings.ToLower(string(s.Type[:1]))+string(s.Type[1:]))
}
