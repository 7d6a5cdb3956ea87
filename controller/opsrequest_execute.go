package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// opsFieldManager owns what operations write to children (annotations, status),
// apart from the cluster reconciler's server-side apply.
const opsFieldManager = "dbaas-operator-ops"

// execute runs the recorded plan from where it stands. A step runs only after a
// status write, guarded by the resourceVersion, that marks it Started: the fence
// (or the plan itself) for the first one, the write that marks the previous one
// Done for the next. That write fails on a stale read, so two reconciles never run
// the same step, and a step found Started may have run: it is checked against the
// live target before it runs again. A transient error is returned to be retried; a
// permanent one fails the operation.
func (r *OpsRequestReconciler) execute(ctx context.Context, s *opsScope) error {
	plan := s.ops.Status.Plan
	first := slices.IndexFunc(plan.Steps, func(step dbaasv1.OpsStep) bool { return step.State != dbaasv1.OpsStepDone })
	if first < 0 {
		return nil
	}
	if plan.Steps[first].State == dbaasv1.OpsStepPending {
		// Never started: the fence records that it is about to.
		s.fresh = map[int]bool{first: true}
	}
	if !s.fenced {
		startNext(plan)
		// The write decodes the status anew: plan is not read after it.
		if err := r.fence(ctx, s); err != nil {
			return err
		}
	}
	// Each write decodes the status anew: the plan is read from s.ops after each.
	for i := startNext(s.ops.Status.Plan); i >= 0; i = startNext(s.ops.Status.Plan) {
		step := &s.ops.Status.Plan.Steps[i]
		r.at(ctx, StepPoint("before", i), s)
		msg, err := r.runStep(withStep(ctx, StepRef{OpsRequest: s.ops.UID, Step: i, Name: step.Name}), s, step, !s.fresh[i])
		if isPermanent(err) {
			r.finish(s, dbaasv1.OpsFailed, dbaasv1.ActionFailedReason, fmt.Sprintf("step %d (%s): %v", i, step.Name, err))
			return nil
		}
		if err != nil {
			return fmt.Errorf("step %d (%s): %w", i, step.Name, err)
		}
		r.at(ctx, StepPoint("after", i), s)
		step.State, step.Message = dbaasv1.OpsStepDone, msg
		if step.Action == dbaasv1.OpsStepPatch && isCluster(step.Target, s) {
			r.log(s, "SpecPatched", fmt.Sprintf("DatabaseCluster %s: %s", s.cluster.Name, step.Patch.Raw))
		} else {
			r.log(s, "Action", step.Name+": "+msg)
		}
		if next := startNext(s.ops.Status.Plan); next >= 0 {
			s.fresh = map[int]bool{next: true}
		} else {
			if s.operation != nil && s.operation.Progress != nil {
				// As evaluated before the children reacted: the progress at the start.
				s.ops.Status.Progress = fmt.Sprintf("%d/%d", s.operation.Progress.Current, s.operation.Progress.Total)
			}
			r.log(s, "Applied", "the operation is applied; waiting for the children to converge")
			r.setCondition(s, dbaasv1.OpsProgressingCondition, metav1.ConditionTrue, dbaasv1.RunningReason, "the operation is applied; waiting for the children to converge")
		}
		if err := r.commit(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// fence writes the status, guarded by the resourceVersion, before a reconcile runs
// a step it did not mark Started itself. The OpsRequest may come from a cache that
// has not seen this controller's last write, and acting on such a read would run a
// step twice. The write is sent even when nothing changed: the API server still
// checks the resourceVersion. A conflict means the read was stale: nothing runs and
// the request comes back with fresh data.
func (r *OpsRequestReconciler) fence(ctx context.Context, s *opsScope) error {
	r.at(ctx, BeforeFence, s)
	r.setCondition(s, dbaasv1.OpsProgressingCondition, metav1.ConditionTrue, dbaasv1.RunningReason, "applying the operation")
	s.force = true
	return r.commit(ctx, s)
}

// runStep makes one step's change, and returns what it did. With verify, the step
// may have run before: the live target is checked first, so a change that landed
// is not made twice.
func (r *OpsRequestReconciler) runStep(ctx context.Context, s *opsScope, step *dbaasv1.OpsStep, verify bool) (string, error) {
	switch step.Action {
	case dbaasv1.OpsStepPatch:
		return r.patchStep(ctx, s, step, verify)
	case dbaasv1.OpsStepCreate:
		return r.createStep(ctx, s, step, verify)
	case dbaasv1.OpsStepDelete:
		return r.deleteStep(ctx, s, step, verify)
	case dbaasv1.OpsStepPassword:
		return r.passwordStep(ctx, s, step)
	}
	return "", permanent(fmt.Errorf("unknown action %q", step.Action))
}

// patchStep applies a merge patch to the target the plan resolved, if it is still
// that object, guarded by the resourceVersion just read: the check and the patch
// see the same object. A step that never ran on the cluster first tries the version
// this reconcile read, which saves the read when the cache is current.
func (r *OpsRequestReconciler) patchStep(ctx context.Context, s *opsScope, step *dbaasv1.OpsStep, verify bool) (string, error) {
	t := step.Target
	if !verify && isCluster(t, s) && t.UID == s.cluster.UID {
		if msg, stale, err := r.patchCachedCluster(ctx, s, step); !stale {
			return msg, err
		}
	}
	live, err := r.read(ctx, s, t)
	if apierrors.IsNotFound(err) || (err == nil && t.UID != "" && live.GetUID() != t.UID) {
		if isCluster(t, s) {
			return "", permanent(fmt.Errorf("DatabaseCluster %s was deleted or replaced since the plan was made", t.Name))
		}
		return fmt.Sprintf("%s %s was deleted or replaced since the plan was made: not patched", t.Kind, t.Name), nil
	}
	if err != nil {
		return "", fmt.Errorf("cannot read %s %s: %w", t.Kind, t.Name, err)
	}
	if verify {
		applied, err := appliedTo(live, step)
		if err != nil {
			return "", err
		}
		if applied {
			return fmt.Sprintf("%s %s has the change already", t.Kind, t.Name), nil
		}
	}
	return r.patchVersion(ctx, step, live)
}

// patchCachedCluster makes a step that never ran on the cluster as this reconcile
// read it from the cache, without a live read: the patch is guarded by that
// resourceVersion, so it lands on no other version. It reports whether it was
// refused because the cache lagged (a conflict, or a cluster gone or replaced);
// then the step reads the live cluster as any other does.
func (r *OpsRequestReconciler) patchCachedCluster(ctx context.Context, s *opsScope, step *dbaasv1.OpsStep) (msg string, stale bool, err error) {
	t := step.Target
	cached := &unstructured.Unstructured{}
	cached.SetAPIVersion(t.APIVersion)
	cached.SetKind(t.Kind)
	cached.SetNamespace(s.cluster.Namespace)
	cached.SetName(s.cluster.Name)
	cached.SetResourceVersion(s.cluster.ResourceVersion)
	msg, err = r.patchVersion(ctx, step, cached)
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return "", true, nil
	}
	return msg, false, err
}

// patchVersion applies the step's merge patch to target, guarded by target's
// resourceVersion.
func (r *OpsRequestReconciler) patchVersion(ctx context.Context, step *dbaasv1.OpsStep, live *unstructured.Unstructured) (string, error) {
	t := step.Target
	var merge map[string]any
	if err := json.Unmarshal(step.Patch.Raw, &merge); err != nil {
		return "", permanent(fmt.Errorf("cannot decode the patch: %w", err))
	}
	meta, _ := merge["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	meta["resourceVersion"] = live.GetResourceVersion()
	merge["metadata"] = meta
	patch, err := json.Marshal(merge)
	if err != nil {
		return "", permanent(fmt.Errorf("cannot encode the patch: %w", err))
	}
	if step.Subresource == "status" {
		err = r.Status().Patch(ctx, live, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(opsFieldManager))
	} else {
		err = r.Patch(ctx, live, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(opsFieldManager))
	}
	if err != nil {
		return "", fmt.Errorf("cannot patch %s %s%s: %w", t.Kind, t.Name, subresourceSuffix(step.Subresource), err)
	}
	return fmt.Sprintf("patched %s %s%s", t.Kind, t.Name, subresourceSuffix(step.Subresource)), nil
}

// appliedTo reports whether the live target holds the step's appliedWhen (by
// default its patch).
func appliedTo(live *unstructured.Unstructured, step *dbaasv1.OpsStep) (bool, error) {
	want := step.Patch
	if step.AppliedWhen != nil {
		want = step.AppliedWhen
	}
	var pattern any
	if err := json.Unmarshal(want.Raw, &pattern); err != nil {
		return false, permanent(fmt.Errorf("cannot decode appliedWhen: %w", err))
	}
	b, err := json.Marshal(live.Object)
	if err != nil {
		return false, fmt.Errorf("cannot encode %s %s: %w", live.GetKind(), live.GetName(), err)
	}
	var object any
	if err := json.Unmarshal(b, &object); err != nil {
		return false, fmt.Errorf("cannot decode %s %s: %w", live.GetKind(), live.GetName(), err)
	}
	return holds(object, pattern), nil
}

// holds reports whether value holds every field of pattern: objects field by field
// (a null field must be absent), anything else by equality.
func holds(value, pattern any) bool {
	p, ok := pattern.(map[string]any)
	if !ok {
		return equalJSON(value, pattern)
	}
	v, ok := value.(map[string]any)
	if !ok {
		return false
	}
	for k, want := range p {
		have, present := v[k]
		if want == nil {
			if present && have != nil {
				return false
			}
			continue
		}
		if !present || !holds(have, want) {
			return false
		}
	}
	return true
}

func equalJSON(a, b any) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(x) == string(y)
}

// createStep creates the step's object, labelled with the OpsRequest's UID. An
// object of that name is this step's only if it carries that label: another one
// fails the operation rather than be taken for the operation's own.
func (r *OpsRequestReconciler) createStep(ctx context.Context, s *opsScope, step *dbaasv1.OpsStep, verify bool) (string, error) {
	var object map[string]any
	if err := json.Unmarshal(step.Object.Raw, &object); err != nil {
		return "", permanent(fmt.Errorf("cannot decode the object: %w", err))
	}
	obj := &unstructured.Unstructured{Object: object}
	obj.SetNamespace(s.ops.Namespace)
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[dbaasv1.OpsRequestLabel] = s.ops.Name
	labels[dbaasv1.OpsRequestUIDLabel] = string(s.ops.UID)
	labels[dbaasv1.ClusterLabel] = s.cluster.Name
	obj.SetLabels(labels)
	if verify {
		msg, found, err := r.created(ctx, s, step)
		if found || err != nil {
			return msg, err
		}
	}
	err := r.Create(ctx, obj, client.FieldOwner(opsFieldManager))
	if apierrors.IsAlreadyExists(err) {
		msg, found, err := r.created(ctx, s, step)
		if !found && err == nil {
			// Deleted since the create failed: the next try creates it.
			err = fmt.Errorf("%s %s existed and is gone", step.Target.Kind, step.Target.Name)
		}
		return msg, err
	}
	if err != nil {
		return "", fmt.Errorf("cannot create %s %s: %w", obj.GetKind(), obj.GetName(), err)
	}
	step.Target.UID = obj.GetUID()
	return fmt.Sprintf("created %s %s", obj.GetKind(), obj.GetName()), nil
}

// created looks for the object a Create step makes: found, it is done if this
// OpsRequest created it and a permanent error otherwise.
func (r *OpsRequestReconciler) created(ctx context.Context, s *opsScope, step *dbaasv1.OpsStep) (string, bool, error) {
	t := step.Target
	existing, err := r.read(ctx, s, t)
	if apierrors.IsNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("cannot read %s %s: %w", t.Kind, t.Name, err)
	}
	if existing.GetLabels()[dbaasv1.OpsRequestUIDLabel] != string(s.ops.UID) {
		return "", true, permanent(fmt.Errorf("%s %s exists already and this OpsRequest did not create it (%s): choose another name",
			t.Kind, t.Name, creator(existing)))
	}
	step.Target.UID = existing.GetUID()
	return fmt.Sprintf("created %s %s", t.Kind, t.Name), true, nil
}

// creator says where an existing object came from, for the message that refuses it.
func creator(u *unstructured.Unstructured) string {
	if name := u.GetLabels()[dbaasv1.OpsRequestLabel]; name != "" {
		return fmt.Sprintf("an earlier OpsRequest named %s created it at %s", name, u.GetCreationTimestamp().UTC().Format("2006-01-02T15:04:05Z"))
	}
	return fmt.Sprintf("created at %s, not by an operation", u.GetCreationTimestamp().UTC().Format("2006-01-02T15:04:05Z"))
}

// deleteStep deletes the target the plan resolved, with its UID as a precondition:
// a target gone, or recreated since (a new UID), is done and left alone.
func (r *OpsRequestReconciler) deleteStep(ctx context.Context, s *opsScope, step *dbaasv1.OpsStep, verify bool) (string, error) {
	t := step.Target
	gone := fmt.Sprintf("%s %s is gone or was recreated since the plan was made: not deleted", t.Kind, t.Name)
	if verify {
		live, err := r.read(ctx, s, t)
		switch {
		case apierrors.IsNotFound(err), err == nil && live.GetUID() != t.UID:
			return gone, nil
		case err != nil:
			return "", fmt.Errorf("cannot read %s %s: %w", t.Kind, t.Name, err)
		case live.GetDeletionTimestamp() != nil:
			return fmt.Sprintf("deleted %s %s", t.Kind, t.Name), nil
		}
	}
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(t.APIVersion)
	u.SetKind(t.Kind)
	u.SetNamespace(s.ops.Namespace)
	u.SetName(t.Name)
	uid := t.UID
	err := r.Delete(ctx, u, client.Preconditions{UID: &uid})
	switch {
	case apierrors.IsNotFound(err), apierrors.IsConflict(err):
		// A conflict on a delete is its UID precondition failing: another object.
		return gone, nil
	case err != nil:
		return "", fmt.Errorf("cannot delete %s %s: %w", t.Kind, t.Name, err)
	}
	return fmt.Sprintf("deleted %s %s", t.Kind, t.Name), nil
}

func subresourceSuffix(sub string) string {
	if sub == "" {
		return ""
	}
	return " (" + sub + ")"
}
