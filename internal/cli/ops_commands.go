package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

func newOpsCommand(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ops",
		Short: "list, describe and cancel OpsRequests",
		Args:  exactly(),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newOpsList(f), newOpsDescribe(f), newOpsCancel(f))
	return cmd
}

func newOpsList(f *factory) *cobra.Command {
	var all bool
	var output string
	cmd := &cobra.Command{
		Use:               "list [NAME]",
		Aliases:           []string{"ls"},
		Short:             "list the OpsRequests of the namespace, or of one cluster, oldest first",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: f.completeClusters,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, tableFormats); err != nil {
				return err
			}
			ns := ""
			if !all {
				var err error
				if ns, err = f.namespace(); err != nil {
					return err
				}
			}
			cluster := ""
			if len(args) == 1 {
				cluster = args[0]
			}
			ops, err := f.opsOf(cmd.Context(), ns, cluster)
			if err != nil {
				return err
			}
			if output == "yaml" || output == "json" {
				items := make([]any, 0, len(ops))
				for i := range ops {
					o := ops[i].DeepCopy()
					o.APIVersion, o.Kind, o.ManagedFields = dbaasv1.GroupVersion.String(), "OpsRequest", nil
					items = append(items, o)
				}
				return printData(cmd.OutOrStdout(), output, map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
			}
			if len(ops) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "No OpsRequests found.")
				return nil
			}
			header := []string{"NAME", "CLUSTER", "TYPE", "PHASE", "PROGRESS", "AGE"}
			if output == "wide" {
				header = append(header, "STARTED", "COMPLETED")
			}
			if all {
				header = append([]string{"NAMESPACE"}, header...)
			}
			t := newTable(cmd.OutOrStdout(), header...)
			for _, o := range ops {
				row := []string{o.Name, o.Spec.ClusterRef, opsTypeOf(&o), string(o.Status.Phase), o.Status.Progress, age(o.CreationTimestamp)}
				if output == "wide" {
					row = append(row, since(o.Status.StartTime), since(o.Status.CompletionTime))
				}
				if all {
					row = append([]string{o.Namespace}, row...)
				}
				t.row(row...)
			}
			return t.flush()
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list the OpsRequests of every namespace")
	addOutputFlag(cmd, &output, tableFormats)
	return cmd
}

func newOpsDescribe(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:               "describe OP",
		Short:             "show an OpsRequest: phase, progress, plan, conditions, action log, events",
		Args:              exactly("OP"),
		ValidArgsFunction: f.completeOps,
		RunE: func(cmd *cobra.Command, args []string) error {
			ops, err := f.getOps(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			events, err := f.eventsOf(cmd.Context(), ops.Namespace, "OpsRequest", ops.Name)
			if err != nil {
				return err
			}
			describeOps(cmd.OutOrStdout(), ops, events)
			return nil
		},
	}
}

// opsTypeOf is the operation's type, marked when it is a dry run: a dry run that
// Succeeded changed nothing, and must not read as one that did.
func opsTypeOf(o *dbaasv1.OpsRequest) string {
	if o.Spec.DryRun {
		return string(o.Spec.Type) + " (dry run)"
	}
	return string(o.Spec.Type)
}

// describeOps prints an operation, kubectl describe style.
func describeOps(w io.Writer, o *dbaasv1.OpsRequest, events []eventsv1.Event) {
	s := o.Status
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(w, "%-16s%s\n", name+":", value)
		}
	}
	field("Name", o.Name)
	field("Namespace", o.Namespace)
	field("Cluster", o.Spec.ClusterRef)
	field("Type", opsTypeOf(o))
	field("Phase", string(s.Phase))
	field("Progress", s.Progress)
	if o.Spec.Cancel {
		field("Cancel", "requested")
	}
	field("Created", since(&o.CreationTimestamp))
	field("Started", since(s.StartTime))
	field("Completed", since(s.CompletionTime))
	if s.TimeoutSeconds != nil {
		field("Timeout", fmt.Sprintf("%ds", *s.TimeoutSeconds))
	}
	if s.Plan != nil {
		fmt.Fprintln(w, "Plan:")
		t := newTable(indent(w), "STEP", "ACTION", "TARGET", "STATE", "MESSAGE")
		steps := s.Plan.Steps
		if s.Plan.Rollback != nil {
			steps = append(append([]dbaasv1.OpsStep{}, steps...), *s.Plan.Rollback)
		}
		for _, st := range steps {
			t.row(st.Name, string(st.Action), st.Target.Kind+"/"+st.Target.Name, string(st.State), st.Message)
		}
		_ = t.flush()
	}
	if len(s.Conditions) > 0 {
		fmt.Fprintln(w, "Conditions:")
		conditionTable(w, s.Conditions)
	}
	fmt.Fprintln(w, "Actions:")
	if len(s.Actions) == 0 {
		fmt.Fprintln(w, "  <none>")
	} else {
		t := newTable(indent(w), "TIME", "ACTION", "MESSAGE")
		for _, a := range s.Actions {
			t.row(a.Time.UTC().Format("2006-01-02T15:04:05Z"), a.Action, a.Message)
		}
		_ = t.flush()
	}
	fmt.Fprintln(w, "Events:")
	eventTable(w, events)
}

func newOpsCancel(f *factory) *cobra.Command {
	var wait waitOptions
	cmd := &cobra.Command{
		Use:   "cancel OP",
		Short: "cancel an OpsRequest (spec.cancel): a pending one ends at once, a running one rolls back where the engine can",
		Long: `cancel sets spec.cancel on an OpsRequest. A pending operation ends Cancelled with
nothing changed. A running one is rolled back where the engine declares a safe way back
(the spec fields it changed are put back) and ends Cancelled; otherwise it says why it
cannot be cancelled (CancelRefused) and runs on. With --wait, the exit code is 0 once it
is Cancelled.`,
		Args:              exactly("OP"),
		ValidArgsFunction: f.completeOps,
		RunE: func(cmd *cobra.Command, args []string) error {
			ops, err := f.getOps(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if terminal(ops.Status.Phase) {
				return fmt.Errorf("OpsRequest %s has ended already (%s): nothing to cancel", ops.Name, ops.Status.Phase)
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"cancel":true}}`))
			if err := c.Patch(cmd.Context(), ops, patch); err != nil {
				return refusal(fmt.Sprintf("the cancel of OpsRequest %s", ops.Name), err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "opsrequest.dbaas.io/%s cancel requested\n", ops.Name)
			if !wait.wait {
				return nil
			}
			return wait.follow(cmd.Context(), f, cmd, ops, dbaasv1.OpsCancelled)
		},
	}
	wait.addFlags(cmd.Flags())
	return cmd
}
