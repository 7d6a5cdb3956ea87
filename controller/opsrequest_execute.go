package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/render"
)

// opsFieldManager owns what operations write to children (annotations, status),
// apart from the cluster reconciler's server-side apply.
const opsFieldManager = "dbaas-operator-ops"

// execute applies the operation once: the spec patch of a declarative operation,
// then the actions of an imperative one, and logs each step. Every step is
// idempotent (merge patches with the run's start time, create-if-absent,
// delete-if-present), so a restart that repeats them changes nothing more.
func (r *OpsRequestReconciler) execute(ctx context.Context, s *opsScope) error {
	op := s.operation
	if len(op.SpecPatch) > 0 {
		patch, err := json.Marshal(map[string]any{"spec": op.SpecPatch})
		if err != nil {
			return err
		}
		if err := r.Patch(ctx, s.cluster, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(opsFieldManager)); err != nil {
			return fmt.Errorf("cannot change the spec of DatabaseCluster %s: %w", s.cluster.Name, err)
		}
		r.log(s, "SpecPatched", fmt.Sprintf("DatabaseCluster %s: spec %s", s.cluster.Name, patch))
	}
	for _, a := range op.Actions {
		msg, err := r.runAction(ctx, s, a)
		if err != nil {
			return fmt.Errorf("action %s: %w", a.Name, err)
		}
		r.log(s, "Action", a.Name+": "+msg)
	}
	r.log(s, "Applied", "the operation is applied; waiting for the children to converge")
	return nil
}

// runAction runs one patch, create or delete.
func (r *OpsRequestReconciler) runAction(ctx context.Context, s *opsScope, a render.Action) (string, error) {
	switch {
	case a.Patch != nil:
		target, err := r.target(s, a.Patch.Target)
		if err != nil {
			return "", err
		}
		patch, err := json.Marshal(a.Patch.Merge)
		if err != nil {
			return "", err
		}
		if a.Patch.Subresource == "status" {
			err = r.Status().Patch(ctx, target, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(opsFieldManager))
		} else {
			err = r.Patch(ctx, target, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(opsFieldManager))
		}
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("patched %s %s%s", target.GetKind(), target.GetName(), subresourceSuffix(a.Patch.Subresource)), nil
	case a.Create != nil:
		// A copy: the evaluated operation is memoized and shared.
		obj := (&unstructured.Unstructured{Object: a.Create}).DeepCopy()
		obj.SetNamespace(s.ops.Namespace)
		labels := obj.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[dbaasv1.OpsRequestLabel] = s.ops.Name
		labels[dbaasv1.ClusterLabel] = s.cluster.Name
		obj.SetLabels(labels)
		err := r.Create(ctx, obj, client.FieldOwner(opsFieldManager))
		if apierrors.IsAlreadyExists(err) {
			return fmt.Sprintf("%s %s exists already", obj.GetKind(), obj.GetName()), nil
		}
		if err != nil {
			return "", fmt.Errorf("cannot create %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
		return fmt.Sprintf("created %s %s", obj.GetKind(), obj.GetName()), nil
	case a.Delete != nil:
		target, err := r.target(s, *a.Delete)
		if err != nil {
			return "", err
		}
		if err := r.Delete(ctx, target); err != nil && !apierrors.IsNotFound(err) {
			return "", fmt.Errorf("cannot delete %s %s: %w", target.GetKind(), target.GetName(), err)
		}
		return fmt.Sprintf("deleted %s %s", target.GetKind(), target.GetName()), nil
	}
	return "", fmt.Errorf("the action has none of patch, create or delete")
}

// target resolves a child by key, or names an object of the namespace.
func (r *OpsRequestReconciler) target(s *opsScope, t render.Target) (*unstructured.Unstructured, error) {
	if t.Key != "" {
		for _, o := range s.observed {
			if o.GetAnnotations()[dbaasv1.KeyAnnotation] == t.Key {
				return o.DeepCopy(), nil
			}
		}
		return nil, fmt.Errorf("the cluster has no child %q yet", t.Key)
	}
	gv, err := schema.ParseGroupVersion(t.APIVersion)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gv.WithKind(t.Kind))
	u.SetNamespace(s.ops.Namespace)
	u.SetName(t.Name)
	return u, nil
}

func subresourceSuffix(sub string) string {
	if sub == "" {
		return ""
	}
	return " (" + strings.ToLower(sub) + ")"
}
