// Command list prints the child CRD sources for scripts such as `make schemas`, one
// per line: module path, version, the absolute CRD file or directory, and where the
// CRDs come from ("module" when the module ships them, "generated" when they were
// generated from its Go types by `make child-crds`), separated by tabs. Run it from
// inside the repository: go run ./internal/childcrds/list
package main

import (
	"context"
	"fmt"
	"os"

	"dbaas.io/operator/internal/childcrds"
)

func main() {
	resolved, err := childcrds.Resolve(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, r := range resolved {
		origin := "module"
		if r.Generated != "" {
			origin = "generated"
		}
		fmt.Printf("%s\t%s\t%s\t%s\n", r.Module, r.Version, r.CRDPath(), origin)
	}
}
