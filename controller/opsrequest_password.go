package controller

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// passwordStep writes a new password into the Secret the plan resolved, if it is
// still that object. The password, the annotation that records the step (the
// OpsRequest's UID) and the password's SHA-256 go in one patch guarded by the resourceVersion just read, so a
// Secret that carries the annotation has this operation's password: the step is
// done, whether it ran in this reconcile or in one that failed after the write, and
// no second password is generated. No error or message carries a value.
func (r *OpsRequestReconciler) passwordStep(ctx context.Context, s *opsScope, step *dbaasv1.OpsStep) (string, error) {
	t, p := step.Target, step.Password
	if p == nil || p.Key == "" {
		return "", permanent(fmt.Errorf("the step names no key to write the password to"))
	}
	live, err := r.read(ctx, s, t)
	if apierrors.IsNotFound(err) || (err == nil && live.GetUID() != t.UID) {
		return "", permanent(fmt.Errorf("%s %s was deleted or replaced since the plan was made: the password was not rotated", t.Kind, t.Name))
	}
	if err != nil {
		return "", fmt.Errorf("cannot read %s %s: %w", t.Kind, t.Name, err)
	}
	if live.GetAnnotations()[dbaasv1.PasswordRotatedByAnnotation] == string(s.ops.UID) {
		return fmt.Sprintf("%s %s has the new password already", t.Kind, t.Name), nil
	}
	data, _ := live.Object["data"].(map[string]any)
	password, err := newPassword()
	if err != nil {
		return "", err
	}
	changes, err := passwordData(data, p, password)
	if err != nil {
		return "", permanent(fmt.Errorf("%s %s: %w", t.Kind, t.Name, err))
	}
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{
			"resourceVersion": live.GetResourceVersion(),
			"annotations": map[string]any{
				dbaasv1.PasswordRotatedByAnnotation: string(s.ops.UID),
				dbaasv1.PasswordSHA256Annotation:    fmt.Sprintf("%x", sha256.Sum256([]byte(password))),
			},
		},
		"data": changes,
	})
	if err != nil {
		return "", permanent(fmt.Errorf("cannot encode the patch of %s %s", t.Kind, t.Name))
	}
	if err := r.Patch(ctx, live, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(opsFieldManager)); err != nil {
		return "", fmt.Errorf("cannot write the new password to %s %s: %w", t.Kind, t.Name, err)
	}
	keys := append([]string{p.Key}, p.Derived...)
	return fmt.Sprintf("wrote a new password to %s %s (%s)", t.Kind, t.Name, strings.Join(keys, ", ")), nil
}

// passwordData is the data patch that puts password into key and, in each derived
// key, in place of the old password: as is and in the escaped forms a URI's
// userinfo or query carries. Values are base64, as the API server holds them. An
// absent or empty old password changes no derived key: there is nothing to find.
func passwordData(data map[string]any, p *dbaasv1.OpsPasswordStep, password string) (map[string]any, error) {
	out := map[string]any{p.Key: base64.StdEncoding.EncodeToString([]byte(password))}
	old, err := decoded(data, p.Key)
	if err != nil || old == "" {
		return out, err
	}
	forms := []string{old, url.PathEscape(old), url.QueryEscape(old),
		strings.TrimPrefix(url.UserPassword("_", old).String(), "_:")}
	for _, k := range p.Derived {
		v, err := decoded(data, k)
		if err != nil {
			return nil, err
		}
		if v == "" {
			continue
		}
		for _, f := range forms {
			v = strings.ReplaceAll(v, f, password)
		}
		out[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	return out, nil
}

// decoded is a data key's value ("" when absent); the error names the key only.
func decoded(data map[string]any, key string) (string, error) {
	v, _ := data[key].(string)
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return "", fmt.Errorf("key %s is not base64", key)
	}
	return string(b), nil
}

// passwordAlphabet has letters and digits only: the password needs no escaping in
// a URI, a JDBC query or a pgpass line, and 32 of them carry 190 bits.
const passwordAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newPassword returns 32 characters drawn uniformly from passwordAlphabet with
// crypto/rand.
func newPassword() (string, error) {
	const n = 32
	out := make([]byte, 0, n)
	buf := make([]byte, 64)
	// 248 is the largest multiple of 62 below 256: bytes above it are dropped, so
	// every character is equally likely.
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("cannot generate a password: %w", err)
		}
		for _, b := range buf {
			if int(b) < 248 && len(out) < n {
				out = append(out, passwordAlphabet[int(b)%len(passwordAlphabet)])
			}
		}
	}
	return string(out), nil
}
