package controller

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// SetupWithManager makes the controller event-driven: an OpsRequest is reconciled
// when it changes, when its cluster or a sibling OpsRequest changes (the queue), when
// one of the cluster's children changes (done and failed are judged on them), and
// when an object it created changes.
func (r *OpsRequestReconciler) SetupWithManager(mgr ctrl.Manager, kinds []schema.GroupVersionKind) error {
	err := mgr.GetFieldIndexer().IndexField(context.Background(), &dbaasv1.OpsRequest{}, clusterRefIndex, func(o client.Object) []string {
		return []string{o.(*dbaasv1.OpsRequest).Spec.ClusterRef}
	})
	if err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&dbaasv1.OpsRequest{}, builder.WithPredicates(r.own.forgetting())).
		Named("opsrequest").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Concurrency}).
		Watches(&dbaasv1.DatabaseCluster{}, handler.EnqueueRequestsFromMapFunc(r.opsOfObject)).
		Watches(&dbaasv1.OpsRequest{}, handler.EnqueueRequestsFromMapFunc(r.siblings))
	for _, gvk := range kinds {
		if _, err := mgr.GetRESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			continue
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		b = b.Watches(u, handler.EnqueueRequestsFromMapFunc(r.opsOfObject))
	}
	return b.Complete(r)
}

// opsOfObject maps a DatabaseCluster, a child (by its cluster label) or a created
// object (by its OpsRequest label) to the unfinished OpsRequests it concerns.
func (r *OpsRequestReconciler) opsOfObject(ctx context.Context, o client.Object) []reconcile.Request {
	if name := o.GetLabels()[dbaasv1.OpsRequestLabel]; name != "" {
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
	}
	cluster := o.GetLabels()[dbaasv1.ClusterLabel]
	if _, ok := o.(*dbaasv1.DatabaseCluster); ok {
		cluster = o.GetName()
	}
	if cluster == "" {
		return nil
	}
	return r.unfinished(ctx, o.GetNamespace(), cluster, "")
}

// siblings maps an OpsRequest to the other unfinished OpsRequests of its cluster,
// so the next one in the queue starts when one finishes.
func (r *OpsRequestReconciler) siblings(ctx context.Context, o client.Object) []reconcile.Request {
	ops := o.(*dbaasv1.OpsRequest)
	return r.unfinished(ctx, ops.Namespace, ops.Spec.ClusterRef, ops.Name)
}

func (r *OpsRequestReconciler) unfinished(ctx context.Context, namespace, cluster, except string) []reconcile.Request {
	var list dbaasv1.OpsRequestList
	if err := r.List(ctx, &list, client.InNamespace(namespace), client.MatchingFields{clusterRefIndex: cluster}); err != nil {
		return nil
	}
	var out []reconcile.Request
	for _, ops := range list.Items {
		if ops.Name != except && !ops.Status.Phase.Finished() {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: namespace, Name: ops.Name}})
		}
	}
	return out
}
