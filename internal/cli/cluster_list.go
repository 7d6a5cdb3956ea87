package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

func newList(f *factory) *cobra.Command {
	var all bool
	var output string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "list DatabaseClusters: name, engine, version, phase, ready, age",
		Args:    exactly(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, tableFormats); err != nil {
				return err
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			var opts []client.ListOption
			if !all {
				ns, err := f.namespace()
				if err != nil {
					return err
				}
				opts = append(opts, client.InNamespace(ns))
			}
			var list dbaasv1.DatabaseClusterList
			if err := c.List(cmd.Context(), &list, opts...); err != nil {
				return fmt.Errorf("cannot list DatabaseClusters: %w", err)
			}
			if output == "yaml" || output == "json" {
				return printData(cmd.OutOrStdout(), output, listOf(&list))
			}
			if len(list.Items) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "No DatabaseClusters found.")
				return nil
			}
			return clusterTable(cmd, list.Items, all, output == "wide")
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list the clusters of every namespace")
	addOutputFlag(cmd, &output, tableFormats)
	return cmd
}

// clusterTable prints the clusters as kubectl get dbc does, with the namespace first
// for -A and more columns for -o wide.
func clusterTable(cmd *cobra.Command, items []dbaasv1.DatabaseCluster, namespaces, wide bool) error {
	header := []string{"NAME", "ENGINE", "VERSION", "PHASE", "READY", "AGE"}
	if wide {
		header = append(header, "SIZE", "STORAGE", "PRIMARY")
	}
	if namespaces {
		header = append([]string{"NAMESPACE"}, header...)
	}
	t := newTable(cmd.OutOrStdout(), header...)
	for _, c := range items {
		version := c.Status.Version
		if version == "" {
			version = c.Spec.Version
		}
		row := []string{c.Name, c.Spec.Engine, version, string(c.Status.Phase), c.Status.Ready, age(c.CreationTimestamp)}
		if wide {
			size := ""
			if c.Spec.ClusterSize != nil {
				size = strconv.Itoa(int(*c.Spec.ClusterSize))
			}
			row = append(row, size, c.Spec.Storage.Size.String(), c.Status.Primary)
		}
		if namespaces {
			row = append([]string{c.Namespace}, row...)
		}
		t.row(row...)
	}
	return t.flush()
}

// listOf is a list for -o yaml|json: kind List with each item's apiVersion and kind.
func listOf(list *dbaasv1.DatabaseClusterList) map[string]any {
	items := make([]any, 0, len(list.Items))
	for i := range list.Items {
		c := list.Items[i].DeepCopy()
		c.APIVersion, c.Kind = dbaasv1.GroupVersion.String(), "DatabaseCluster"
		c.ManagedFields = nil
		items = append(items, c)
	}
	return map[string]any{"apiVersion": "v1", "kind": "List", "items": items}
}
