package image

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"dbaas.io/operator/internal/childcrds"
)

// amd64Binary is the operator built once for linux/amd64 with the image's flags, by
// TestMain. The tests use it for every platform of the index: what they check (the
// layout, the configs, the platforms) does not depend on the binary's architecture,
// and cross-compiling for arm64 would rebuild every dependency, too slow for
// `make test` on two cores. `make image` builds arm64 for real.
var amd64Binary string

// meta is the build the tests describe.
var meta = Metadata{
	Version:  "v0.0.0-test",
	Revision: "0123456789abcdef0123456789abcdef01234567",
	Source:   "https://example.com/dbaas-operator",
	Created:  time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

// run builds amd64Binary, runs the tests and removes it.
func run(m *testing.M) int {
	root, err := childcrds.Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "image-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	amd64Binary = filepath.Join(dir, "dbaas-operator")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	b := Binary{ModuleRoot: root, Package: "./cmd/dbaas-operator", Arch: "amd64", Version: meta.Version, Out: amd64Binary}
	if err := b.Build(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// testIndex builds the index of both platforms from amd64Binary.
func testIndex(t *testing.T, m Metadata) v1.ImageIndex {
	t.Helper()
	idx, err := Index(map[string]string{"arm64": amd64Binary, "amd64": amd64Binary}, m)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// platformImages returns the images of idx by architecture, checking the index's
// media type and that it lists linux/amd64 then linux/arm64.
func platformImages(t *testing.T, idx v1.ImageIndex) map[string]v1.Image {
	t.Helper()
	if mt, err := idx.MediaType(); err != nil || mt != types.OCIImageIndex {
		t.Fatalf("index media type = %q, %v; want %q", mt, err, types.OCIImageIndex)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var platforms []string
	images := map[string]v1.Image{}
	for _, d := range im.Manifests {
		if d.MediaType != types.OCIManifestSchema1 || d.Platform == nil {
			t.Fatalf("index entry %+v: want an OCI manifest with a platform", d)
		}
		platforms = append(platforms, d.Platform.String())
		if images[d.Platform.Architecture], err = idx.Image(d.Digest); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"linux/amd64", "linux/arm64"}; !slices.Equal(platforms, want) {
		t.Fatalf("index platforms = %v, want %v", platforms, want)
	}
	return images
}

// TestImageConfig checks each platform's config: the binary as entrypoint, the
// non-root user of the Deployment, the CA bundle's variable, the OCI labels, the fixed
// time, and that both platforms share the base layer.
func TestImageConfig(t *testing.T) {
	idx := testIndex(t, meta)
	wantLabels := map[string]string{
		"org.opencontainers.image.title":       "dbaas-operator",
		"org.opencontainers.image.description": "One Kubernetes API for databases over CloudNativePG, Percona and Strimzi",
		"org.opencontainers.image.version":     "v0.0.0-test",
		"org.opencontainers.image.revision":    "0123456789abcdef0123456789abcdef01234567",
		"org.opencontainers.image.created":     "2026-01-02T03:04:05Z",
		"org.opencontainers.image.source":      "https://example.com/dbaas-operator",
	}
	var baseDigests []v1.Hash
	for arch, img := range platformImages(t, idx) {
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.OS != "linux" || cfg.Architecture != arch {
			t.Errorf("%s: config platform = %s/%s", arch, cfg.OS, cfg.Architecture)
		}
		if want := []string{"/dbaas-operator"}; !slices.Equal(cfg.Config.Entrypoint, want) {
			t.Errorf("%s: entrypoint = %q, want %q", arch, cfg.Config.Entrypoint, want)
		}
		if cfg.Config.User != "65532:65532" {
			t.Errorf("%s: user = %q, want 65532:65532", arch, cfg.Config.User)
		}
		if want := []string{"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}; !slices.Equal(cfg.Config.Env, want) {
			t.Errorf("%s: env = %q, want %q", arch, cfg.Config.Env, want)
		}
		if !maps.Equal(cfg.Config.Labels, wantLabels) {
			t.Errorf("%s: labels = %v, want %v", arch, cfg.Config.Labels, wantLabels)
		}
		if !cfg.Created.Equal(meta.Created) {
			t.Errorf("%s: created = %v, want %v", arch, cfg.Created, meta.Created)
		}
		layers, err := img.Layers()
		if err != nil || len(layers) != 2 {
			t.Fatalf("%s: %d layers (%v), want 2", arch, len(layers), err)
		}
		d, err := layers[0].Digest()
		if err != nil {
			t.Fatal(err)
		}
		baseDigests = append(baseDigests, d)
	}
	if baseDigests[0] != baseDigests[1] {
		t.Errorf("the platforms' base layers differ: %v", baseDigests)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(im.Annotations, wantLabels) {
		t.Errorf("index annotations = %v, want %v", im.Annotations, wantLabels)
	}
}

// TestUserMatchesDeployment checks that the image's user is the one the Deployment
// runs as, so that neither can change without the other.
func TestUserMatchesDeployment(t *testing.T) {
	root, err := childcrds.Root()
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(filepath.Join(root, "config", "manager", "manager.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{fmt.Sprintf("runAsUser: %d\n", uid), fmt.Sprintf("runAsGroup: %d\n", gid)} {
		if !bytes.Contains(manifest, []byte(want)) {
			t.Errorf("config/manager/manager.yaml has no %q: the image runs as %s", strings.TrimSpace(want), user)
		}
	}
}

// TestReproducible checks that two builds from the same binaries and metadata give
// the same index digest and byte-identical layout tarballs, and that the metadata's
// time does reach the digest.
func TestReproducible(t *testing.T) {
	layouts := make([][]byte, 2)
	digests := make([]v1.Hash, 2)
	for i := range 2 {
		idx := testIndex(t, meta)
		var buf bytes.Buffer
		if err := WriteLayout(&buf, idx, meta.Version, meta.Created); err != nil {
			t.Fatal(err)
		}
		layouts[i] = buf.Bytes()
		var err error
		if digests[i], err = idx.Digest(); err != nil {
			t.Fatal(err)
		}
	}
	if digests[0] != digests[1] {
		t.Errorf("two builds: digests %v and %v", digests[0], digests[1])
	}
	if !bytes.Equal(layouts[0], layouts[1]) {
		t.Errorf("two builds: layout tarballs differ (%d and %d bytes)", len(layouts[0]), len(layouts[1]))
	}
	later := meta
	later.Created = meta.Created.Add(time.Second)
	d, err := testIndex(t, later).Digest()
	if err != nil {
		t.Fatal(err)
	}
	if d == digests[0] {
		t.Errorf("a build created a second later has the same digest %v", d)
	}
}

// TestFilesystem checks every file of the amd64 image: fixed times, numeric owners,
// the modes, the user's passwd entry and a CA bundle that parses.
func TestFilesystem(t *testing.T) {
	files := map[string]*tar.Header{}
	contents := map[string][]byte{}
	tr := tar.NewReader(mutate.Extract(platformImages(t, testIndex(t, meta))["amd64"]))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(meta.Created) || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: time %v, owner names %q:%q; want %v and none", h.Name, h.ModTime, h.Uname, h.Gname, meta.Created)
		}
		// mutate.Extract writes folders without their trailing slash.
		files[strings.TrimSuffix(h.Name, "/")] = h
		if h.Typeflag == tar.TypeReg && h.Name != "dbaas-operator" {
			if contents[h.Name], err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]struct {
		mode     int64
		uid, gid int
	}{
		"dbaas-operator":                    {0o755, 0, 0},
		"etc/passwd":                        {0o644, 0, 0},
		"etc/group":                         {0o644, 0, 0},
		"etc/ssl/certs/ca-certificates.crt": {0o644, 0, 0},
		"home/nonroot":                      {0o700, 65532, 65532},
		"tmp":                               {0o1777, 0, 0},
	}
	for name, w := range want {
		h, ok := files[name]
		if !ok {
			t.Errorf("the image has no %s", name)
			continue
		}
		if h.Mode != w.mode || h.Uid != w.uid || h.Gid != w.gid {
			t.Errorf("%s: mode %o owner %d:%d, want %o %d:%d", name, h.Mode, h.Uid, h.Gid, w.mode, w.uid, w.gid)
		}
	}
	if !strings.Contains(string(contents["etc/passwd"]), "\nnonroot:x:65532:65532:") {
		t.Errorf("etc/passwd has no nonroot user 65532:\n%s", contents["etc/passwd"])
	}
	certs := 0
	for rest := contents["etc/ssl/certs/ca-certificates.crt"]; ; certs++ {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			t.Errorf("certificate %d of the CA bundle: %v", certs, err)
		}
	}
	if certs < 100 {
		t.Errorf("the CA bundle holds %d certificates, want the NSS roots (more than 100)", certs)
	}
}

// TestRunsBinary extracts the operator from the amd64 image and runs it: --version
// prints the stamped version and --help exits 0.
func TestRunsBinary(t *testing.T) {
	tr := tar.NewReader(mutate.Extract(platformImages(t, testIndex(t, meta))["amd64"]))
	path := filepath.Join(t.TempDir(), "dbaas-operator")
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("the image has no dbaas-operator: %v", err)
		}
		if h.Name != "dbaas-operator" {
			continue
		}
		if err := writeFile(path, tr); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, os.FileMode(h.Mode)); err != nil {
			t.Fatal(err)
		}
		break
	}
	out, err := exec.CommandContext(t.Context(), path, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("dbaas-operator --version: %v\n%s", err, out)
	}
	if got, want := string(out), "dbaas-operator v0.0.0-test\n"; got != want {
		t.Errorf("dbaas-operator --version printed %q, want %q", got, want)
	}
	out, err = exec.CommandContext(t.Context(), path, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("dbaas-operator --help: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "-leader-elect") {
		t.Errorf("dbaas-operator --help lists no flags:\n%s", out)
	}
}
