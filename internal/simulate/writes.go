package simulate

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

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
// key it has is never changed, but for the keys the child operator sets from
// another Secret (from: a password it was given, as Strimzi's User Operator takes
// a KafkaUser's spec.authentication.password), and its annotations follow the
// ones the child operator writes. reader is looked up first (the simulator's
// cache, in Run), so a replay writes nothing.
func (s *Simulator) write(ctx context.Context, reader client.Reader, child *unstructured.Unstructured, obj map[string]any) error {
	obj = maps.Clone(obj)
	hashes, _ := obj["hashes"].(map[string]any)
	from, _ := obj["from"].(map[string]any)
	delete(obj, "hashes")
	delete(obj, "from")
	u := &unstructured.Unstructured{Object: obj}
	u.SetNamespace(child.GetNamespace())
	given, err := s.given(ctx, u, from)
	if err != nil {
		return err
	}
	existing := &unstructured.Unstructured{}
	existing.SetGroupVersionKind(u.GroupVersionKind())
	err = reader.Get(ctx, client.ObjectKeyFromObject(u), existing)
	if err == nil {
		return s.complete(ctx, existing, u, hashes, given)
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
	if len(given) > 0 {
		data, _ := u.Object["data"].(map[string]any)
		u.Object["data"] = mergeData(data, given)
	}
	if err := annotateHashes(u, u, hashes); err != nil {
		return err
	}
	if err := s.client.Create(ctx, u); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("cannot create %s %s for %s %s: %w", u.GetKind(), u.GetName(), child.GetKind(), child.GetName(), err)
	}
	return nil
}

// given resolves the data keys a write sets from another Secret of the namespace:
// from maps a data key to {secret, key, format}, the value of that Secret's key,
// in place of {value} in format when there is one. The source is read from the
// API server, as a child operator reads it when it reconciles: a cache could give
// an older password with the newer object that names it. Values are base64.
func (s *Simulator) given(ctx context.Context, u *unstructured.Unstructured, from map[string]any) (map[string]any, error) {
	if len(from) == 0 {
		return nil, nil
	}
	out := map[string]any{}
	sources := map[string]map[string]any{}
	for key, spec := range from {
		ref, _ := spec.(map[string]any)
		name, _ := ref["secret"].(string)
		srcKey, _ := ref["key"].(string)
		format, _ := ref["format"].(string)
		data, ok := sources[name]
		if !ok {
			src := &unstructured.Unstructured{}
			src.SetAPIVersion("v1")
			src.SetKind("Secret")
			if err := s.client.Get(ctx, client.ObjectKey{Namespace: u.GetNamespace(), Name: name}, src); err != nil {
				return nil, fmt.Errorf("cannot read Secret %s, which %s %s takes key %s from: %w", name, u.GetKind(), u.GetName(), key, err)
			}
			data, _ = src.Object["data"].(map[string]any)
			sources[name] = data
		}
		encoded, ok := data[srcKey].(string)
		if !ok {
			return nil, fmt.Errorf("the Secret %s has no key %s, which %s %s takes key %s from", name, srcKey, u.GetKind(), u.GetName(), key)
		}
		raw, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			return nil, fmt.Errorf("key %s of Secret %s is not base64", srcKey, name)
		}
		value := string(raw)
		if format != "" {
			value = strings.ReplaceAll(format, "{value}", value)
		}
		out[key] = base64.StdEncoding.EncodeToString([]byte(value))
	}
	return out, nil
}

// mergeData is data with the keys of over in place of its own.
func mergeData(data, over map[string]any) map[string]any {
	out := maps.Clone(data)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, over)
	return out
}

// complete adds to an existing Secret the data keys of want that it lacks, sets
// the keys given from another Secret that differ, and sets the annotations of want
// and the hash annotations that differ from the values it then holds (a password
// changed since, which the child operator applies), with a merge patch guarded by
// its resourceVersion.
func (s *Simulator) complete(ctx context.Context, existing, want *unstructured.Unstructured, hashes, given map[string]any) error {
	if existing.GetAPIVersion() != "v1" || existing.GetKind() != "Secret" {
		return nil
	}
	have, _ := existing.Object["data"].(map[string]any)
	wanted, _ := want.Object["data"].(map[string]any)
	changes := map[string]any{}
	for k, v := range wanted {
		if _, ok := have[k]; !ok {
			changes[k] = v
		}
	}
	for k, v := range given {
		if have[k] != v {
			changes[k] = v
		}
	}
	merged := &unstructured.Unstructured{Object: map[string]any{"data": mergeData(have, changes)}}
	merged.SetAnnotations(want.GetAnnotations())
	if err := annotateHashes(merged, merged, hashes); err != nil {
		return err
	}
	changed := map[string]any{}
	for k, v := range merged.GetAnnotations() {
		if existing.GetAnnotations()[k] != v {
			changed[k] = v
		}
	}
	if len(changes) == 0 && len(changed) == 0 {
		return nil
	}
	meta := map[string]any{"resourceVersion": existing.GetResourceVersion()}
	if len(changed) > 0 {
		meta["annotations"] = changed
	}
	patch, err := json.Marshal(map[string]any{"metadata": meta, "data": changes})
	if err != nil {
		return err
	}
	if err := s.client.Patch(ctx, existing, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("cannot update Secret %s: %w", existing.GetName(), err)
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
