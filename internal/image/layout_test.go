package image

import (
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// writeTestLayout writes the test index as a layout tarball and returns its path and
// the index's digest.
func writeTestLayout(t *testing.T) (string, v1.Hash) {
	t.Helper()
	idx := testIndex(t, meta)
	want, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "image.oci.tar")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteLayout(f, idx, meta.Version, meta.Created); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path, want
}

// TestLayoutRoundTrip checks that a written layout names the index by its version,
// and reads back, by Digest and by ReadLayout, as the same valid index with both
// images.
func TestLayoutRoundTrip(t *testing.T) {
	path, want := writeTestLayout(t)
	got, err := Digest(path)
	if err != nil || got != want {
		t.Fatalf("Digest = %v, %v; want %v", got, err, want)
	}
	dir := t.TempDir()
	idx, err := ReadLayout(path, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := idx.Digest(); err != nil || got != want {
		t.Errorf("ReadLayout's index digest = %v, %v; want %v", got, err, want)
	}
	platformImages(t, idx)
	// Every blob read back matches its digest and size, every layer its diff ID.
	if err := validate.Index(idx); err != nil {
		t.Errorf("the layout read back is not a valid index: %v", err)
	}
	top, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var im v1.IndexManifest
	if err := json.Unmarshal(top, &im); err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Annotations[refNameAnnotation] != meta.Version {
		t.Errorf("index.json = %s, want one index named %s", top, meta.Version)
	}
}

// TestDigestRefusesOther checks that Digest fails on a tarball that is no layout.
func TestDigestRefusesOther(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.tar")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeTar(f, []entry{{path: "README", mode: 0o644, data: []byte("hi")}}, meta.Created); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := Digest(path); err == nil || !strings.Contains(err.Error(), "no index.json") {
		t.Errorf("Digest of a tarball without index.json: %v, want an error naming index.json", err)
	}
}

// TestPush pushes a layout to a registry (go-containerregistry's, served over HTTP
// in the test) and pulls the index back by tag: same digest, both platforms.
func TestPush(t *testing.T) {
	path, want := writeTestLayout(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	idx, err := ReadLayout(path, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	ref, err := Push(t.Context(), idx, host+"/team", meta.Version, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if got, wantRef := ref.String(), host+"/team/dbaas-operator@"+want.String(); got != wantRef {
		t.Errorf("Push returned %s, want %s", got, wantRef)
	}
	tag, err := name.NewTag(host+"/team/dbaas-operator:"+meta.Version, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := remote.Index(tag, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := pulled.Digest(); err != nil || got != want {
		t.Errorf("pulled index digest = %v, %v; want %v", got, err, want)
	}
	platformImages(t, pulled)
}

// TestArches checks the parsing of -platforms.
func TestArches(t *testing.T) {
	got, err := Arches("linux/amd64, linux/arm64")
	if err != nil || strings.Join(got, ",") != "amd64,arm64" {
		t.Errorf("Arches = %v, %v; want amd64,arm64", got, err)
	}
	for _, bad := range []string{"darwin/arm64", "linux/", "linux/arm/v7", "amd64"} {
		if _, err := Arches(bad); err == nil {
			t.Errorf("Arches(%q) = nil error, want one", bad)
		}
	}
}
