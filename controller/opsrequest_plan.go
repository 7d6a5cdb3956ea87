package controller

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/render"
)

// plan turns the evaluated operation into the steps it records before it acts: the
// spec patch, then each action, every target resolved to one object and its UID,
// and the rollback the engine declares. A delete or patch whose target does not
// exist has nothing to do and is recorded Done. The first step to run is Started.
func (r *OpsRequestReconciler) plan(ctx context.Context, s *opsScope) (*dbaasv1.OpsPlan, error) {
	op := s.operation
	cluster := clusterTarget(s.cluster)
	plan := &dbaasv1.OpsPlan{}
	if len(op.SpecPatch) > 0 {
		step, err := patchStep(specPatchStep(s.cluster.Name), cluster, "", map[string]any{"spec": op.SpecPatch}, nil)
		if err != nil {
			return nil, err
		}
		plan.Steps = append(plan.Steps, step)
	}
	for _, a := range op.Actions {
		step, err := r.planAction(ctx, s, a)
		if err != nil {
			return nil, fmt.Errorf("action %s: %w", a.Name, err)
		}
		plan.Steps = append(plan.Steps, step)
	}
	if op.Rollback != nil {
		step, err := patchStep(fmt.Sprintf("roll back the spec of DatabaseCluster %s", s.cluster.Name), cluster, "", map[string]any{"spec": op.Rollback.SpecPatch}, nil)
		if err != nil {
			return nil, err
		}
		plan.Rollback = &step
	}
	return plan, nil
}

// specPatchStep is the name of the step that patches the cluster's spec.
func specPatchStep(cluster string) string {
	return fmt.Sprintf("patch the spec of DatabaseCluster %s", cluster)
}

// planAction resolves one action into a step.
func (r *OpsRequestReconciler) planAction(ctx context.Context, s *opsScope, a render.Action) (dbaasv1.OpsStep, error) {
	switch {
	case a.Patch != nil:
		target, found, err := r.resolve(ctx, s, a.Patch.Target)
		if err != nil {
			return dbaasv1.OpsStep{}, err
		}
		step, err := patchStep(a.Name, target, a.Patch.Subresource, a.Patch.Merge, a.Patch.AppliedWhen)
		if !found {
			step.State, step.Message = dbaasv1.OpsStepDone, fmt.Sprintf("%s %s did not exist when the plan was made: nothing to patch", target.Kind, target.Name)
		}
		return step, err
	case a.Create != nil:
		u := &unstructured.Unstructured{Object: a.Create}
		object, err := raw(a.Create)
		return dbaasv1.OpsStep{
			Name: a.Name, Action: dbaasv1.OpsStepCreate, State: dbaasv1.OpsStepPending, Object: object,
			Target: dbaasv1.OpsTarget{APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Name: u.GetName()},
		}, err
	case a.Delete != nil:
		target, found, err := r.resolve(ctx, s, *a.Delete)
		if err != nil {
			return dbaasv1.OpsStep{}, err
		}
		step := dbaasv1.OpsStep{Name: a.Name, Action: dbaasv1.OpsStepDelete, Target: target, State: dbaasv1.OpsStepPending}
		if !found {
			step.State, step.Message = dbaasv1.OpsStepDone, fmt.Sprintf("%s %s did not exist when the plan was made: nothing to delete", target.Kind, target.Name)
		}
		return step, nil
	case a.Password != nil:
		target, found, err := r.resolve(ctx, s, a.Password.Target)
		if err != nil {
			return dbaasv1.OpsStep{}, err
		}
		if !found {
			// The child operator has not written its Secret yet: there is no user to rotate.
			return dbaasv1.OpsStep{}, permanent(fmt.Errorf("%s %s does not exist yet: the child operator has not created the user", target.Kind, target.Name))
		}
		return dbaasv1.OpsStep{
			Name: a.Name, Action: dbaasv1.OpsStepPassword, Target: target, State: dbaasv1.OpsStepPending,
			Password: &dbaasv1.OpsPasswordStep{Key: a.Password.Key, Derived: a.Password.Derived},
		}, nil
	}
	return dbaasv1.OpsStep{}, permanent(fmt.Errorf("the action has none of patch, create, delete or password"))
}

// resolve finds the one object a target names: a child by key among the observed
// children, or an object of the namespace by kind and name, read from the API
// server. found is false when the named object does not exist.
func (r *OpsRequestReconciler) resolve(ctx context.Context, s *opsScope, t render.Target) (target dbaasv1.OpsTarget, found bool, err error) {
	if t.Key != "" {
		if child := s.child(t.Key); child != nil {
			return targetOf(child), true, nil
		}
		return dbaasv1.OpsTarget{}, false, permanent(fmt.Errorf("the cluster has no child %q yet", t.Key))
	}
	target = dbaasv1.OpsTarget{APIVersion: t.APIVersion, Kind: t.Kind, Name: t.Name}
	u, err := r.read(ctx, s, target)
	if apierrors.IsNotFound(err) {
		return target, false, nil
	}
	if err != nil {
		return target, false, fmt.Errorf("cannot read %s %s: %w", t.Kind, t.Name, err)
	}
	return targetOf(u), true, nil
}

// patchStep builds a Patch step.
func patchStep(name string, target dbaasv1.OpsTarget, subresource string, merge, appliedWhen map[string]any) (dbaasv1.OpsStep, error) {
	step := dbaasv1.OpsStep{Name: name, Action: dbaasv1.OpsStepPatch, Target: target, Subresource: subresource, State: dbaasv1.OpsStepPending}
	var err error
	if step.Patch, err = raw(merge); err != nil {
		return step, err
	}
	if appliedWhen != nil {
		step.AppliedWhen, err = raw(appliedWhen)
	}
	return step, err
}

// startNext marks the first step that is not done Started, and returns its index
// (-1 when every step is done).
func startNext(plan *dbaasv1.OpsPlan) int {
	for i := range plan.Steps {
		switch plan.Steps[i].State {
		case dbaasv1.OpsStepDone:
			continue
		case dbaasv1.OpsStepPending:
			plan.Steps[i].State = dbaasv1.OpsStepStarted
		}
		return i
	}
	return -1
}

func clusterTarget(c *dbaasv1.DatabaseCluster) dbaasv1.OpsTarget {
	return dbaasv1.OpsTarget{APIVersion: dbaasv1.GroupVersion.String(), Kind: "DatabaseCluster", Name: c.Name, UID: c.UID}
}

// isCluster reports whether a target is the operation's own DatabaseCluster.
func isCluster(t dbaasv1.OpsTarget, s *opsScope) bool {
	return t.Kind == "DatabaseCluster" && t.APIVersion == dbaasv1.GroupVersion.String() && t.Name == s.cluster.Name
}

func targetOf(u *unstructured.Unstructured) dbaasv1.OpsTarget {
	return dbaasv1.OpsTarget{APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Name: u.GetName(), UID: u.GetUID()}
}

// raw encodes a JSON value for the plan.
func raw(v map[string]any) (*runtime.RawExtension, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, permanent(fmt.Errorf("cannot encode the plan: %w", err))
	}
	return &runtime.RawExtension{Raw: b}, nil
}

// read gets a target from the API server: what a step decides on must not come
// from a cache that lags behind its own last change.
func (r *OpsRequestReconciler) read(ctx context.Context, s *opsScope, t dbaasv1.OpsTarget) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(t.APIVersion)
	u.SetKind(t.Kind)
	err := r.live().Get(ctx, client.ObjectKey{Namespace: s.ops.Namespace, Name: t.Name}, u)
	return u, err
}
