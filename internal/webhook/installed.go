package webhook

import (
	"context"

	"k8s.io/apimachinery/pkg/util/validation/field"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/render"
)

// refuseUninstalled refuses a new cluster whose engine's child operator is not
// installed: the API server does not serve one of the engine's kinds at the
// version it renders. Such a cluster could only fail to apply, again and again; the
// refusal says what is missing and how to install it, as `dbaasctl doctor` does.
// Updates are not checked, so that a cluster whose child operator was removed can
// still be changed and deleted. A discovery request that fails lets the cluster
// through: the check is for a clear message early, and the reconciler reports a
// kind it cannot apply anyway.
func (v *DatabaseClusterValidator) refuseUninstalled(ctx context.Context, c *dbaasv1.DatabaseCluster, engine *render.Engine) error {
	if v.Installed == nil {
		return nil
	}
	result, err := v.Installed.Engine(engine)
	if err != nil {
		logf.FromContext(ctx).Error(err, "cannot tell whether the child operator is installed; admitting the cluster", "engine", engine.Name)
		return nil
	}
	if result.Installed() {
		return nil
	}
	return invalid(c, field.Forbidden(field.NewPath("spec", "engine"), result.Message()))
}
