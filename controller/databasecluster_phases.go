package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/apply"
	"dbaas.io/operator/internal/childcheck"
	"dbaas.io/operator/internal/provider"
)

// loadEngine finds the cluster's engine.
func (r *DatabaseClusterReconciler) loadEngine(_ context.Context, s *clusterScope) (ctrl.Result, error) {
	p, err := r.Providers.Get(s.cluster.Spec.Engine)
	if err != nil {
		s.halt(dbaasv1.EngineNotFoundReason, err.Error())
		return ctrl.Result{}, nil
	}
	s.provider = p
	return ctrl.Result{}, nil
}

// observe lists the children the cluster created. It runs before anything can halt
// the reconcile, so that status always reflects the children.
func (r *DatabaseClusterReconciler) observe(ctx context.Context, s *clusterScope) (ctrl.Result, error) {
	observed, err := apply.Owned(ctx, r.Client, provider.Kinds(s.provider), s.cluster.Namespace,
		map[string]string{dbaasv1.ClusterLabel: s.cluster.Name}, s.cluster.UID)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("cannot list the children of %s: %w", s.cluster.Name, err)
	}
	s.observed = observed
	return ctrl.Result{}, nil
}

// prepare reads what the engine requires and checks its preconditions. A failed
// read is retried with backoff; an engine that fails to evaluate halts.
func (r *DatabaseClusterReconciler) prepare(ctx context.Context, s *clusterScope) (ctrl.Result, error) {
	var reader client.Reader = r.Client
	if r.Lookups != nil {
		reader = r.Lookups
	}
	if len(s.createdRequired) > 0 {
		reader = justCreated{created: s.createdRequired, Reader: reader}
	}
	s.requiredAgain = false
	prepared, err := s.provider.PreReconcileHook(ctx, reader, s.cluster)
	if readErr := (*provider.ReadError)(nil); errors.As(err, &readErr) {
		s.halt(dbaasv1.ReadFailedReason, err.Error())
		return ctrl.Result{}, err
	}
	if err != nil {
		s.halt(dbaasv1.RenderFailedReason, err.Error())
		return ctrl.Result{}, nil
	}
	s.prepared = prepared
	if len(prepared.Unmet) > 0 {
		var msgs []string
		for _, u := range prepared.Unmet {
			msgs = append(msgs, fmt.Sprintf("%s: %s", u.Name, u.Message))
		}
		s.halt(dbaasv1.PreconditionNotMetReason, strings.Join(msgs, "; "))
	}
	return ctrl.Result{}, nil
}

// checkPaused leaves the children alone while spec.paused is set.
func (r *DatabaseClusterReconciler) checkPaused(_ context.Context, s *clusterScope) (ctrl.Result, error) {
	if s.cluster.Spec.Paused {
		s.halt(dbaasv1.PausedReason, "spec.paused is set: the operator does not change the children")
	}
	return ctrl.Result{}, nil
}

// render evaluates the engine's stages in order.
func (r *DatabaseClusterReconciler) render(_ context.Context, s *clusterScope) (ctrl.Result, error) {
	applier, err := s.provider.GetApplier(s.prepared)
	if err == nil {
		for _, stage := range []func() error{applier.Metadata, applier.Engine, applier.Proxy, applier.Monitoring, applier.Scheduling, applier.Backup, applier.DataSource} {
			if err = stage(); err != nil {
				break
			}
		}
	}
	if err == nil {
		s.result, err = applier.GetResult()
	}
	if err != nil {
		s.halt(dbaasv1.RenderFailedReason, "the engine failed to render, children are untouched: "+err.Error())
		r.Recorder.Eventf(s.cluster, nil, corev1.EventTypeWarning, dbaasv1.RenderFailedReason, "Render", "%s", err.Error())
		return ctrl.Result{}, nil
	}
	s.desired = s.result.Objects
	return ctrl.Result{}, nil
}

// checkPolicy runs the cluster policy over the cluster and the rendered objects.
func (r *DatabaseClusterReconciler) checkPolicy(ctx context.Context, s *clusterScope) (ctrl.Result, error) {
	if r.Policy == nil {
		return ctrl.Result{}, nil
	}
	var rendered []map[string]any
	for _, o := range s.result.Objects {
		rendered = append(rendered, o.Object.Object)
	}
	decision, err := r.Policy.Cluster(ctx, s.cluster, s.provider.Engine(), rendered)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("cannot evaluate the cluster policy: %w", err)
	}
	if !decision.Allowed() {
		msg := "the policy denies the cluster, children are untouched: " + decision.Message()
		s.halt(dbaasv1.PolicyDeniedReason, msg)
		r.Recorder.Eventf(s.cluster, nil, corev1.EventTypeWarning, dbaasv1.PolicyDeniedReason, "Policy", "%s", msg)
	}
	return ctrl.Result{}, nil
}

// apply writes each desired object with server-side apply, labelled with the
// cluster and owned by it unless the engine keeps it ownerless (data). A Secret the
// engine fills from other Secrets (secretData) gets their values now, after the
// policy, which never sees them; what the binding Secret lacks is noted for the
// status, and a binding Secret that lacks keys is not created yet. The children that hold data and the one-shots are
// recorded in status as they are created. An API error is reported and retried with
// backoff.
func (r *DatabaseClusterReconciler) apply(ctx context.Context, s *clusterScope) (ctrl.Result, error) {
	engine := s.provider.Engine()
	byRef := map[apply.Ref]*unstructured.Unstructured{}
	for _, o := range s.observed {
		byRef[apply.RefOf(o)] = o
	}
	var reader client.Reader = r.Client
	if r.Lookups != nil {
		reader = r.Lookups
	}
	var updated []string
	s.addOnsMissing = nil
	for _, o := range s.desired {
		desired := provider.Child(s.cluster, o.Key, o.Object, engine.Ownerless(o.Key))
		missing, err := provider.CopySecretData(ctx, reader, desired, s.result.SecretData[o.Key])
		if err != nil {
			s.halt(dbaasv1.ReadFailedReason, err.Error())
			return ctrl.Result{}, err
		}
		ref := apply.RefOf(desired)
		if o.Key == engine.Binding {
			s.binding = &bindingState{name: desired.GetName(), missing: missing}
			// A new binding Secret is created once it is complete: a Secret without
			// credentials, then the update that completes it, would cost every new
			// cluster two writes (and an Event) for nothing an application can use. One
			// that exists is written as rendered, so that it never keeps what its
			// source no longer holds.
			if len(missing) > 0 && byRef[ref] == nil {
				continue
			}
		}
		created := func() {}
		if byRef[ref] == nil {
			created = r.own.beginCreate(desired)
		}
		stored, err := r.Applier.Apply(ctx, desired, byRef[ref])
		if err == nil && stored != nil {
			// Recorded before the create ends, so its event is known in between too.
			r.own.record(stored)
		}
		created()
		if gvk := desired.GroupVersionKind(); kindNotServed(err) && engine.IsAddOn(gvk) {
			// An add-on kind without its CRD holds back only its own objects.
			s.addOnsMissing = append(s.addOnsMissing, childcheck.MissingAddOn(childcheck.Kind{GVK: gvk, State: childcheck.Missing}, engine.AddOns[gvk]))
			continue
		}
		if err != nil {
			s.halt(dbaasv1.ApplyFailedReason, err.Error())
			r.Recorder.Eventf(s.cluster, nil, corev1.EventTypeWarning, dbaasv1.ApplyFailedReason, "Apply", "%s", err.Error())
			return ctrl.Result{}, err
		}
		if stored == nil {
			continue
		}
		if byRef[ref] != nil {
			updated = append(updated, ref.String())
			if _, ok := s.createdRequired[ref]; ok {
				s.createdRequired[ref] = stored
			}
		} else if s.prepared.Requires(stored) {
			if s.createdRequired == nil {
				s.createdRequired = map[apply.Ref]*unstructured.Unstructured{}
			}
			s.createdRequired[ref] = stored
			s.requiredAgain = true
		}
		// The status is mapped from the children as the API server stored them now,
		// so that it never claims a state the child had before this change.
		s.replaceObserved(stored)
		s.record(o.Key, stored, engine, r.now())
	}
	// Changes to existing children are Events; their creation is what the Creating
	// phase reports, without a write per cluster.
	if len(updated) > 0 {
		r.Recorder.Eventf(s.cluster, nil, corev1.EventTypeNormal, dbaasv1.AppliedReason, "Apply", "applied %s", strings.Join(updated, ", "))
	}
	// The sources of the binding Secret may carry no label that would reconcile the
	// cluster when the child operator writes them: look again.
	if s.binding != nil && len(s.binding.missing) > 0 {
		return ctrl.Result{RequeueAfter: r.RetryInterval}, nil
	}
	return ctrl.Result{}, nil
}

// reportAddOns reports, once the other children are applied and pruned, the
// rendered objects of add-on kinds whose CRD is not served. The reconcile is
// retried later: installing a CRD is no event the controller watches.
func (r *DatabaseClusterReconciler) reportAddOns(_ context.Context, s *clusterScope) (ctrl.Result, error) {
	if len(s.addOnsMissing) == 0 {
		return ctrl.Result{}, nil
	}
	msg := "the other children are applied, but " + strings.Join(slices.Compact(s.addOnsMissing), "; ")
	s.halt(dbaasv1.AddOnNotInstalledReason, msg)
	r.Recorder.Eventf(s.cluster, nil, corev1.EventTypeWarning, dbaasv1.AddOnNotInstalledReason, "Apply", "%s", msg)
	return ctrl.Result{}, nil
}

// prune deletes the children the engine no longer renders, except the ones that
// hold data or ran once: those are deleted only with the cluster.
func (r *DatabaseClusterReconciler) prune(ctx context.Context, s *clusterScope) (ctrl.Result, error) {
	keep := map[apply.Ref]bool{}
	for _, o := range s.result.Objects {
		keep[apply.RefOf(o.Object)] = true
	}
	var candidates []*unstructured.Unstructured
	for _, o := range s.observed {
		if !s.protected(o) {
			candidates = append(candidates, o)
		}
	}
	deleted, err := r.Applier.Prune(ctx, candidates, keep)
	if len(deleted) > 0 {
		var names []string
		for _, d := range deleted {
			names = append(names, d.String())
		}
		r.Recorder.Eventf(s.cluster, nil, corev1.EventTypeNormal, "Pruned", "Prune", "deleted %s: the engine no longer renders it", strings.Join(names, ", "))
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	s.reconciled = &outcome{ok: true, reason: dbaasv1.AppliedReason, message: fmt.Sprintf("%d objects rendered by engine %s and applied", len(s.result.Objects), s.provider.Name())}
	return ctrl.Result{}, nil
}

// justCreated reads the objects a reconcile just created as the API server returned
// them, which the cache may not hold yet, and everything else from Reader.
type justCreated struct {
	client.Reader
	created map[apply.Ref]*unstructured.Unstructured
}

func (j justCreated) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		ref := apply.Ref{Kind: u.GroupVersionKind().GroupKind().String(), Name: key.Name}
		if created, ok := j.created[ref]; ok {
			created.DeepCopyInto(u)
			return nil
		}
	}
	return j.Reader.Get(ctx, key, obj, opts...)
}

// kindNotServed says whether an apply failed because the API server does not serve
// the object's kind: the REST mapper knows no such kind, or, its mapping being
// older than the CRD's deletion, the server answers the patch with NotFound (a
// server-side apply creates a missing object, so NotFound names the resource).
func kindNotServed(err error) bool {
	return meta.IsNoMatchError(err) || apierrors.IsNotFound(err)
}
