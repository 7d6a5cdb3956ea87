package release

import (
	"strings"
	"testing"
)

// TestCheckPinned checks that a Deployment running another image, or no Deployment,
// fails the release.
func TestCheckPinned(t *testing.T) {
	deployment := func(image string) []byte {
		return []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dbaas-operator\nspec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        image: " + image + "\n")
	}
	service := []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n")
	cases := map[string]struct {
		docs [][]byte
		// wantErr is a part of the error, or empty when the documents pass.
		wantErr string
	}{
		"pinned":        {docs: [][]byte{service, deployment(testImage)}},
		"latest":        {docs: [][]byte{deployment("dbaas-operator:latest")}, wantErr: "runs dbaas-operator:latest"},
		"no deployment": {docs: [][]byte{service}, wantErr: "no Deployment"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := checkPinned(c.docs, testImage)
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Errorf("checkPinned: %v, want %q", err, c.wantErr)
			}
		})
	}
}
