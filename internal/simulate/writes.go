package simulate

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"

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
	obj = maps.Clone(obj)
	hashes, _ := obj["hashes"].(map[string]any)
	delete(obj, "hashes")
	u := &unstructured.Unstructured{Object: obj}
	u.SetNamespace(child.GetNamespace())
	existing := &unstructured.Unstructured{}
	existing.SetGroupVersionKind(u.GroupVersionKind())
	err := reader.Get(ctx, client.ObjectKeyFromObject(u), existing)
	if err == nil {
		return s.complete(ctx, existing, u, hashes)
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
	if err := annotateHashes(u, u, hashes); err != nil {
		return err
	}
	if err := s.client.Create(ctx, u); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("cannot create %s %s for %s %s: %w", u.GetKind(), u.GetName(), child.GetKind(), child.GetName(), err)
	}
	return nil
}

// complete adds to an existing Secret the data keys of want that it lacks, and
// sets the hash annotations that differ from the values it then holds (a password
// changed since, which the child operator applies), with a merge patch guarded by
// its resourceVersion.
func (s *Simulator) complete(ctx context.Context, existing, want *unstructured.Unstructured, hashes map[string]any) error {
	if existing.GetAPIVersion() != "v1" || existing.GetKind() != "Secret" {
		return nil
	}
	have, _ := existing.Object["data"].(map[string]any)
	wanted, _ := want.Object["data"].(map[string]any)
	lacks := map[string]any{}
	merged := &unstructured.Unstructured{Object: map[string]any{"data": map[string]any{}}}
	for k, v := range have {
		merged.Object["data"].(map[string]any)[k] = v
	}
	for k, v := range wanted {
		if _, ok := have[k]; !ok {
			lacks[k] = v
			merged.Object["data"].(map[string]any)[k] = v
		}
	}
	if err := annotateHashes(merged, merged, hashes); err != nil {
		return err
	}
	changed := map[string]any{}
	for k, v := range merged.GetAnnotations() {
		if existing.GetAnnotations()[k] != v {
			changed[k] = v
		}
	}
	if len(lacks) == 0 && len(changed) == 0 {
		return nil
	}
	meta := map[string]any{"resourceVersion": existing.GetResourceVersion()}
	if len(changed) > 0 {
		meta["annotations"] = changed
	}
	patch, err := json.Marshal(map[string]any{"metadata": meta, "data": lacks})
	if err != nil {
		return err
	}
	if err := s.client.Patch(ctx, existing, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("cannot add keys to Secret %s: %w", existing.GetName(), err)
	}
	return nil
}

// annotateHashes sets on dst each annotation of hashes to the hex SHA-256 of the
// value of the data key of src it names, as Percona records the password it set
// for a user; a key src lacks sets nothing.
func annotateHashes(dst, src *unstructured.Unstructured, hashes map[string]any) error {
	if len(hashes) == 0 {
		return nil
	}
	data, _ := src.Object["data"].(map[string]any)
	annotations := dst.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	for annotation, key := range hashes {
		k, _ := key.(string)
		v, ok := data[k].(string)
		if !ok {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return fmt.Errorf("key %s of Secret %s is not base64", k, src.GetName())
		}
		annotations[annotation] = fmt.Sprintf("%x", sha256.Sum256(raw))
	}
	dst.SetAnnotations(annotations)
	return nil
}
