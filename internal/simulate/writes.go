package simulate

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// write creates an object the child operator writes beside child (a Secret with the
// credentials it generated) unless it exists: a child operator generates such
// objects once. It goes in the child's namespace with an owner reference to the
// child, as child operators set, so it is deleted with the child. An existing
// Secret only gets the data keys it lacks, as a child operator that generates a
// password into a Secret someone else created does (Percona's custom users); a
// key it has is never changed. reader is looked up first (the simulator's cache,
// in Run), so a replay writes nothing.
func (s *Simulator) write(ctx context.Context, reader client.Reader, child *unstructured.Unstructured, obj map[string]any) error {
	u := &unstructured.Unstructured{Object: obj}
	u.SetNamespace(child.GetNamespace())
	existing := &unstructured.Unstructured{}
	existing.SetGroupVersionKind(u.GroupVersionKind())
	err := reader.Get(ctx, client.ObjectKeyFromObject(u), existing)
	if err == nil {
		return s.complete(ctx, existing, u)
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

// complete adds to an existing Secret the data keys of want that it lacks, with
// a merge patch guarded by its resourceVersion.
func (s *Simulator) complete(ctx context.Context, existing, want *unstructured.Unstructured) error {
	if existing.GetAPIVersion() != "v1" || existing.GetKind() != "Secret" {
		return nil
	}
	have, _ := existing.Object["data"].(map[string]any)
	wanted, _ := want.Object["data"].(map[string]any)
	lacks := map[string]any{}
	for k, v := range wanted {
		if _, ok := have[k]; !ok {
			lacks[k] = v
		}
	}
	if len(lacks) == 0 {
		return nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"resourceVersion": existing.GetResourceVersion()}, "data": lacks})
	if err != nil {
		return err
	}
	if err := s.client.Patch(ctx, existing, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("cannot add keys to Secret %s: %w", existing.GetName(), err)
	}
	return nil
}
