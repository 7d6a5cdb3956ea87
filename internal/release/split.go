package release

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/google/go-containerregistry/pkg/name"
)

// split separates the CRDs from the other documents of a multi-document YAML stream,
// keeping each document's bytes and order (kustomize already orders namespaces and
// CRDs before what needs them).
func split(stream []byte) (crds, rest [][]byte, err error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read the rendered manifests: %w", err)
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return nil, nil, fmt.Errorf("cannot read a rendered manifest: %w", err)
		}
		switch {
		case tm.Kind == "":
			continue // an empty document
		case tm.Kind == "CustomResourceDefinition":
			crds = append(crds, doc)
		default:
			rest = append(rest, doc)
		}
	}
	if len(crds) == 0 || len(rest) == 0 {
		return nil, nil, fmt.Errorf("the rendered manifests hold %d CRDs and %d other objects: want both", len(crds), len(rest))
	}
	return crds, rest, nil
}

// checkPinned fails unless the documents hold a Deployment and every container of
// every Deployment runs image: a kustomization that stopped naming the image
// dbaas-operator would otherwise ship an unpinned one.
func checkPinned(docs [][]byte, image string) error {
	deployments := 0
	for _, doc := range docs {
		var d appsv1.Deployment
		if err := yaml.Unmarshal(doc, &d); err != nil || d.Kind != "Deployment" {
			continue
		}
		deployments++
		for _, c := range append(d.Spec.Template.Spec.InitContainers, d.Spec.Template.Spec.Containers...) {
			if c.Image != image {
				return fmt.Errorf("the Deployment %s: container %s runs %s, not the release's image %s", d.Name, c.Name, c.Image, image)
			}
		}
	}
	if deployments == 0 {
		return errors.New("the rendered manifests hold no Deployment")
	}
	return nil
}

// join writes docs as one YAML stream under header.
func join(header string, docs [][]byte) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	for _, d := range docs {
		b.WriteString("---\n")
		b.Write(bytes.TrimLeft(d, "\n"))
		if !bytes.HasSuffix(d, []byte("\n")) {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// splitImage parses <repository>@sha256:<hex> into its repository and digest.
func splitImage(image string) (repo, digest string, err error) {
	d, err := name.NewDigest(image)
	if err != nil || !strings.HasPrefix(d.DigestStr(), "sha256:") {
		return "", "", fmt.Errorf("image %q: want <registry>/dbaas-operator@sha256:<digest> (%v)", image, err)
	}
	// The repository as written, not as NewDigest expands it (index.docker.io/...),
	// so that the Deployment names the image as the user does.
	repo, digest, _ = strings.Cut(image, "@")
	return repo, digest, nil
}
