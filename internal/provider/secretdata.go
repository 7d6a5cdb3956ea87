package provider

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"dbaas.io/operator/internal/render"
)

// CopySecretData fills data keys of a rendered Secret, about to be applied, with
// the values of other Secrets of its namespace that refs names (the engine's
// secretData for its key). Values are copied as the API server holds them (base64),
// outside any evaluation: engines and policies never see them. A source Secret or key
// that does not exist is left out; a failed read is a ReadError, which the caller
// retries. desired is changed in place: pass the copy that is applied.
func CopySecretData(ctx context.Context, c client.Reader, desired *unstructured.Unstructured, refs map[string]render.SecretKeyRef) error {
	if len(refs) == 0 {
		return nil
	}
	sources := map[string]map[string]any{}
	data, _ := desired.Object["data"].(map[string]any)
	if data == nil {
		data = map[string]any{}
	}
	for dataKey, ref := range refs {
		src, ok := sources[ref.Secret]
		if !ok {
			var err error
			if src, err = secretData(ctx, c, desired.GetNamespace(), ref.Secret); err != nil {
				return err
			}
			sources[ref.Secret] = src
		}
		if v, ok := src[ref.Key].(string); ok {
			data[dataKey] = v
		}
	}
	if len(data) > 0 {
		desired.Object["data"] = data
	}
	return nil
}

// secretData returns the data of a Secret, nil when it does not exist.
func secretData(ctx context.Context, c client.Reader, namespace, name string) (map[string]any, error) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("Secret")
	err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, &ReadError{Err: fmt.Errorf("cannot read Secret %s to copy its data: %w", name, err)}
	}
	data, _ := u.Object["data"].(map[string]any)
	return data, nil
}
