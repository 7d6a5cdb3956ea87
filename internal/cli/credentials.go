package cli

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func newCredentials(f *factory) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:               "credentials NAME",
		Short:             "print the connection Secret of a DatabaseCluster (status.connectionSecret), decoded",
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
			name := dbc.Status.ConnectionSecret
			if name == "" {
				return fmt.Errorf("DatabaseCluster %s has no status.connectionSecret yet (phase %s)", dbc.Name, orNone(string(dbc.Status.Phase)))
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			secret := &corev1.Secret{}
			if err := c.Get(cmd.Context(), client.ObjectKey{Namespace: dbc.Namespace, Name: name}, secret); err != nil {
				return fmt.Errorf("cannot read Secret %s (status.connectionSecret of %s): %w", name, dbc.Name, err)
			}
			data := map[string]string{}
			keys := make([]string, 0, len(secret.Data))
			for k, v := range secret.Data {
				data[k] = string(v)
				keys = append(keys, k)
			}
			if output != "table" {
				return printData(cmd.OutOrStdout(), output, data)
			}
			sort.Strings(keys)
			fmt.Fprintf(cmd.OutOrStdout(), "Secret %s:\n", name)
			for _, k := range keys {
				fmt.Fprintf(cmd.OutOrStdout(), "  %s: %s\n", k, data[k])
			}
			return nil
		},
	}
	addOutputFlag(cmd, &output, []string{"table", "yaml", "json"})
	return cmd
}
