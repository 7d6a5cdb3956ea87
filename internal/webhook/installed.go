package webhook

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime/schema"
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

// refuseMissingAddOns refuses a cluster that renders an object of an add-on kind
// (the Prometheus operator's PodMonitor, for spec.monitoring) that the API server
// does not serve: the reconciler could not apply it. Other clusters of the engine
// need no add-on. Unlike refuseUninstalled, updates are checked too, since turning
// the feature on is an update; the refusal names the field that turns it off, so a
// cluster whose add-on was removed is changed in the same request. A discovery
// request that fails lets the cluster through, as there.
func (v *DatabaseClusterValidator) refuseMissingAddOns(ctx context.Context, c *dbaasv1.DatabaseCluster, engine *render.Engine, result *render.Result) error {
	if v.Installed == nil || len(engine.AddOns) == 0 || result == nil {
		return nil
	}
	gvks := make([]schema.GroupVersionKind, 0, len(result.Objects))
	for _, o := range result.Objects {
		gvks = append(gvks, o.Object.GroupVersionKind())
	}
	msg, err := v.Installed.AddOns(engine, gvks)
	if err != nil {
		logf.FromContext(ctx).Error(err, "cannot tell whether the add-on kinds are served; admitting the cluster", "engine", engine.Name)
		return nil
	}
	if msg == "" {
		return nil
	}
	return invalid(c, field.Forbidden(field.NewPath("spec"), msg))
}
