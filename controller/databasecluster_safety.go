package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/apply"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
)

// guardData keeps the cluster's data safe before anything is applied:
//   - a one-shot child the operator recorded (a restore) is never created again;
//   - a child that held data and that someone else deleted is not re-created, empty
//     under the same endpoints, until the user acknowledges the loss;
//   - a child that holds data and that the engine no longer renders (an engine
//     change renamed or dropped it) stops the cluster: it is neither pruned nor
//     replaced by a new, empty one;
//   - an object the engine renders that exists and that this cluster did not create
//     is never taken over.
//
// What exists is read from the API server, not from the cache, where it decides.
func (r *DatabaseClusterReconciler) guardData(ctx context.Context, s *clusterScope) (ctrl.Result, error) {
	rendered := map[apply.Ref]render.Object{}
	for _, o := range s.result.Objects {
		rendered[apply.RefOf(o.Object)] = o
	}
	s.desired = withoutRecordedOneShots(s)

	missing, err := r.missingDataBearing(ctx, s, rendered)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(missing) > 0 {
		msg := missingMessage(s.cluster, missing)
		s.halt(dbaasv1.DataBearingChildMissingReason, msg)
		r.Recorder.Eventf(s.cluster, nil, corev1.EventTypeWarning, dbaasv1.DataBearingChildMissingReason, "Guard", "%s", msg)
		return ctrl.Result{}, nil
	}
	if dropped := droppedDataBearing(s, rendered); len(dropped) > 0 {
		msg := fmt.Sprintf("engine %s (%s) no longer renders %s, which holds the cluster's data: it is kept and nothing is applied. "+
			"Go back to an engine version that renders it, or delete it yourself to go on without its data",
			s.provider.Name(), s.provider.Engine().Source, strings.Join(dropped, ", "))
		s.halt(dbaasv1.DataBearingChildDroppedReason, msg)
		r.Recorder.Eventf(s.cluster, nil, corev1.EventTypeWarning, dbaasv1.DataBearingChildDroppedReason, "Guard", "%s", msg)
		return ctrl.Result{}, nil
	}
	refused, err := r.notOwn(ctx, s)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(refused) > 0 {
		msg := fmt.Sprintf("%s: not created by DatabaseCluster %s, so the operator leaves it untouched. "+
			"Delete or rename it, or give the DatabaseCluster another name", strings.Join(refused, "; "), s.cluster.Name)
		s.halt(dbaasv1.TakeOverRefusedReason, msg)
		r.Recorder.Eventf(s.cluster, nil, corev1.EventTypeWarning, dbaasv1.TakeOverRefusedReason, "Guard", "%s", msg)
	}
	return ctrl.Result{}, nil
}

// withoutRecordedOneShots returns the rendered objects minus the one-shots that
// must not be applied: finished ones, and recorded ones whose object is gone.
func withoutRecordedOneShots(s *clusterScope) []render.Object {
	observed := map[apply.Ref]bool{}
	for _, o := range s.observed {
		observed[apply.RefOf(o)] = true
	}
	var out []render.Object
	for _, o := range s.result.Objects {
		i := slices.IndexFunc(s.cluster.Status.OneShots, func(r dbaasv1.OneShot) bool { return r.Key == o.Key })
		if i >= 0 && (s.cluster.Status.OneShots[i].Phase == dbaasv1.OneShotCompleted || !observed[apply.RefOf(o.Object)]) {
			continue
		}
		out = append(out, o)
	}
	return out
}

// missingDataBearing returns the recorded children that held data and are gone,
// and that the engine still renders. A recorded child that is gone and no longer
// rendered, or whose loss the user acknowledged, is dropped from the records, so
// that apply creates it again. One that only lost its labels is still the cluster's.
func (r *DatabaseClusterReconciler) missingDataBearing(ctx context.Context, s *clusterScope, rendered map[apply.Ref]render.Object) ([]dbaasv1.ChildRef, error) {
	var missing []dbaasv1.ChildRef
	var kept []dbaasv1.ChildRef
	for _, rec := range s.cluster.Status.DataBearing {
		if s.observes(rec.UID) {
			kept = append(kept, rec)
			continue
		}
		live, err := r.readLive(ctx, schema.FromAPIVersionAndKind(rec.APIVersion, rec.Kind), s.cluster.Namespace, rec.Name)
		if err != nil {
			return nil, err
		}
		if live != nil && live.GetUID() == rec.UID {
			s.replaceObserved(live)
			kept = append(kept, rec)
			continue
		}
		ref := apply.Ref{Kind: schema.FromAPIVersionAndKind(rec.APIVersion, rec.Kind).GroupKind().String(), Name: rec.Name}
		switch {
		case !rendersRef(rendered, ref):
			// Gone, and no longer wanted: there is nothing to protect.
		case s.cluster.Annotations[dbaasv1.RecreateDeletedAnnotation] == string(rec.UID):
			r.Recorder.Eventf(s.cluster, nil, corev1.EventTypeWarning, "RecreatingDeleted", "Guard",
				"%s %s (uid %s) was deleted; the loss is acknowledged, so it is created again", rec.Kind, rec.Name, rec.UID)
		default:
			missing = append(missing, rec)
			kept = append(kept, rec)
		}
	}
	s.cluster.Status.DataBearing = kept
	return missing, nil
}

// droppedDataBearing names the observed children that hold data and that the
// engine no longer renders.
func droppedDataBearing(s *clusterScope, rendered map[apply.Ref]render.Object) []string {
	var dropped []string
	for _, o := range s.observed {
		recorded := slices.ContainsFunc(s.cluster.Status.DataBearing, func(c dbaasv1.ChildRef) bool { return c.UID == o.GetUID() })
		if !recorded && !s.provider.Engine().IsDataBearing(provider.KeyOf(o)) {
			continue
		}
		if ref := apply.RefOf(o); !rendersRef(rendered, ref) {
			dropped = append(dropped, ref.String())
		}
	}
	return dropped
}

// notOwn describes the objects to apply that exist but that this cluster did not
// create. Objects it created that the cache does not show yet are added to the
// observed ones.
func (r *DatabaseClusterReconciler) notOwn(ctx context.Context, s *clusterScope) ([]string, error) {
	observed := map[apply.Ref]bool{}
	for _, o := range s.observed {
		observed[apply.RefOf(o)] = true
	}
	var refused []string
	for _, o := range s.desired {
		if observed[apply.RefOf(o.Object)] {
			continue
		}
		live, err := r.readLive(ctx, o.Object.GroupVersionKind(), s.cluster.Namespace, o.Object.GetName())
		if err != nil {
			return nil, err
		}
		switch {
		case live == nil:
		case provider.IsOwn(s.cluster, live):
			s.replaceObserved(live)
		default:
			refused = append(refused, fmt.Sprintf("%s %s exists already (%s)", live.GetKind(), live.GetName(), provenance(live)))
		}
	}
	return refused, nil
}

// provenance says who an object belongs to, for a refusal to take it over.
func provenance(u *unstructured.Unstructured) string {
	if from := u.GetAnnotations()[dbaasv1.RetainedAnnotation]; from != "" {
		return fmt.Sprintf("kept from a deleted DatabaseCluster %s with deletionPolicy Retain", from)
	}
	if ref := metav1.GetControllerOfNoCopy(u); ref != nil {
		return fmt.Sprintf("controlled by %s %s", ref.Kind, ref.Name)
	}
	return fmt.Sprintf("created %s, with no owner", u.GetCreationTimestamp().UTC().Format("2006-01-02T15:04:05Z"))
}

// missingMessage explains what was deleted and how to acknowledge it.
func missingMessage(cluster *dbaasv1.DatabaseCluster, missing []dbaasv1.ChildRef) string {
	var parts []string
	for _, m := range missing {
		parts = append(parts, fmt.Sprintf("%s %s (uid %s)", m.Kind, m.Name, m.UID))
	}
	return fmt.Sprintf("%s, which held the cluster's data, was deleted by someone else. The operator does not create it again, empty, under the same endpoints. "+
		"To create it again, acknowledge the loss: kubectl annotate databasecluster %s %s=%s",
		strings.Join(parts, ", "), cluster.Name, dbaasv1.RecreateDeletedAnnotation, missing[0].UID)
}

// rendersRef reports whether the render holds an object of that kind and name.
func rendersRef(rendered map[apply.Ref]render.Object, ref apply.Ref) bool {
	_, ok := rendered[ref]
	return ok
}

// observes reports whether an observed child has the UID.
func (s *clusterScope) observes(uid types.UID) bool {
	return slices.ContainsFunc(s.observed, func(o *unstructured.Unstructured) bool { return o.GetUID() == uid })
}

// readLive reads one object from the API server; nil when it does not exist.
func (r *DatabaseClusterReconciler) readLive(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	err := r.live().Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s %s: %w", gvk.Kind, name, err)
	}
	return u, nil
}

// live reads from the API server (Live), or through the client without it.
func (r *DatabaseClusterReconciler) live() client.Reader { return liveOr(r.Live, r.Client) }
