package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	"gomodules.xyz/jsonpatch/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// DatabaseClusterFinalizer adds the cleanup finalizer to a DatabaseCluster as it is
// created: the cluster is born able to honour its deletionPolicy, and the controller
// saves a write per cluster. Its patch touches metadata.finalizers only: no default
// is written into the spec (a typed defaulter would write back every empty field).
// The controller still adds the finalizer to a cluster created without this webhook.
type DatabaseClusterFinalizer struct{}

// +kubebuilder:webhook:path=/mutate-dbaas-io-v1alpha1-databasecluster,mutating=true,failurePolicy=fail,sideEffects=None,groups=dbaas.io,resources=databaseclusters,verbs=create,versions=v1alpha1,name=mdatabasecluster.dbaas.io,admissionReviewVersions=v1

// FinalizerPath is where the webhook is served.
const FinalizerPath = "/mutate-dbaas-io-v1alpha1-databasecluster"

// SetupWithManager registers the webhook with the manager's webhook server.
func (d *DatabaseClusterFinalizer) SetupWithManager(mgr ctrl.Manager) error {
	mgr.GetWebhookServer().Register(FinalizerPath, &webhook.Admission{Handler: d})
	return nil
}

// Handle answers with a patch that adds the finalizer, or with nothing to change.
func (d *DatabaseClusterFinalizer) Handle(_ context.Context, req admission.Request) admission.Response {
	var obj metav1.PartialObjectMetadata
	if err := json.Unmarshal(req.Object.Raw, &obj); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	switch {
	case slices.Contains(obj.Finalizers, dbaasv1.Finalizer):
		return admission.Allowed("")
	case len(obj.Finalizers) == 0:
		return admission.Patched("", jsonpatch.NewOperation("add", "/metadata/finalizers", []string{dbaasv1.Finalizer}))
	default:
		return admission.Patched("", jsonpatch.NewOperation("add", "/metadata/finalizers/-", dbaasv1.Finalizer))
	}
}
