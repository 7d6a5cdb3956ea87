// Command release writes the release manifests (`make release`): crds.yaml and
// install.yaml, with the operator's image pinned to the digest of the image tarball
// that `make image` built. See internal/release.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"dbaas.io/operator/internal/image"
	"dbaas.io/operator/internal/release"
)

func main() {
	var o release.Options
	flag.StringVar(&o.Version, "version", "", "version of the release (required)")
	registry := flag.String("registry", "", "registry and path the image is pushed to, e.g. ghcr.io/acme (required)")
	tarball := flag.String("image", "", "OCI layout tarball that `make image` built for the version (required)")
	flag.StringVar(&o.ConfigDir, "config", "config/default", "kustomization of everything the operator needs")
	flag.StringVar(&o.Kubectl, "kubectl", "bin/k8s/kubectl", "kubectl binary that renders the kustomization")
	out := flag.String("out", "dist", "folder to write crds.yaml and install.yaml into")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, *registry, *tarball, *out); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

// run pins the image, renders and writes the manifests.
func run(ctx context.Context, o release.Options, registry, tarball, out string) error {
	if o.Version == "" || registry == "" || tarball == "" {
		return errors.New("release needs -version, -registry and -image")
	}
	digest, err := image.Digest(tarball)
	if err != nil {
		return fmt.Errorf("%w (run `make image VERSION=%s` first)", err, o.Version)
	}
	o.Image = image.Repository(registry) + "@" + digest.String()
	m, err := release.Render(ctx, o)
	if err != nil {
		return err
	}
	if err := m.Write(out); err != nil {
		return err
	}
	fmt.Printf("%s/crds.yaml and %s/install.yaml, image %s\n", out, out, o.Image)
	return nil
}
