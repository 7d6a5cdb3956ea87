package simulate

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// write creates an object the child operator writes beside child (a Secret with the
// credentials it generated) unless it exists: a child operator generates such
// objects once. It goes in the child's namespace with an owner reference to the
// child, as child operators set, so it is deleted with the child. reader is looked
// up first (the simulator's cache, in Run), so a replay writes nothing.
func (s *Simulator) write(ctx context.Context, reader client.Reader, child *unstructured.Unstructured, obj map[string]any) error {
	u := &unstructured.Unstructured{Object: obj}
	u.SetNamespace(child.GetNamespace())
	existing := &unstructured.Unstructured{}
	existing.SetGroupVersionKind(u.GroupVersionKind())
	err := reader.Get(ctx, client.ObjectKeyFromObject(u), existing)
	if err == nil {
		return nil
	}
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot read %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	u.SetOwnerReferences([]metav1.OwnerReference{{
		APIVersion: child.GetAPIVersion(),
		Kind:       child.GetKind(),
		Name:       child.GetName(),
		UID:        child.GetUID(),
	}})
	if err := s.client.Create(ctx, u); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("cannot create %s %s for %s %s: %w", u.GetKind(), u.GetName(), child.GetKind(), child.GetName(), err)
	}
	return nil
}
