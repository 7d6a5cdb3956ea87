// Package image builds the operator's container image without Docker and without
// pulling a base image: a multi-platform OCI index whose images each hold two layers
// written here (the files every platform shares, then the static binary), written as
// an OCI image layout tarball and pushed with go-containerregistry. The same source,
// toolchain and Metadata give the same bytes, hence the same digest.
package image

import (
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Metadata describes a build: what the labels and annotations say, and the one time
// written anywhere in the image.
type Metadata struct {
	// Version of the operator: the tag, the version label, what --version prints.
	Version string
	// Revision is the commit the image is built from.
	Revision string
	// Source is the URL of the source repository; no label when empty.
	Source string
	// Created is the time of the image config, the history and every file in the
	// layers: SOURCE_DATE_EPOCH or the commit time, never the time of the build.
	Created time.Time
}

// user is the image's user, numeric so that the kubelet can check runAsNonRoot
// without reading /etc/passwd.
var user = fmt.Sprintf("%d:%d", uid, gid)

// labels are the OCI labels of each image config and the annotations of the index.
func (m Metadata) labels() map[string]string {
	l := map[string]string{
		"org.opencontainers.image.title":       "dbaas-operator",
		"org.opencontainers.image.description": "One Kubernetes API for databases over CloudNativePG, Percona and Strimzi",
		"org.opencontainers.image.version":     m.Version,
		"org.opencontainers.image.revision":    m.Revision,
		"org.opencontainers.image.created":     m.Created.UTC().Format(time.RFC3339),
	}
	if m.Source != "" {
		l["org.opencontainers.image.source"] = m.Source
	}
	return l
}

// platformImage is the image of one platform: an empty OCI image, the shared base
// layer, the binary's layer and a config that runs the binary as the non-root user.
func platformImage(base v1.Layer, binary []byte, arch string, m Metadata) (v1.Image, error) {
	bin, err := layer(binaryEntries(binary), m.Created)
	if err != nil {
		return nil, err
	}
	created := v1.Time{Time: m.Created.UTC()}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: created, CreatedBy: "dbaas.io/operator/internal/image: passwd, group, CA certificates, /tmp", Comment: "shared by every platform"}},
		mutate.Addendum{Layer: bin, History: v1.History{Created: created, CreatedBy: "dbaas.io/operator/internal/image: go build ./cmd/dbaas-operator"}},
	)
	if err != nil {
		return nil, fmt.Errorf("cannot add the layers of linux/%s: %w", arch, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("cannot read the config of linux/%s: %w", arch, err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.Created = "linux", arch, created
	cfg.Config = v1.Config{
		Entrypoint: []string{binaryPath},
		User:       user,
		WorkingDir: "/",
		Env:        []string{"SSL_CERT_FILE=" + caBundlePath},
		Labels:     m.labels(),
	}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot write the config of linux/%s: %w", arch, err)
	}
	return img, nil
}
