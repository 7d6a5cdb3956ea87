package webhook

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// DatabaseClusterFinalizer adds the cleanup finalizer to a DatabaseCluster as it is
// created: the cluster is born able to honour its deletionPolicy, and the controller
// saves a write per cluster. It changes nothing else (no defaults are written into
// the spec); the controller still adds the finalizer to a cluster created without
// this webhook.
type DatabaseClusterFinalizer struct{}

// +kubebuilder:webhook:path=/mutate-dbaas-io-v1alpha1-databasecluster,mutating=true,failurePolicy=fail,sideEffects=None,groups=dbaas.io,resources=databaseclusters,verbs=create,versions=v1alpha1,name=mdatabasecluster.dbaas.io,admissionReviewVersions=v1

// SetupWithManager registers the webhook with the manager's webhook server.
func (d *DatabaseClusterFinalizer) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewWebhookManagedBy(mgr, &dbaasv1.DatabaseCluster{}).WithDefaulter(d).Complete()
}

// Default adds the finalizer.
func (d *DatabaseClusterFinalizer) Default(_ context.Context, c *dbaasv1.DatabaseCluster) error {
	controllerutil.AddFinalizer(c, dbaasv1.Finalizer)
	return nil
}
