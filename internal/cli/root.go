// Package cli holds dbaasctl's daily commands, which act on DatabaseClusters and
// OpsRequests through the API server as kubectl does: create, list, describe and
// delete clusters, read their credentials, connect to them, run one operation per
// verb and follow it, list operations and backups. cmd/dbaasctl adds its offline
// commands (render, vet, policy, dev) to the same root; testscripts run this root
// in-process against the suite's API server.
package cli

import (
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// Streams are where a command reads and writes.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// NewRoot returns the dbaasctl command with the daily commands and kubectl's
// connection flags (--kubeconfig, --context, -n/--namespace, ...). Add more commands
// with AddCommand before Execute.
func NewRoot(s Streams) *cobra.Command {
	flags := genericclioptions.NewConfigFlags(true)
	root := &cobra.Command{
		Use:   "dbaasctl",
		Short: "dbaasctl drives DatabaseClusters and their operations",
		Long: `dbaasctl drives DatabaseClusters and their day-2 operations from the command line,
with kubectl's conventions (--kubeconfig, --context, -n, -o). Installed as the
kubectl plugin kubectl-dbaas, it is also "kubectl dbaas".`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	if displayName() != "" {
		root.Annotations = map[string]string{cobra.CommandDisplayNameAnnotation: displayName()}
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	flags.AddFlags(root.PersistentFlags())
	f := &factory{flags: flags, streams: s}
	root.AddGroup(
		&cobra.Group{ID: "clusters", Title: "Clusters:"},
		&cobra.Group{ID: "ops", Title: "Operations (each creates an OpsRequest):"},
	)
	for _, c := range []*cobra.Command{
		newCreate(f), newList(f), newDescribe(f), newDelete(f), newCredentials(f), newConnect(f),
		newOpsCommand(f), newBackupsCommand(f),
	} {
		c.GroupID = "clusters"
		root.AddCommand(c)
	}
	root.AddCommand(newDoctor(f))
	for _, v := range opVerbs {
		c := newOpVerb(f, v)
		c.GroupID = "ops"
		root.AddCommand(c)
	}
	return root
}

// displayName is "kubectl dbaas" when the binary runs as the kubectl plugin, so that
// help and completion speak of the command the user typed.
func displayName() string {
	if strings.HasPrefix(filepath.Base(os.Args[0]), "kubectl-dbaas") {
		return "kubectl dbaas"
	}
	return ""
}

// Execute runs root with args and returns the exit code: 0 on success, 2 for a
// usage error, the code of an ExitError, else 1. It prints the error, if any.
func Execute(root *cobra.Command, args []string) int {
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	return report(root.ErrOrStderr(), root.DisplayName(), err)
}
