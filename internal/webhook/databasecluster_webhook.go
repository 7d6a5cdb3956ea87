// Package webhook holds the validating admission webhooks. They refuse at apply time
// what the controller would refuse later: unknown engines and versions, specs the
// engine cannot render, and what the policies deny.
package webhook

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
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
}

// +kubebuilder:webhook:path=/validate-dbaas-io-v1alpha1-databasecluster,mutating=false,failurePolicy=fail,sideEffects=None,groups=dbaas.io,resources=databaseclusters,verbs=create;update,versions=v1alpha1,name=vdatabasecluster.dbaas.io,admissionReviewVersions=v1

// SetupWithManager registers the webhook with the manager's webhook server.
func (v *DatabaseClusterValidator) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewWebhookManagedBy(mgr, &dbaasv1.DatabaseCluster{}).WithValidator(v).Complete()
}

// ValidateCreate checks a new cluster.
func (v *DatabaseClusterValidator) ValidateCreate(ctx context.Context, c *dbaasv1.DatabaseCluster) (admission.Warnings, error) {
	return nil, v.validate(ctx, c)
}

// ValidateUpdate checks a changed cluster. A cluster being deleted is let through so
// that removing its finalizer never fails.
func (v *DatabaseClusterValidator) ValidateUpdate(ctx context.Context, _, c *dbaasv1.DatabaseCluster) (admission.Warnings, error) {
	if !c.DeletionTimestamp.IsZero() {
		return nil, nil
	}
	return nil, v.validate(ctx, c)
}

// ValidateDelete allows every deletion.
func (v *DatabaseClusterValidator) ValidateDelete(context.Context, *dbaasv1.DatabaseCluster) (admission.Warnings, error) {
	return nil, nil
}

func (v *DatabaseClusterValidator) validate(ctx context.Context, c *dbaasv1.DatabaseCluster) error {
	spec := field.NewPath("spec")
	p, err := v.Providers.Get(c.Spec.Engine)
	if err != nil {
		return invalid(c, field.NotSupported(spec.Child("engine"), c.Spec.Engine, v.Registry.Names()))
	}
	engine := p.Engine()
	if c.Spec.Version != "" && !engine.HasVersion(c.Spec.Version) {
		return invalid(c, field.NotSupported(spec.Child("version"), c.Spec.Version, engine.VersionNames()))
	}
	in, err := provider.ClusterInput(c)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	result, err := engine.Render(render.Input{Cluster: in})
	if err != nil {
		return invalid(c, field.Invalid(spec, "(spec)", fmt.Sprintf("engine %s cannot render this cluster: %v", engine.Name, err)))
	}
	if v.Policy == nil {
		return nil
	}
	rendered := make([]map[string]any, 0, len(result.Objects))
	for _, o := range result.Objects {
		rendered = append(rendered, o.Object.Object)
	}
	decision, err := v.Policy.Cluster(ctx, c, engine, rendered)
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("cannot evaluate the cluster policy: %w", err))
	}
	if errs := violations(decision); len(errs) > 0 {
		return invalid(c, errs...)
	}
	return nil
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
