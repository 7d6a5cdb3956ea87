package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

func newDelete(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:               "delete NAME",
		Short:             "delete a DatabaseCluster (its data too, unless spec.deletionPolicy is Retain)",
		Args:              exactly("NAME"),
		ValidArgsFunction: f.completeClusters,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			ns, err := f.namespace()
			if err != nil {
				return err
			}
			dbc := &dbaasv1.DatabaseCluster{ObjectMeta: metav1.ObjectMeta{Name: args[0], Namespace: ns}}
			if err := c.Delete(cmd.Context(), dbc); apierrors.IsNotFound(err) {
				return fmt.Errorf("DatabaseCluster %s not found in namespace %s", args[0], ns)
			} else if err != nil {
				return fmt.Errorf("cannot delete DatabaseCluster %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "databasecluster.dbaas.io/%s deleted\n", args[0])
			return nil
		},
	}
}
