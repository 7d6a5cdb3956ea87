// Command dbaasctl is the operator's companion CLI: offline rendering and vetting of
// engines, policy evaluation, and a local development control plane.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one dbaasctl subcommand.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"render": {"render the child objects of DatabaseClusters, offline", runRender},
	"vet":    {"load and check engines, and render sample clusters with them", runVet},
	"dev":    {"run a local control plane with the operator", runDev},
	"policy": {"evaluate the policies for DatabaseClusters and OpsRequests, offline (policy eval -f FILE)", runPolicy},
	"doctor": {"check a cluster for our CRDs and webhooks and each engine's child operator", runDoctor},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		return 2
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "dbaasctl: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	if err := cmd.run(args[1:], stdout, stderr); errors.Is(err, errDenied) {
		return 1
	} else if err != nil {
		fmt.Fprintf(stderr, "dbaasctl %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: dbaasctl <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'dbaasctl <command> -h' for a command's flags.")
}
