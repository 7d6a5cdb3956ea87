package provider

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"dbaas.io/operator/internal/render"
)

// password is a generated password with every character a URI's userinfo reserves.
const password = "p@ss:w/rd?#[]%+ &="

// bindingSecret is a connection Secret as an engine renders it: the address, no
// credentials.
func bindingSecret() *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "orders-connection", "namespace": "ns"},
		"data":     map[string]any{"host": b64("orders-rw.ns.svc")},
	}}
	return u
}

// bindingRefs are the connection Secret's copies: the password as it is and in the
// uri.
var bindingRefs = map[string]render.SecretKeyRef{
	"password": {Secret: "orders-app", Key: "password"},
	"uri":      {Secret: "orders-app", Key: "password", URI: "postgresql://app:{value}@orders-rw.ns.svc:5432/app"},
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// decoded returns a Secret's data as text.
func decoded(t *testing.T, u *unstructured.Unstructured) map[string]string {
	t.Helper()
	out := map[string]string{}
	data, _ := u.Object["data"].(map[string]any)
	for k, v := range data {
		raw, err := base64.StdEncoding.DecodeString(v.(string))
		if err != nil {
			t.Fatalf("data key %s is not base64: %v", k, err)
		}
		out[k] = string(raw)
	}
	return out
}

func sourceSecret(data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "orders-app"}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

// TestCopySecretDataURI: the password is copied as it is, and into the uri
// percent-encoded, so that a driver parses the URI back to the same password.
func TestCopySecretDataURI(t *testing.T) {
	c := fake.NewClientBuilder().WithObjects(sourceSecret(map[string]string{"password": password, "username": "app"})).Build()
	desired := bindingSecret()
	missing, err := CopySecretData(context.Background(), c, desired, bindingRefs)
	if err != nil || len(missing) != 0 {
		t.Fatalf("CopySecretData: missing %v, err %v", missing, err)
	}
	got := decoded(t, desired)
	if got["password"] != password || got["host"] != "orders-rw.ns.svc" {
		t.Errorf("password %q, host %q: want the source's password and the rendered host kept", got["password"], got["host"])
	}
	if _, ok := got["username"]; ok {
		t.Error("a source key no ref names was copied")
	}
	want := "postgresql://app:p%40ss%3Aw%2Frd%3F%23%5B%5D%25+%20&=@orders-rw.ns.svc:5432/app"
	if got["uri"] != want {
		t.Fatalf("uri %q, want %q", got["uri"], want)
	}
	u, err := url.Parse(got["uri"])
	if err != nil {
		t.Fatalf("the uri does not parse: %v", err)
	}
	if p, _ := u.User.Password(); p != password || u.User.Username() != "app" || u.Host != "orders-rw.ns.svc:5432" || u.Path != "/app" {
		t.Errorf("the uri parses to user %q password %q host %q path %q", u.User.Username(), p, u.Host, u.Path)
	}
}

// TestCopySecretDataMissing: a source Secret that does not exist, or lacks the key,
// leaves the keys out and says so by key and source, never with a value.
func TestCopySecretDataMissing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		objects []client.Object
		want    []MissingSecretData
		message string
	}{{
		name: "no Secret",
		want: []MissingSecretData{
			{DataKey: "password", Secret: "orders-app", Key: "password", NoSecret: true},
			{DataKey: "uri", Secret: "orders-app", Key: "password", NoSecret: true},
		},
		message: "the binding Secret orders-connection lacks password, uri: Secret orders-app does not exist yet",
	}, {
		name:    "no key",
		objects: []client.Object{sourceSecret(map[string]string{"username": password})},
		want: []MissingSecretData{
			{DataKey: "password", Secret: "orders-app", Key: "password"},
			{DataKey: "uri", Secret: "orders-app", Key: "password"},
		},
		message: "the binding Secret orders-connection lacks password, uri: Secret orders-app has no key password yet",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithObjects(tc.objects...).Build()
			desired := bindingSecret()
			missing, err := CopySecretData(context.Background(), c, desired, bindingRefs)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(missing, tc.want) {
				t.Errorf("missing %+v, want %+v", missing, tc.want)
			}
			if got := decoded(t, desired); len(got) != 1 || got["host"] != "orders-rw.ns.svc" {
				t.Errorf("data %v, want the rendered host alone", got)
			}
			msg := MissingMessage("orders-connection", missing)
			if msg != tc.message {
				t.Errorf("message %q, want %q", msg, tc.message)
			}
			if strings.Contains(msg, password) || strings.Contains(msg, b64(password)) {
				t.Errorf("message %q carries a value", msg)
			}
		})
	}
}

// TestCopySecretDataReadError: a failed read is a ReadError, which the caller
// retries, and leaves nothing half copied.
func TestCopySecretDataReadError(t *testing.T) {
	c := interceptor.NewClient(fake.NewClientBuilder().Build(), interceptor.Funcs{
		Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
			return errors.New("connection refused")
		},
	})
	desired := bindingSecret()
	_, err := CopySecretData(context.Background(), c, desired, bindingRefs)
	var re *ReadError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "cannot read Secret orders-app") {
		t.Fatalf("error %v, want a ReadError naming the Secret", err)
	}
	if got := decoded(t, desired); len(got) != 1 {
		t.Errorf("data %v after a failed read, want the rendered host alone", got)
	}
}
