package image

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// refNameAnnotation names the index in index.json, as `podman load` and
// `skopeo copy oci-archive:` read it.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// WriteLayout writes idx as an OCI image layout in one tar stream: oci-layout,
// index.json (the index, named refName), then every blob once, in the order of its
// digest, with the same fixed headers as the layers, so that a layout is as
// reproducible as the index it holds.
func WriteLayout(w io.Writer, idx v1.ImageIndex, refName string, mtime time.Time) error {
	blobs, err := collectBlobs(idx)
	if err != nil {
		return err
	}
	desc, err := describe(idx)
	if err != nil {
		return err
	}
	desc.Annotations = map[string]string{refNameAnnotation: refName}
	top, err := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: desc.MediaType, Manifests: []v1.Descriptor{desc}})
	if err != nil {
		return fmt.Errorf("cannot encode index.json: %w", err)
	}
	files := []entry{
		{path: "oci-layout", mode: 0o644, data: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{path: "index.json", mode: 0o644, data: top},
		{path: "blobs", mode: 0o755, dir: true},
		{path: "blobs/sha256", mode: 0o755, dir: true},
	}
	for _, h := range slices.Sorted(maps.Keys(blobs)) {
		files = append(files, entry{path: "blobs/sha256/" + h, mode: 0o644, data: blobs[h]})
	}
	return writeTar(w, files, mtime)
}

// collectBlobs returns the blobs of idx by the hex of their sha256 digest: the index
// manifest, and each image's manifest, config and compressed layers.
func collectBlobs(idx v1.ImageIndex) (map[string][]byte, error) {
	blobs := map[string][]byte{}
	add := func(h v1.Hash, data []byte) { blobs[h.Hex] = data }
	raw, err := idx.RawManifest()
	if err != nil {
		return nil, fmt.Errorf("cannot read the index manifest: %w", err)
	}
	d, err := idx.Digest()
	if err != nil {
		return nil, fmt.Errorf("cannot compute the index digest: %w", err)
	}
	add(d, raw)
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("cannot read the index manifest: %w", err)
	}
	for _, m := range im.Manifests {
		img, err := idx.Image(m.Digest)
		if err != nil {
			return nil, fmt.Errorf("cannot read image %s: %w", m.Digest, err)
		}
		if err := collectImage(img, add); err != nil {
			return nil, fmt.Errorf("cannot read image %s: %w", m.Digest, err)
		}
	}
	return blobs, nil
}

// collectImage passes add the manifest, config and compressed layers of img.
func collectImage(img v1.Image, add func(v1.Hash, []byte)) error {
	raw, err := img.RawManifest()
	if err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	add(d, raw)
	cfg, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	cd, err := img.ConfigName()
	if err != nil {
		return err
	}
	add(cd, cfg)
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range layers {
		ld, err := l.Digest()
		if err != nil {
			return err
		}
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		add(ld, data)
	}
	return nil
}

// describe is the descriptor of idx: media type, digest and size.
func describe(idx v1.ImageIndex) (v1.Descriptor, error) {
	mt, err := idx.MediaType()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("cannot read the index media type: %w", err)
	}
	d, err := idx.Digest()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("cannot compute the index digest: %w", err)
	}
	size, err := idx.Size()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("cannot compute the index size: %w", err)
	}
	return v1.Descriptor{MediaType: mt, Digest: d, Size: size}, nil
}
