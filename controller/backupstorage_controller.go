package controller

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// BackupStorageReconciler reports in a BackupStorage's Ready condition whether its
// credentials are in place, so that a user sees a missing Secret on the storage
// itself, not only on each cluster that uses it.
type BackupStorageReconciler struct {
	client.Client
	// Live reads the credentials Secret from the API server: the operator keeps no
	// informer on Secrets. Nil reads through the client.
	Live client.Reader
	// RecheckInterval is how soon the Secret is read again while the storage is not
	// Ready (a Secret's changes raise no event here); a Ready one is read again
	// every ten of them. Default: 30 seconds.
	RecheckInterval time.Duration
}

// +kubebuilder:rbac:groups=dbaas.io,resources=backupstorages,verbs=get;list;watch
// +kubebuilder:rbac:groups=dbaas.io,resources=backupstorages/status,verbs=patch

// Reconcile checks the credentials of one BackupStorage and writes the Ready
// condition when it changed.
func (r *BackupStorageReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	bs := &dbaasv1.BackupStorage{}
	if err := r.Get(ctx, req.NamespacedName, bs); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ready, err := r.credentialsCondition(ctx, bs)
	if err != nil {
		return ctrl.Result{}, err
	}
	ready.ObservedGeneration = bs.Generation
	before := bs.DeepCopy()
	bs.Status.ObservedGeneration = bs.Generation
	meta.SetStatusCondition(&bs.Status.Conditions, ready)
	if !equalStorageStatus(before.Status, bs.Status) {
		if err := r.Status().Patch(ctx, bs, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			if apierrors.IsConflict(err) {
				// A newer BackupStorage is on its way: judge that one shortly (the
				// operations' conflictRetry).
				return ctrl.Result{RequeueAfter: conflictRetry}, nil
			}
			return ctrl.Result{}, fmt.Errorf("cannot write the status of BackupStorage %s: %w", req.NamespacedName, err)
		}
	}
	switch {
	case bs.Spec.WorkloadIdentity != nil:
		return ctrl.Result{}, nil
	case ready.Status == metav1.ConditionTrue:
		return ctrl.Result{RequeueAfter: 10 * r.recheck()}, nil
	}
	return ctrl.Result{RequeueAfter: r.recheck()}, nil
}

// credentialsCondition is the Ready condition of bs: True with workload identity or
// a Secret that holds every key its type needs.
func (r *BackupStorageReconciler) credentialsCondition(ctx context.Context, bs *dbaasv1.BackupStorage) (metav1.Condition, error) {
	c := metav1.Condition{Type: dbaasv1.ReadyCondition, Status: metav1.ConditionTrue}
	if bs.Spec.WorkloadIdentity != nil {
		c.Reason = dbaasv1.WorkloadIdentityReason
		c.Message = "credentials come from the workload identity of the database pods"
		return c, nil
	}
	name := bs.Spec.CredentialsSecretName
	secret := &corev1.Secret{}
	err := r.live().Get(ctx, client.ObjectKey{Namespace: bs.Namespace, Name: name}, secret)
	switch {
	case apierrors.IsNotFound(err):
		c.Status, c.Reason = metav1.ConditionFalse, dbaasv1.SecretNotFoundReason
		c.Message = fmt.Sprintf("Secret %q with the credentials does not exist", name)
		return c, nil
	case err != nil:
		return c, fmt.Errorf("cannot read Secret %s/%s: %w", bs.Namespace, name, err)
	}
	var missing []string
	for _, key := range dbaasv1.CredentialsKeys[bs.Spec.Type] {
		if len(secret.Data[key]) == 0 {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		c.Status, c.Reason = metav1.ConditionFalse, dbaasv1.SecretKeyMissingReason
		c.Message = fmt.Sprintf("Secret %q has no %s, which type %s needs", name, strings.Join(missing, ", "), bs.Spec.Type)
		return c, nil
	}
	c.Reason = dbaasv1.CredentialsFoundReason
	c.Message = fmt.Sprintf("Secret %q has the credentials of type %s", name, bs.Spec.Type)
	return c, nil
}

// equalStorageStatus compares two statuses ignoring the conditions' transition
// times, which SetStatusCondition keeps when a condition does not change.
func equalStorageStatus(a, b dbaasv1.BackupStorageStatus) bool {
	if a.ObservedGeneration != b.ObservedGeneration || len(a.Conditions) != len(b.Conditions) {
		return false
	}
	for i := range a.Conditions {
		x, y := a.Conditions[i], b.Conditions[i]
		if x.Type != y.Type || x.Status != y.Status || x.Reason != y.Reason || x.Message != y.Message || x.ObservedGeneration != y.ObservedGeneration {
			return false
		}
	}
	return true
}

func (r *BackupStorageReconciler) live() client.Reader {
	if r.Live != nil {
		return r.Live
	}
	return r.Client
}

func (r *BackupStorageReconciler) recheck() time.Duration {
	if r.RecheckInterval > 0 {
		return r.RecheckInterval
	}
	return 30 * time.Second
}

// SetupWithManager registers the controller; a status write raises no reconcile.
func (r *BackupStorageReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&dbaasv1.BackupStorage{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("backupstorage").
		Complete(r)
}
