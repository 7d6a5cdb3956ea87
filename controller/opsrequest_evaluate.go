package controller

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/render"
)

// evaluate runs the engine's definition of the operation, a second time with the
// objects its observe names, and reports whether the operation ended. An engine that
// fails to evaluate it (a CUE error) fails the operation; a lookup that fails is
// returned, to be retried.
func (r *OpsRequestReconciler) evaluate(ctx context.Context, s *opsScope) (bool, error) {
	handler := s.provider.Operations()
	ops := s.ops
	if s.startTime != nil && ops.Status.StartTime == nil {
		ops = ops.DeepCopy()
		ops.Status.Phase, ops.Status.StartTime = dbaasv1.OpsRunning, s.startTime
	}
	op, err := handler.Evaluate(s.cluster, ops, s.observed, s.created, nil)
	if err == nil && len(op.Observe) > 0 {
		lookups, lerr := r.lookup(ctx, s, op.Observe)
		if lerr != nil {
			return false, lerr
		}
		op, err = handler.Evaluate(s.cluster, ops, s.observed, s.created, lookups)
	}
	if err != nil {
		r.finish(s, dbaasv1.OpsFailed, dbaasv1.EngineErrorReason, fmt.Sprintf("engine %s cannot evaluate the operation: %v", s.cluster.Spec.Engine, err))
		return true, nil
	}
	s.operation = op
	return false, nil
}

// lookup reads the objects an operation observes, from the API server; missing ones
// are left out.
func (r *OpsRequestReconciler) lookup(ctx context.Context, s *opsScope, targets map[string]render.Target) (map[string]*unstructured.Unstructured, error) {
	out := map[string]*unstructured.Unstructured{}
	for name, t := range targets {
		if t.Key != "" {
			child := s.child(t.Key)
			if child == nil {
				continue
			}
			t = render.Target{APIVersion: child.GetAPIVersion(), Kind: child.GetKind(), Name: child.GetName()}
		}
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(t.APIVersion)
		u.SetKind(t.Kind)
		err := r.live().Get(ctx, client.ObjectKey{Namespace: s.ops.Namespace, Name: t.Name}, u)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read %s %s that the operation observes: %w", t.Kind, t.Name, err)
		}
		out[name] = u
	}
	return out, nil
}

// live reads from the API server (Live), or through the client without it.
func (r *OpsRequestReconciler) live() client.Reader { return liveOr(r.Live, r.Client) }
