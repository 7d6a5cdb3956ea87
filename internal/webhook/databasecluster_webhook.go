// Package webhook holds the validating admission webhooks. They refuse at apply time
// what the controller would refuse later: unknown engines and versions, specs the
// engine cannot render, and what the policies deny.
package webhook

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/childcheck"
	"dbaas.io/operator/internal/policy"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
)

// ClusterPolicy decides whether a cluster and its rendered children may be applied.
type ClusterPolicy interface {
	Cluster(ctx context.Context, cluster *dbaasv1.DatabaseCluster, engine *render.Engine, rendered []map[string]any) (policy.Decision, error)
}

// DatabaseClusterValidator validates DatabaseClusters against the loaded engines and
// the cluster policy.
type DatabaseClusterValidator struct {
	Providers *provider.Factory
	Registry  *render.Registry
	// Policy is the cluster policy; nil allows everything.
	Policy ClusterPolicy
	// Lookups reads the objects an engine requires (its running child, a Secret), as
	// the reconciler does, so the engine judges a change against what runs; nil
	// renders without them.
	Lookups client.Reader
	// Live reads from the API server whether the children a new cluster would render
	// exist already; nil skips that check.
	Live client.Reader
	// Limiter bounds the evaluations that run at once, per namespace and in all;
	// nil bounds none.
	Limiter *Limiter
	// Installed tells whether the API server serves the kinds of a new cluster's
	// engine (its child operator is installed); nil skips that check.
	Installed *childcheck.Checker
}

// +kubebuilder:webhook:path=/validate-dbaas-io-v1alpha1-databasecluster,mutating=false,failurePolicy=fail,sideEffects=None,groups=dbaas.io,resources=databaseclusters,verbs=create;update,versions=v1alpha1,name=vdatabasecluster.dbaas.io,admissionReviewVersions=v1

// SetupWithManager registers the webhook with the manager's webhook server.
func (v *DatabaseClusterValidator) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewWebhookManagedBy(mgr, &dbaasv1.DatabaseCluster{}).WithValidator(v).Complete()
}

// ValidateCreate checks a new cluster, that its engine's child operator is
// installed, and that it would not take over objects that exist already. Nothing
// runs yet, but the engine reads what it requires, as the reconciler does: a
// BackupStorage the cluster names decides what the engine can render (a storage type
// its child operator cannot use is refused here).
func (v *DatabaseClusterValidator) ValidateCreate(ctx context.Context, c *dbaasv1.DatabaseCluster) (admission.Warnings, error) {
	p, err := v.provider(c)
	if err != nil {
		return nil, err
	}
	if err := v.refuseUninstalled(ctx, c, p.Engine()); err != nil {
		return nil, err
	}
	release, err := v.Limiter.Acquire(ctx, c.Namespace)
	if err != nil {
		return nil, err
	}
	defer release()
	in, err := v.prepare(ctx, p, c)
	if err != nil {
		return nil, err
	}
	result, err := v.check(ctx, c, p, in)
	if err != nil {
		return nil, err
	}
	if err := v.refuseMissingAddOns(ctx, c, p.Engine(), result); err != nil {
		return nil, err
	}
	return nil, v.refuseTakeOver(ctx, c, result)
}

// ValidateUpdate checks a changed cluster against what runs: the engine sees the
// objects it requires (its running child) and the version the cluster runs, the old
// status's, else the old spec's. A cluster being deleted is let through so that
// removing its finalizer never fails.
func (v *DatabaseClusterValidator) ValidateUpdate(ctx context.Context, old, c *dbaasv1.DatabaseCluster) (admission.Warnings, error) {
	if !c.DeletionTimestamp.IsZero() {
		return nil, nil
	}
	p, err := v.provider(c)
	if err != nil {
		return nil, err
	}
	release, err := v.Limiter.Acquire(ctx, c.Namespace)
	if err != nil {
		return nil, err
	}
	defer release()
	in, err := v.prepare(ctx, p, c)
	if err != nil {
		return nil, err
	}
	running := old.Status.Version
	if running == "" {
		running = old.Spec.Version
	}
	withRunningVersion(in, running)
	result, err := v.check(ctx, c, p, in)
	if err != nil {
		return nil, err
	}
	return nil, v.refuseMissingAddOns(ctx, c, p.Engine(), result)
}

// ValidateDelete allows every deletion.
func (v *DatabaseClusterValidator) ValidateDelete(context.Context, *dbaasv1.DatabaseCluster) (admission.Warnings, error) {
	return nil, nil
}

// provider is the cluster's engine, which must have its version in the catalog.
func (v *DatabaseClusterValidator) provider(c *dbaasv1.DatabaseCluster) (provider.Provider, error) {
	spec := field.NewPath("spec")
	p, err := v.Providers.Get(c.Spec.Engine)
	if err != nil {
		return nil, invalid(c, field.NotSupported(spec.Child("engine"), c.Spec.Engine, v.Registry.Names()))
	}
	if engine := p.Engine(); c.Spec.Version != "" && !engine.HasVersion(c.Spec.Version) {
		return nil, invalid(c, field.NotSupported(spec.Child("version"), c.Spec.Version, engine.VersionNames()))
	}
	return p, nil
}

// check renders the engine input and runs the cluster policy on the result.
func (v *DatabaseClusterValidator) check(ctx context.Context, c *dbaasv1.DatabaseCluster, p provider.Provider, in render.Input) (*render.Result, error) {
	engine := p.Engine()
	result, err := engine.Render(in)
	if err != nil {
		return nil, invalid(c, field.Invalid(field.NewPath("spec"), "(spec)", fmt.Sprintf("engine %s cannot render this cluster: %v", engine.Name, err)))
	}
	if v.Policy == nil {
		return result, nil
	}
	rendered := make([]map[string]any, 0, len(result.Objects))
	for _, o := range result.Objects {
		rendered = append(rendered, o.Object.Object)
	}
	decision, err := v.Policy.Cluster(ctx, c, engine, rendered)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("cannot evaluate the cluster policy: %w", err))
	}
	if errs := violations(decision); len(errs) > 0 {
		return nil, invalid(c, errs...)
	}
	return result, nil
}

// prepare is the engine input of a cluster as the reconciler prepares it, with the
// objects the engine requires read the same way; without Lookups, the spec alone.
func (v *DatabaseClusterValidator) prepare(ctx context.Context, p provider.Provider, c *dbaasv1.DatabaseCluster) (render.Input, error) {
	if v.Lookups == nil {
		in, err := provider.ClusterInput(c)
		if err != nil {
			return render.Input{}, apierrors.NewInternalError(err)
		}
		return render.Input{Cluster: in}, nil
	}
	prepared, err := p.PreReconcileHook(ctx, v.Lookups, c)
	var status apierrors.APIStatus
	switch {
	case errors.As(err, &status):
		return render.Input{}, apierrors.NewInternalError(fmt.Errorf("cannot read what engine %s requires: %w", p.Name(), err))
	case err != nil:
		return render.Input{}, invalid(c, field.Invalid(field.NewPath("spec"), "(spec)", fmt.Sprintf("engine %s cannot render this cluster: %v", p.Name(), err)))
	}
	return prepared.Input, nil
}

// withRunningVersion gives the engine the version the cluster runs as
// input.cluster.status.version, which the engine's version rules judge a new
// spec.version against.
func withRunningVersion(in render.Input, running string) {
	if running == "" {
		return
	}
	status, _ := in.Cluster["status"].(map[string]any)
	if status == nil {
		status = map[string]any{}
		in.Cluster["status"] = status
	}
	status["version"] = running
}

// violations turns a policy decision into field errors, one per violation, on the
// field the policy names.
func violations(d policy.Decision) field.ErrorList {
	var errs field.ErrorList
	for _, v := range d.Violations {
		path := field.NewPath("spec")
		if v.Field != "" {
			path = field.NewPath(v.Field)
		}
		errs = append(errs, field.Forbidden(path, v.Message))
	}
	return errs
}

func invalid(c *dbaasv1.DatabaseCluster, errs ...*field.Error) error {
	return apierrors.NewInvalid(dbaasv1.GroupVersion.WithKind("DatabaseCluster").GroupKind(), c.Name, errs)
}
