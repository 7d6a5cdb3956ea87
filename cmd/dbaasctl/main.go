// Command dbaasctl is the operator's companion CLI: the daily commands on
// DatabaseClusters and OpsRequests (internal/cli), offline rendering and vetting of
// engines, policy evaluation, and a local development control plane. Installed as
// kubectl-dbaas it is the kubectl plugin "kubectl dbaas".
package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"sort"

	"github.com/spf13/cobra"

	"dbaas.io/operator/internal/cli"
)

// command is one dbaasctl subcommand that parses its own flags (with the flag
// package): add one to commands and it is wired into the cobra root by adapt.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"render": {"render the child objects of DatabaseClusters, offline", runRender},
	"vet":    {"load and check engines, and render sample clusters with them", runVet},
	"dev":    {"run a local control plane with the operator", runDev},
	"policy": {"evaluate the policies for DatabaseClusters and OpsRequests, offline (policy eval -f FILE)", runPolicy},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := cli.NewRoot(cli.Streams{In: stdin, Out: stdout, ErrOut: stderr})
	root.AddGroup(&cobra.Group{ID: "offline", Title: "Engines and policies, offline; development:"})
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		root.AddCommand(adapt(n, commands[n]))
	}
	return cli.Execute(root, args)
}

// adapt makes a cobra command of a command that parses its own flags: cobra passes
// every argument through, -h prints the command's flags and exits 0, and a policy
// denial (already printed) exits 1.
func adapt(name string, c command) *cobra.Command {
	return &cobra.Command{
		Use:                name,
		Short:              c.summary,
		GroupID:            "offline",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			err := c.run(args, cmd.OutOrStdout(), cmd.ErrOrStderr())
			switch {
			case errors.Is(err, flag.ErrHelp):
				return nil
			case errors.Is(err, errDenied):
				return &cli.ExitError{Code: 1}
			case err != nil:
				return &cli.ExitError{Code: 1, Err: errors.New(name + ": " + err.Error())}
			}
			return nil
		},
	}
}
