package image

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Repository is the image's name under a registry: <registry>/dbaas-operator.
func Repository(registry string) string { return registry + "/dbaas-operator" }

// Push pushes idx, every image and blob it holds, to <registry>/dbaas-operator:<tag>
// with the credentials of the default keychain (docker and podman login files,
// $DOCKER_CONFIG), and returns the reference by digest that release manifests pin.
func Push(ctx context.Context, idx v1.ImageIndex, registry, tag string, opts ...name.Option) (name.Digest, error) {
	ref, err := name.NewTag(Repository(registry)+":"+tag, opts...)
	if err != nil {
		return name.Digest{}, fmt.Errorf("cannot name the image: %w", err)
	}
	if err := remote.WriteIndex(ref, idx, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return name.Digest{}, fmt.Errorf("cannot push %s: %w", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		return name.Digest{}, fmt.Errorf("cannot compute the index digest: %w", err)
	}
	return ref.Context().Digest(d.String()), nil
}
