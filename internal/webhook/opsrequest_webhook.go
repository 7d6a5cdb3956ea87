package webhook

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/policy"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
)

// OpsPolicy decides whether an operation may run on a cluster.
type OpsPolicy interface {
	Ops(ctx context.Context, ops *dbaasv1.OpsRequest, cluster *dbaasv1.DatabaseCluster, engine *render.Engine, specPatch map[string]any) (policy.Decision, error)
}

// OpsRequestValidator refuses, at apply time, operations the cluster's engine does
// not define, finds invalid or cannot run, that the ops policy denies, or that target
// a cluster being deleted; and any change to an OpsRequest's spec but spec.cancel.
type OpsRequestValidator struct {
	// Client reads from the API server: the OpsRequests queued on the cluster, and
	// whether the objects an operation would create exist already.
	Client client.Reader
	// Cache reads the cluster and its children, as the OpsRequest controller does;
	// nil reads them through Client.
	Cache     client.Reader
	Providers *provider.Factory
	// Policy is the ops policy; nil allows everything.
	Policy OpsPolicy
	// Limiter bounds the evaluations that run at once, per namespace and in all;
	// nil bounds none.
	Limiter *Limiter
}

// +kubebuilder:webhook:path=/validate-dbaas-io-v1alpha1-opsrequest,mutating=false,failurePolicy=fail,sideEffects=None,groups=dbaas.io,resources=opsrequests,verbs=create;update,versions=v1alpha1,name=vopsrequest.dbaas.io,admissionReviewVersions=v1

// SetupWithManager registers the webhook with the manager's webhook server.
func (v *OpsRequestValidator) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewWebhookManagedBy(mgr, &dbaasv1.OpsRequest{}).WithValidator(v).Complete()
}

// ValidateCreate checks a new operation against its cluster's engine and the policy.
// An operation on a cluster that does not exist is let through: the controller
// fails it with ClusterNotFound, which is what a user looking at it expects to read.
func (v *OpsRequestValidator) ValidateCreate(ctx context.Context, ops *dbaasv1.OpsRequest) (admission.Warnings, error) {
	cluster, err := v.cluster(ctx, ops)
	if apierrors.IsNotFound(err) {
		return admission.Warnings{fmt.Sprintf("DatabaseCluster %q does not exist: the operation will fail", ops.Spec.ClusterRef)}, nil
	}
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	if !cluster.DeletionTimestamp.IsZero() {
		return nil, opsInvalid(ops, field.Forbidden(field.NewPath("spec", "clusterRef"),
			fmt.Sprintf("DatabaseCluster %s is being deleted: no operation can run on it", cluster.Name)))
	}
	p, err := v.Providers.Get(cluster.Spec.Engine)
	if err != nil {
		return nil, opsInvalid(ops, field.Invalid(field.NewPath("spec", "clusterRef"), ops.Spec.ClusterRef, err.Error()))
	}
	release, err := v.Limiter.Acquire(ctx, ops.Namespace)
	if err != nil {
		return nil, err
	}
	defer release()
	if !p.Engine().HasOperation(string(ops.Spec.Type)) {
		// The list of what the engine offers, and the policy's reason why this type
		// is not among them ("Kafka has no primary") when it has one.
		decision, err := v.decide(ctx, ops, cluster, p, nil)
		if err != nil {
			return nil, err
		}
		errs := append(field.ErrorList{field.NotSupported(field.NewPath("spec", "type"), ops.Spec.Type, p.Operations().Types())}, violations(decision)...)
		return nil, opsInvalid(ops, errs...)
	}
	// The engine first, as the controller does: the policy judges the spec patch of
	// an operation the engine can evaluate.
	op, err := v.evaluate(ctx, p, cluster, ops)
	if err != nil {
		return nil, err
	}
	decision, err := v.decide(ctx, ops, cluster, p, op.SpecPatch)
	if err != nil {
		return nil, err
	}
	errs := violations(decision)
	taken, err := v.taken(ctx, ops, op)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	engineErrs := invalidParameters(ops, op)
	if onlyTheQueueCanChange(decision, taken, engineErrs) && p.Operations().Queued(string(ops.Spec.Type)) {
		// An operation that queues behind another one is judged on the cluster as
		// that one leaves it: the controller evaluates the engine and the policy again
		// when the operation reaches the head of the queue, and waits for a Ready
		// cluster then. What the cluster is now is no reason to refuse it.
		ahead, err := v.queuedAhead(ctx, ops, p)
		if err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		if ahead != nil {
			return queuedWarnings(ops, cluster, ahead, decision, engineErrs), nil
		}
	}
	errs = append(append(errs, taken...), engineErrs...)
	if len(errs) > 0 {
		return nil, opsInvalid(ops, errs...)
	}
	return nil, nil
}

// onlyTheQueueCanChange reports whether something stands against the operation and all
// of it depends on the cluster as it is now, which the operations queued before it
// change: the policy's need for a Ready cluster, the engine's objections. A name
// that is taken or another policy violation stays as it is.
func onlyTheQueueCanChange(decision policy.Decision, taken, engineErrs field.ErrorList) bool {
	if len(taken) > 0 || !(decision.Allowed() || decision.OnlyReason(policy.ReasonClusterNotReady)) {
		return false
	}
	return !decision.Allowed() || len(engineErrs) > 0
}

// decide runs the ops policy on the spec patch of the admission's evaluation of the
// operation; no policy allows everything.
func (v *OpsRequestValidator) decide(ctx context.Context, ops *dbaasv1.OpsRequest, cluster *dbaasv1.DatabaseCluster, p provider.Provider, specPatch map[string]any) (policy.Decision, error) {
	if v.Policy == nil {
		return policy.Decision{}, nil
	}
	decision, err := v.Policy.Ops(ctx, ops, cluster, p.Engine(), specPatch)
	if err != nil {
		return policy.Decision{}, apierrors.NewInternalError(fmt.Errorf("cannot evaluate the ops policy: %w", err))
	}
	return decision, nil
}

// queuedWarnings are what the user reads about an operation admitted behind another
// one although the cluster, as it is now, would not let it run.
func queuedWarnings(ops *dbaasv1.OpsRequest, cluster *dbaasv1.DatabaseCluster, ahead *dbaasv1.OpsRequest, decision policy.Decision, engineErrs field.ErrorList) admission.Warnings {
	if ops.Spec.DryRun {
		return dryRunQueuedWarnings(ops, cluster, ahead, decision, engineErrs)
	}
	warnings := admission.Warnings{}
	if !decision.Allowed() {
		warnings = append(warnings, fmt.Sprintf("queued behind OpsRequest %s (%s); DatabaseCluster %s is %s: %s starts once it is Ready again",
			ahead.Name, ahead.Spec.Type, cluster.Name, cluster.Status.Phase, ops.Spec.Type))
	}
	for _, e := range engineErrs {
		warnings = append(warnings, fmt.Sprintf("queued behind OpsRequest %s (%s); on DatabaseCluster %s as it is now, %s: %s is checked again when it starts",
			ahead.Name, ahead.Spec.Type, cluster.Name, e.Detail, ops.Spec.Type))
	}
	return warnings
}

// dryRunQueuedWarnings say the same of a dry run, which does not queue: it is
// admitted as the real operation would be, and judged on the cluster as it is now.
func dryRunQueuedWarnings(ops *dbaasv1.OpsRequest, cluster *dbaasv1.DatabaseCluster, ahead *dbaasv1.OpsRequest, decision policy.Decision, engineErrs field.ErrorList) admission.Warnings {
	warnings := admission.Warnings{}
	if !decision.Allowed() {
		warnings = append(warnings, fmt.Sprintf("a real %s would queue behind OpsRequest %s (%s) and start once DatabaseCluster %s (%s) is Ready again; this dry run plans it on the cluster as it is now",
			ops.Spec.Type, ahead.Name, ahead.Spec.Type, cluster.Name, cluster.Status.Phase))
	}
	for _, e := range engineErrs {
		warnings = append(warnings, fmt.Sprintf("a real %s would queue behind OpsRequest %s (%s) and be checked again when it starts; this dry run is judged on DatabaseCluster %s as it is now, and fails: %s",
			ops.Spec.Type, ahead.Name, ahead.Spec.Type, cluster.Name, e.Detail))
	}
	return warnings
}

// cluster reads the operation's cluster from the cache, else from the API server (a
// cluster created a moment ago may not be in the cache yet).
func (v *OpsRequestValidator) cluster(ctx context.Context, ops *dbaasv1.OpsRequest) (*dbaasv1.DatabaseCluster, error) {
	key := client.ObjectKey{Namespace: ops.Namespace, Name: ops.Spec.ClusterRef}
	cluster := &dbaasv1.DatabaseCluster{}
	if v.Cache != nil {
		err := v.Cache.Get(ctx, key, cluster)
		if !apierrors.IsNotFound(err) {
			return cluster, err
		}
	}
	return cluster, v.Client.Get(ctx, key, cluster)
}

// queuedAhead returns an unfinished, queued OpsRequest of the same cluster that the
// new one will wait for, or nil. Dry runs hold no place in the queue.
func (v *OpsRequestValidator) queuedAhead(ctx context.Context, ops *dbaasv1.OpsRequest, p provider.Provider) (*dbaasv1.OpsRequest, error) {
	var list dbaasv1.OpsRequestList
	if err := v.Client.List(ctx, &list, client.InNamespace(ops.Namespace)); err != nil {
		return nil, fmt.Errorf("cannot list the OpsRequests of namespace %s: %w", ops.Namespace, err)
	}
	for i := range list.Items {
		other := &list.Items[i]
		if other.Name == ops.Name || other.Spec.ClusterRef != ops.Spec.ClusterRef || other.Spec.Cancel || other.Spec.DryRun ||
			other.Status.Phase.Finished() || !p.Operations().Queued(string(other.Spec.Type)) {
			continue
		}
		return other, nil
	}
	return nil, nil
}

// ValidateUpdate allows changing spec.cancel only.
func (v *OpsRequestValidator) ValidateUpdate(_ context.Context, old, ops *dbaasv1.OpsRequest) (admission.Warnings, error) {
	before, after := old.Spec.DeepCopy(), ops.Spec.DeepCopy()
	before.Cancel, after.Cancel = false, false
	if !equality.Semantic.DeepEqual(before, after) {
		return nil, opsInvalid(ops, field.Forbidden(field.NewPath("spec"), "an OpsRequest is immutable after creation except spec.cancel: create a new one"))
	}
	return nil, nil
}

// ValidateDelete allows every deletion.
func (v *OpsRequestValidator) ValidateDelete(context.Context, *dbaasv1.OpsRequest) (admission.Warnings, error) {
	return nil, nil
}

func opsInvalid(ops *dbaasv1.OpsRequest, errs ...*field.Error) error {
	return apierrors.NewInvalid(dbaasv1.GroupVersion.WithKind("OpsRequest").GroupKind(), ops.Name, errs)
}
