// Command gen generates the child CRDs that no module ships (the sources with
// childcrds.Source.Generated set, such as Strimzi's) with controller-gen, when they
// are missing or stale. `make child-crds` runs it from inside the repository:
//
//	go run ./internal/childcrds/gen [-controller-gen PATH]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"dbaas.io/operator/internal/childcrds"
)

func main() {
	controllerGen := flag.String("controller-gen", "", "the controller-gen binary (default: bin/controller-gen in the repository)")
	flag.Parse()
	if err := run(*controllerGen); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(controllerGen string) error {
	root, err := childcrds.Root()
	if err != nil {
		return err
	}
	// controller-gen runs in the repository root: resolve a relative path first.
	if controllerGen == "" {
		controllerGen = filepath.Join(root, "bin", "controller-gen")
	} else if !filepath.IsAbs(controllerGen) {
		if controllerGen, err = filepath.Abs(controllerGen); err != nil {
			return err
		}
	}
	_, err = childcrds.Generate(context.Background(), root, controllerGen, os.Stdout)
	return err
}
