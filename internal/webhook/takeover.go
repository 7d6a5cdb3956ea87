package webhook

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/render"
)

// refuseTakeOver refuses a new cluster whose rendered children exist already and are
// not its own: applying them would take the objects over, and the data they hold,
// from whoever made them. The objects are read live: a cache that has not seen one
// yet would let the take-over through.
func (v *DatabaseClusterValidator) refuseTakeOver(ctx context.Context, c *dbaasv1.DatabaseCluster, result *render.Result) error {
	if v.Live == nil || result == nil {
		return nil
	}
	var errs field.ErrorList
	for _, o := range result.Objects {
		u, err := existing(ctx, v.Live, o.Object.GroupVersionKind(), c.Namespace, o.Object.GetName())
		if err != nil {
			return apierrors.NewInternalError(err)
		}
		if u == nil || controlledBy(u, c) {
			continue
		}
		errs = append(errs, field.Forbidden(field.NewPath("metadata", "name"), fmt.Sprintf(
			"%s exists already in namespace %s and DatabaseCluster %s did not create it (%s): the cluster would take it over with its data; name the DatabaseCluster differently, or move that object out of the way first",
			describe(u), c.Namespace, c.Name, madeBy(u))))
	}
	if len(errs) > 0 {
		return invalid(c, errs...)
	}
	return nil
}

// controlledBy reports whether the cluster is the object's controller.
func controlledBy(u metav1.Object, c *dbaasv1.DatabaseCluster) bool {
	ref := metav1.GetControllerOfNoCopy(u)
	return ref != nil && c.UID != "" && ref.UID == c.UID
}
