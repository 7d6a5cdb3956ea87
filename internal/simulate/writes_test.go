package simulate

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestAnnotateHashes: a hash annotation is the hex SHA-256 of the decoded value of
// the key it names, as Percona records the password it set; a key the Secret lacks
// sets nothing, and the other annotations stay.
func TestAnnotateHashes(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{"data": map[string]any{"app": "c2VjcmV0"}}} // "secret"
	u.SetAnnotations(map[string]string{"kept": "yes"})
	err := annotateHashes(u, u, map[string]any{"percona.com/shop-app-hash": "app", "percona.com/shop-gone-hash": "gone"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"kept":                      "yes",
		"percona.com/shop-app-hash": "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b",
	}
	got := u.GetAnnotations()
	if len(got) != len(want) {
		t.Fatalf("annotations %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, got[k], v)
		}
	}
}

// TestWriteTakesAGivenPassword: a write whose keys come from another Secret (as
// Strimzi's User Operator takes the password a KafkaUser names) creates the Secret
// with that password, formatted where asked; when the source changes, the next
// write sets the new password and the write's annotations on the existing Secret,
// and a replay writes nothing.
func TestWriteTakesAGivenPassword(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "simulate-write-from"}}
	if err := env.client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	source := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "given"},
		Data:       map[string][]byte{"password": []byte("first")},
	}
	if err := env.client.Create(ctx, source); err != nil {
		t.Fatal(err)
	}
	child := &unstructured.Unstructured{}
	child.SetAPIVersion("v1")
	child.SetKind("ConfigMap")
	child.SetNamespace(ns.Name)
	child.SetName("owner")
	if err := env.client.Create(ctx, child); err != nil {
		t.Fatal(err)
	}
	write := func(hash string) map[string]any {
		return map[string]any{
			"apiVersion": "v1", "kind": "Secret",
			"metadata": map[string]any{"name": "user", "annotations": map[string]any{"example.com/hash": hash}},
			"data":     map[string]any{"password": "Z2VuZXJhdGVk", "jaas": "Z2VuZXJhdGVk"}, // "generated"
			"from": map[string]any{
				"password": map[string]any{"secret": "given", "key": "password"},
				"jaas":     map[string]any{"secret": "given", "key": "password", "format": `password="{value}";`},
			},
		}
	}
	s := &Simulator{client: env.client}
	check := func(password, hash string) *corev1.Secret {
		t.Helper()
		got := &corev1.Secret{}
		if err := env.client.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "user"}, got); err != nil {
			t.Fatal(err)
		}
		if string(got.Data["password"]) != password || string(got.Data["jaas"]) != `password="`+password+`";` || got.Annotations["example.com/hash"] != hash {
			t.Errorf("user Secret: password %q, jaas %q, hash %q; want %q and %q", got.Data["password"], got.Data["jaas"], got.Annotations["example.com/hash"], password, hash)
		}
		return got
	}
	if err := s.write(ctx, env.client, child, write("h1")); err != nil {
		t.Fatal(err)
	}
	check("first", "h1")

	source.Data["password"] = []byte("second")
	if err := env.client.Update(ctx, source); err != nil {
		t.Fatal(err)
	}
	if err := s.write(ctx, env.client, child, write("h2")); err != nil {
		t.Fatal(err)
	}
	before := check("second", "h2").ResourceVersion
	if err := s.write(ctx, env.client, child, write("h2")); err != nil {
		t.Fatal(err)
	}
	if after := check("second", "h2").ResourceVersion; after != before {
		t.Errorf("a replay wrote the Secret again (resourceVersion %s, then %s)", before, after)
	}
}
