package image

import (
	"fmt"
	"maps"
	"os"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Index builds the multi-platform index from binaries, a map from GOARCH (amd64,
// arm64) to the path of that platform's linux binary. Platforms are listed in the
// order of their names, so the map's order cannot change the digest.
func Index(binaries map[string]string, m Metadata) (v1.ImageIndex, error) {
	if len(binaries) == 0 {
		return nil, fmt.Errorf("cannot build an index without binaries")
	}
	base, err := layer(baseEntries(), m.Created)
	if err != nil {
		return nil, err
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range slices.Sorted(maps.Keys(binaries)) {
		binary, err := os.ReadFile(binaries[arch])
		if err != nil {
			return nil, fmt.Errorf("cannot read the linux/%s binary: %w", arch, err)
		}
		img, err := platformImage(base, binary, arch, m)
		if err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	annotated, ok := mutate.Annotations(idx, m.labels()).(v1.ImageIndex)
	if !ok {
		return nil, fmt.Errorf("cannot annotate the index")
	}
	return annotated, nil
}
