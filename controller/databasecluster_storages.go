package controller

import (
	"context"
	"slices"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// clustersOfStorage maps a BackupStorage to the DatabaseClusters of its namespace
// that name it: a storage that appears, turns Ready or moves to another bucket or
// prefix changes what their engines render.
func (r *DatabaseClusterReconciler) clustersOfStorage(ctx context.Context, o client.Object) []reconcile.Request {
	var list dbaasv1.DatabaseClusterList
	if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace())); err != nil {
		// A map function cannot requeue: the clusters then wait for their next event
		// or retry, and the log says why.
		ctrl.LoggerFrom(ctx).Error(err, "cannot list the DatabaseClusters that may name a BackupStorage", "backupStorage", client.ObjectKeyFromObject(o))
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		c := &list.Items[i]
		if slices.Contains(c.BackupStorageNames(), o.GetName()) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(c)})
		}
	}
	return out
}
