package simulate

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
