package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func newBackupsCommand(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backups",
		Short: "list the backups of a cluster",
		Args:  exactly(),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var output string
	list := &cobra.Command{
		Use:     "list NAME",
		Aliases: []string{"ls"},
		Short:   "list the child operator's backups of a DatabaseCluster (on-demand and scheduled), oldest first",
		Long: `backups list lists the backup objects of the cluster's child operator (which kind,
and where their state is, is the engine's data: cli.backups in
engines/<engine>/cli.cue). The names are what restore --backup takes.`,
		Args:              exactly("NAME"),
		ValidArgsFunction: f.completeClusters,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, []string{"table", "yaml", "json"}); err != nil {
				return err
			}
			dbc, err := f.getCluster(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			e, err := f.engine(dbc.Spec.Engine)
			if err != nil {
				return err
			}
			if e.CLI == nil || e.CLI.Backups == nil {
				return fmt.Errorf("engine %s takes no backups (no cli.backups)", e.Name)
			}
			b := e.CLI.Backups
			c, err := f.client()
			if err != nil {
				return err
			}
			list := &unstructured.UnstructuredList{}
			list.SetGroupVersionKind(schema.FromAPIVersionAndKind(b.APIVersion, b.Kind+"List"))
			if err := c.List(cmd.Context(), list, client.InNamespace(dbc.Namespace)); err != nil {
				return fmt.Errorf("cannot list %s: %w", b.Kind, err)
			}
			var mine []unstructured.Unstructured
			for _, item := range list.Items {
				if fieldAt(item, b.Cluster) == dbc.Name {
					item.SetManagedFields(nil)
					mine = append(mine, item)
				}
			}
			sort.SliceStable(mine, func(i, j int) bool {
				a, b := mine[i].GetCreationTimestamp(), mine[j].GetCreationTimestamp()
				return a.Before(&b) || a.Equal(&b) && mine[i].GetName() < mine[j].GetName()
			})
			if output != "table" {
				items := make([]any, 0, len(mine))
				for _, m := range mine {
					items = append(items, m.Object)
				}
				return printData(cmd.OutOrStdout(), output, map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
			}
			if len(mine) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "No backups of %s found.\n", dbc.Name)
				return nil
			}
			t := newTable(cmd.OutOrStdout(), "NAME", "KIND", "PHASE", "STARTED", "COMPLETED", "AGE")
			for _, m := range mine {
				t.row(m.GetName(), b.Kind, fieldAt(m, b.Phase), fieldAt(m, b.Started), fieldAt(m, b.Completed), age(m.GetCreationTimestamp()))
			}
			return t.flush()
		},
	}
	addOutputFlag(list, &output, []string{"table", "yaml", "json"})
	cmd.AddCommand(list)
	return cmd
}

// fieldAt is the string at a dot-separated path of the object, or "".
func fieldAt(u unstructured.Unstructured, path string) string {
	if path == "" {
		return ""
	}
	v, found, err := unstructured.NestedFieldNoCopy(u.Object, strings.Split(path, ".")...)
	if !found || err != nil || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
