// Command image builds the operator's multi-platform image into an OCI layout tarball
// without Docker (`make image`) and pushes it to a registry (`make image-push`). See
// internal/image.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"time"

	"dbaas.io/operator/internal/childcrds"
	"dbaas.io/operator/internal/image"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: image build|push [flags]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch os.Args[1] {
	case "build":
		err = build(ctx, os.Args[2:])
	case "push":
		err = push(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q: want build or push", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

// build runs `image build`: cross-compile, assemble, write the tarball.
func build(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("build", flag.ExitOnError)
	var m image.Metadata
	fs.StringVar(&m.Version, "version", "", "version of the operator (required)")
	fs.StringVar(&m.Revision, "revision", "", "commit the image is built from (required)")
	fs.StringVar(&m.Source, "source", "", "URL of the source repository (org.opencontainers.image.source)")
	epoch := fs.String("source-date-epoch", "", "creation time of the image in Unix seconds, e.g. the commit time (required)")
	platforms := fs.String("platforms", "linux/amd64,linux/arm64", "comma-separated platforms")
	out := fs.String("out", "", "path of the OCI layout tarball to write (required)")
	_ = fs.Parse(args)
	if m.Version == "" || m.Revision == "" || *epoch == "" || *out == "" {
		return errors.New("build needs -version, -revision, -source-date-epoch and -out")
	}
	secs, err := strconv.ParseInt(*epoch, 10, 64)
	if err != nil {
		return fmt.Errorf("-source-date-epoch %q: %w", *epoch, err)
	}
	m.Created = time.Unix(secs, 0).UTC()
	arches, err := image.Arches(*platforms)
	if err != nil {
		return err
	}
	m.Source = withoutCredentials(m.Source)
	if m.Source == "" {
		fmt.Fprintln(os.Stderr, "image: no -source, so no org.opencontainers.image.source label (set IMAGE_SOURCE)")
	}
	root, err := childcrds.Root()
	if err != nil {
		return err
	}
	digest, err := image.Build(ctx, root, arches, m, *out)
	if err != nil {
		return err
	}
	fmt.Printf("%s %s\n", *out, digest)
	return nil
}

// withoutCredentials drops the user and password of a URL (a git remote may hold a
// token), which a public label must not show.
func withoutCredentials(source string) string {
	u, err := url.Parse(source)
	if err != nil || u.User == nil {
		return source
	}
	u.User = nil
	return u.String()
}

// push runs `image push`: the tarball's index to <registry>/dbaas-operator:<version>.
func push(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("push", flag.ExitOnError)
	in := fs.String("in", "", "OCI layout tarball that `image build` wrote (required)")
	registry := fs.String("registry", "", "registry and path to push to, e.g. ghcr.io/acme (required)")
	tag := fs.String("tag", "", "tag to push, the version (required)")
	_ = fs.Parse(args)
	if *in == "" || *registry == "" || *tag == "" {
		return errors.New("push needs -in, -registry and -tag")
	}
	dir, err := os.MkdirTemp("", "dbaas-image-push-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	idx, err := image.ReadLayout(*in, dir)
	if err != nil {
		return err
	}
	ref, err := image.Push(ctx, idx, *registry, *tag)
	if err != nil {
		return err
	}
	fmt.Println(ref)
	return nil
}
