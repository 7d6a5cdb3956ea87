package cli

import (
	"context"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
)

// exactly checks that a command has its n positional arguments, naming them.
func exactly(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return usagef("%s: missing %s", cmd.CommandPath(), strings.Join(names[len(args):], " "))
		case len(args) > len(names):
			return usagef("%s: unexpected argument %q", cmd.CommandPath(), args[len(names)])
		}
		return nil
	}
}

// engineNames are the embedded engines, for completion and for the hint of a
// missing --engine (the API server's webhook judges what it serves).
func engineNames() []string {
	entries, _ := fs.ReadDir(engines.FS(), ".")
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}

// completeClusters completes the first argument with the DatabaseClusters of the
// namespace.
func (f *factory) completeClusters(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return f.completeNames(args, &dbaasv1.DatabaseClusterList{})
}

// completeOps completes the first argument with the OpsRequests of the namespace.
func (f *factory) completeOps(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return f.completeNames(args, &dbaasv1.OpsRequestList{})
}

// completeNames completes the first argument with the names of the objects of list's
// kind in the namespace; a failure completes nothing.
func (f *factory) completeNames(args []string, list client.ObjectList) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	c, err := f.client()
	ns, nsErr := f.namespace()
	if err != nil || nsErr != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	if err := c.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []cobra.Completion
	_ = meta.EachListItem(list, func(o runtime.Object) error {
		if obj, ok := o.(client.Object); ok {
			names = append(names, obj.GetName())
		}
		return nil
	})
	return names, cobra.ShellCompDirectiveNoFileComp
}
