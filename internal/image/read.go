package image

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// Digest returns the digest of the index in the layout tarball at path, the digest a
// registry serves it under once pushed, without unpacking the blobs.
func Digest(path string) (v1.Hash, error) {
	f, err := os.Open(path)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("cannot open the image: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return v1.Hash{}, fmt.Errorf("%s holds no index.json: not an OCI image layout", path)
		}
		if err != nil {
			return v1.Hash{}, fmt.Errorf("cannot read %s: %w", path, err)
		}
		if h.Name != "index.json" {
			continue
		}
		desc, err := onlyManifest(tr)
		if err != nil {
			return v1.Hash{}, fmt.Errorf("%s: %w", path, err)
		}
		return desc.Digest, nil
	}
}

// ReadLayout unpacks the layout tarball at path into dir (which it must own, empty)
// and returns the index it holds, read lazily from dir.
func ReadLayout(path, dir string) (v1.ImageIndex, error) {
	if err := unpack(path, dir); err != nil {
		return nil, err
	}
	top, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot read the layout of %s: %w", path, err)
	}
	raw, err := top.RawManifest()
	if err != nil {
		return nil, fmt.Errorf("cannot read index.json of %s: %w", path, err)
	}
	desc, err := onlyManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return top.ImageIndex(desc.Digest)
}

// onlyManifest decodes an index.json and returns its one entry, which WriteLayout
// writes: the multi-platform index.
func onlyManifest(r io.Reader) (v1.Descriptor, error) {
	var im v1.IndexManifest
	if err := json.NewDecoder(r).Decode(&im); err != nil {
		return v1.Descriptor{}, fmt.Errorf("cannot decode index.json: %w", err)
	}
	if len(im.Manifests) != 1 {
		return v1.Descriptor{}, fmt.Errorf("index.json lists %d manifests, want the one index", len(im.Manifests))
	}
	return im.Manifests[0], nil
}

// unpack extracts the regular files and folders of the tarball at path into dir,
// refusing any name that would leave it.
func unpack(path, dir string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot open the image: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", path, err)
		}
		if !filepath.IsLocal(h.Name) {
			return fmt.Errorf("%s holds %q, outside the layout", path, h.Name)
		}
		target := filepath.Join(dir, h.Name)
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(target, 0o755)
		case tar.TypeReg:
			err = writeFile(target, tr)
		default:
			err = fmt.Errorf("%s holds %q, neither a file nor a folder", path, h.Name)
		}
		if err != nil {
			return err
		}
	}
}

// writeFile copies r into a new file at path, creating its folder.
func writeFile(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return fmt.Errorf("cannot unpack %s: %w", path, err)
	}
	return out.Close()
}
