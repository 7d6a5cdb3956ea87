package provider

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"dbaas.io/operator/internal/render"
)

// MissingSecretData is a data key of a rendered Secret that could not be filled
// yet: its source Secret, or the key in it, does not exist. It names keys and
// Secrets, never a value.
type MissingSecretData struct {
	// DataKey is the key of the rendered Secret.
	DataKey string
	// Secret and Key are the source.
	Secret, Key string
	// NoSecret is true when the source Secret does not exist, false when it lacks
	// Key.
	NoSecret bool
}

// CopySecretData fills data keys of a rendered Secret, about to be applied, with
// the values of other Secrets of its namespace that refs names (the engine's
// secretData for its key). Values are copied as the API server holds them (base64),
// outside any evaluation: engines and policies never see them; a ref with a URI
// puts the value into it. A source Secret or key that does not exist is left out
// and returned, sorted by data key; a failed read is a ReadError, which the caller
// retries. desired is changed in place: pass the copy that is applied.
func CopySecretData(ctx context.Context, c client.Reader, desired *unstructured.Unstructured, refs map[string]render.SecretKeyRef) ([]MissingSecretData, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	sources := map[string]map[string]any{}
	data, _ := desired.Object["data"].(map[string]any)
	if data == nil {
		data = map[string]any{}
	}
	var missing []MissingSecretData
	for _, dataKey := range slices.Sorted(maps.Keys(refs)) {
		ref := refs[dataKey]
		src, ok := sources[ref.Secret]
		if !ok {
			var err error
			if src, err = secretData(ctx, c, desired.GetNamespace(), ref.Secret); err != nil {
				return nil, err
			}
			sources[ref.Secret] = src
		}
		v, ok := src[ref.Key].(string)
		if !ok {
			missing = append(missing, MissingSecretData{DataKey: dataKey, Secret: ref.Secret, Key: ref.Key, NoSecret: src == nil})
			continue
		}
		if ref.URI != "" {
			var err error
			if v, err = intoURI(ref.URI, v); err != nil {
				return nil, fmt.Errorf("cannot copy key %s of Secret %s into %s: %w", ref.Key, ref.Secret, dataKey, err)
			}
		}
		data[dataKey] = v
	}
	if len(data) > 0 {
		desired.Object["data"] = data
	}
	return missing, nil
}

// intoURI puts a base64 value into uri at every "{value}", percent-encoded as a
// URI's userinfo, and returns the result in base64. Its error never carries the
// value.
func intoURI(uri, value string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return "", fmt.Errorf("the value is not base64")
	}
	// url.UserPassword escapes the password as RFC 3986 userinfo requires.
	escaped := strings.TrimPrefix(url.UserPassword("_", string(raw)).String(), "_:")
	return base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(uri, "{value}", escaped))), nil
}

// MissingMessage says which keys of the Secret name lack and why, without values:
// "lacks password, uri: Secret orders-app does not exist yet".
func MissingMessage(name string, missing []MissingSecretData) string {
	var keys, why []string
	seen := map[string]bool{}
	for _, m := range missing {
		keys = append(keys, m.DataKey)
		reason := fmt.Sprintf("Secret %s has no key %s yet", m.Secret, m.Key)
		if m.NoSecret {
			reason = fmt.Sprintf("Secret %s does not exist yet", m.Secret)
		}
		if !seen[reason] {
			seen[reason] = true
			why = append(why, reason)
		}
	}
	return fmt.Sprintf("the binding Secret %s lacks %s: %s", name, strings.Join(keys, ", "), strings.Join(why, "; "))
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
	if data == nil {
		// An existing Secret without data is not a missing one.
		data = map[string]any{}
	}
	return data, nil
}
