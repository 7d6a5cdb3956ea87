package controller

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/apply"
	"dbaas.io/operator/internal/provider"
)

// reconcileDelete cleans up the children and removes the finalizer once none is
// left to delete. With deletionPolicy Delete every child goes, those that hold data
// included (by the UID recorded when they were created). With Retain the children
// that hold data, and those the engine keeps with them, stay: they carry no owner
// reference, so the garbage collector leaves them whatever the propagation of the
// deletion (foreground included), and the operator releases them (removes its
// labels, marks them retained). What is kept is decided from the records in status
// and the owner references the operator set, never from an annotation a user can
// strip. An engine that is no longer loaded cannot clean up: the finalizer stays and
// the condition says why, rather than leaking or destroying data blindly.
func (r *DatabaseClusterReconciler) reconcileDelete(ctx context.Context, s *clusterScope) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(s.cluster, dbaasv1.Finalizer) {
		return ctrl.Result{}, nil
	}
	p, err := r.Providers.Get(s.cluster.Spec.Engine)
	if err != nil {
		s.halt(dbaasv1.EngineNotFoundReason, "cannot clean up: "+err.Error())
		s.cluster.Status.Phase = dbaasv1.PhaseDeleting
		return ctrl.Result{}, r.writeDeletingStatus(ctx, s)
	}
	s.provider = p
	children, err := r.childrenToCleanUp(ctx, s)
	if err != nil {
		return ctrl.Result{}, err
	}
	retain := s.cluster.Spec.DeletionPolicy == dbaasv1.DeletionPolicyRetain
	remaining := 0
	for _, u := range children {
		if retain && s.keptOnRetain(u) {
			if err := r.release(ctx, s.cluster, u); err != nil {
				return ctrl.Result{}, err
			}
			continue
		}
		if u.GetDeletionTimestamp() == nil {
			err := r.Delete(ctx, u, client.Preconditions{UID: ptr.To(u.GetUID())})
			if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				return ctrl.Result{}, fmt.Errorf("cannot delete %s %s: %w", u.GetKind(), u.GetName(), err)
			}
		}
		remaining++
	}
	if remaining > 0 {
		s.cluster.Status.Phase = dbaasv1.PhaseDeleting
		if err := r.writeDeletingStatus(ctx, s); err != nil {
			return ctrl.Result{}, err
		}
		// Children are watched, but their deletion may wait on their own finalizers.
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	}
	r.Recorder.Eventf(s.cluster, nil, corev1.EventTypeNormal, "CleanedUp", "Delete", "children cleaned up with deletionPolicy %s", policyName(s.cluster))
	// The optimistic lock keeps a stale copy from writing back a finalizer the
	// garbage collector has removed meanwhile (foregroundDeletion).
	patch := client.MergeFromWithOptions(s.cluster.DeepCopy(), client.MergeFromWithOptimisticLock{})
	controllerutil.RemoveFinalizer(s.cluster, dbaasv1.Finalizer)
	return ctrl.Result{}, client.IgnoreNotFound(r.Patch(ctx, s.cluster, patch))
}

// childrenToCleanUp returns the cluster's children: the labelled ones it created,
// and the recorded children that hold data even if someone removed their labels.
func (r *DatabaseClusterReconciler) childrenToCleanUp(ctx context.Context, s *clusterScope) ([]*unstructured.Unstructured, error) {
	children, err := apply.Owned(ctx, r.Client, provider.Kinds(s.provider), s.cluster.Namespace,
		map[string]string{dbaasv1.ClusterLabel: s.cluster.Name}, s.cluster.UID)
	if err != nil {
		return nil, fmt.Errorf("cannot list the children of %s: %w", s.cluster.Name, err)
	}
	s.observed = children
	for _, rec := range s.cluster.Status.DataBearing {
		if s.observes(rec.UID) {
			continue
		}
		live, err := r.readLive(ctx, schema.FromAPIVersionAndKind(rec.APIVersion, rec.Kind), s.cluster.Namespace, rec.Name)
		if err != nil {
			return nil, err
		}
		if live != nil && live.GetUID() == rec.UID && live.GetAnnotations()[dbaasv1.RetainedAnnotation] == "" {
			s.observed = append(s.observed, live)
		}
	}
	return s.observed, nil
}

// keptOnRetain reports whether deletionPolicy Retain keeps a child: it holds data
// (recorded, or by its key for children created before records existed), or the
// operator created it without an owner reference, as it does the children that hold
// data and the ones the engine keeps with them.
func (s *clusterScope) keptOnRetain(u *unstructured.Unstructured) bool {
	if ref := metav1.GetControllerOfNoCopy(u); ref == nil || ref.UID != s.cluster.UID {
		return true
	}
	if slices.ContainsFunc(s.cluster.Status.DataBearing, func(c dbaasv1.ChildRef) bool { return c.UID == u.GetUID() }) {
		return true
	}
	return s.provider.Engine().Ownerless(provider.KeyOf(u))
}

// release lets a retained child go: the cluster's owner reference and labels are
// removed (a new DatabaseCluster of the same name does not take it over), and it is
// marked as retained from the cluster.
func (r *DatabaseClusterReconciler) release(ctx context.Context, cluster *dbaasv1.DatabaseCluster, u *unstructured.Unstructured) error {
	patched := u.DeepCopy()
	patched.SetOwnerReferences(slices.DeleteFunc(patched.GetOwnerReferences(), func(o metav1.OwnerReference) bool { return o.UID == cluster.UID }))
	labels := patched.GetLabels()
	delete(labels, dbaasv1.ClusterLabel)
	delete(labels, dbaasv1.ClusterUIDLabel)
	patched.SetLabels(labels)
	annotations := patched.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[dbaasv1.RetainedAnnotation] = cluster.Name
	patched.SetAnnotations(annotations)
	if err := r.Patch(ctx, patched, client.MergeFrom(u)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot release %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return nil
}

// writeDeletingStatus reports the Deleting phase while cleanup runs.
func (r *DatabaseClusterReconciler) writeDeletingStatus(ctx context.Context, s *clusterScope) error {
	if s.original.Status.Phase == s.cluster.Status.Phase {
		return nil
	}
	patch := client.MergeFrom(s.original)
	return client.IgnoreNotFound(r.Status().Patch(ctx, s.cluster, patch))
}

func policyName(c *dbaasv1.DatabaseCluster) dbaasv1.DeletionPolicy {
	if c.Spec.DeletionPolicy == "" {
		return dbaasv1.DeletionPolicyDelete
	}
	return c.Spec.DeletionPolicy
}
