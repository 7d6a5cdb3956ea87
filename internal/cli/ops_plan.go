package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// printPlan follows a dry-run operation to its end and prints the steps its plan
// records: what the operation would change, none of it changed. A dry run that
// fails returns its exit code and reasons, as a real operation's would.
func (w *waitOptions) printPlan(ctx context.Context, f *factory, cmd *cobra.Command, ops *dbaasv1.OpsRequest) error {
	if err := w.follow(ctx, f, cmd, ops, dbaasv1.OpsSucceeded); err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	done := &dbaasv1.OpsRequest{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(ops), done); err != nil {
		return fmt.Errorf("cannot read OpsRequest %s: %w", ops.Name, err)
	}
	writePlan(cmd.OutOrStdout(), done.Status.Plan)
	return nil
}

// writePlan prints one line per step: the action, its target and the patch.
func writePlan(out io.Writer, plan *dbaasv1.OpsPlan) {
	if plan == nil || len(plan.Steps) == 0 {
		fmt.Fprintln(out, "the operation would change nothing")
		return
	}
	fmt.Fprintln(out, "the operation would take these steps (none taken):")
	for i, s := range plan.Steps {
		line := fmt.Sprintf("%d. %s: %s %s/%s", i+1, s.Name, s.Action, s.Target.Kind, s.Target.Name)
		if s.Subresource != "" {
			line += " (" + s.Subresource + ")"
		}
		if s.Patch != nil {
			line += " " + string(s.Patch.Raw)
		}
		if s.State == dbaasv1.OpsStepDone {
			line += " — nothing to do: " + s.Message
		}
		fmt.Fprintln(out, line)
	}
}
