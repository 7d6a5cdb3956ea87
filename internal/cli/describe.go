package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// recentOps is how many finished operations describe shows besides the running ones.
const recentOps = 5

func newDescribe(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:               "describe NAME",
		Short:             "show a DatabaseCluster: phase, members, endpoints, backups, conditions, operations, events",
		Args:              exactly("NAME"),
		ValidArgsFunction: f.completeClusters,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			dbc, err := f.getCluster(ctx, args[0])
			if err != nil {
				return err
			}
			ops, err := f.opsOf(ctx, dbc.Namespace, dbc.Name)
			if err != nil {
				return err
			}
			events, err := f.eventsOf(ctx, dbc.Namespace, "DatabaseCluster", dbc.Name)
			if err != nil {
				return err
			}
			describeCluster(cmd.OutOrStdout(), dbc, ops, events)
			return nil
		},
	}
}

// describeCluster prints what a user looks at first, kubectl describe style.
func describeCluster(w io.Writer, c *dbaasv1.DatabaseCluster, ops []dbaasv1.OpsRequest, events []eventsv1.Event) {
	s := c.Status
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(w, "%-20s%s\n", name+":", value)
		}
	}
	field("Name", c.Name)
	field("Namespace", c.Namespace)
	field("Engine", c.Spec.Engine)
	version := s.Version
	if c.Spec.Version != "" && c.Spec.Version != s.Version {
		version = fmt.Sprintf("%s (spec: %s)", s.Version, c.Spec.Version)
	}
	field("Version", version)
	field("Phase", string(s.Phase))
	field("Ready", s.Ready)
	field("Primary", s.Primary)
	field("Storage", c.Spec.Storage.Size.String())
	field("Connection Secret", s.ConnectionSecret)
	field("TLS", tlsSummary(s.TLS))
	field("Created", since(&c.CreationTimestamp))

	if len(s.Members) > 0 {
		fmt.Fprintln(w, "Members:")
		t := newTable(indent(w), "NAME", "ROLE", "STATE")
		for _, m := range s.Members {
			t.row(m.Name, m.Role, m.State)
		}
		_ = t.flush()
	}
	if len(s.Endpoints) > 0 {
		fmt.Fprintln(w, "Endpoints:")
		t := newTable(indent(w), "NAME", "HOST", "PORT")
		for _, e := range s.Endpoints {
			port := ""
			if e.Port != 0 {
				port = fmt.Sprint(e.Port)
			}
			t.row(e.Name, e.Host, port)
		}
		_ = t.flush()
	}
	fmt.Fprintln(w, "Backups:")
	if b := s.Backup; b != nil && b.Enabled {
		fmt.Fprintf(w, "  enabled, last successful: %s, recoverable from: %s\n", orNone(b.LastSuccessfulBackup), orNone(b.FirstRecoverabilityPoint))
	} else {
		fmt.Fprintln(w, "  disabled")
	}
	if len(s.Conditions) > 0 {
		fmt.Fprintln(w, "Conditions:")
		conditionTable(w, s.Conditions)
	}
	fmt.Fprintln(w, "Operations:")
	opsSummary(w, ops)
	fmt.Fprintln(w, "Events:")
	eventTable(w, events)
}

// tlsSummary says whether clients connect over TLS and where the CA to verify the
// servers with is; empty when the engine reports nothing.
func tlsSummary(t *dbaasv1.TLSStatus) string {
	switch {
	case t == nil:
		return ""
	case !t.Enabled:
		return "off"
	case t.CASecretName == "":
		return fmt.Sprintf("on (%s)", t.Mode)
	}
	return fmt.Sprintf("on (%s), CA in Secret %s (ca.crt)", t.Mode, t.CASecretName)
}

// opsSummary prints the running and pending operations and the most recent finished
// ones.
func opsSummary(w io.Writer, ops []dbaasv1.OpsRequest) {
	var shown []dbaasv1.OpsRequest
	finished := 0
	for i := len(ops) - 1; i >= 0; i-- {
		if terminal(ops[i].Status.Phase) {
			if finished == recentOps {
				continue
			}
			finished++
		}
		shown = append([]dbaasv1.OpsRequest{ops[i]}, shown...)
	}
	if len(shown) == 0 {
		fmt.Fprintln(w, "  <none>")
		return
	}
	t := newTable(indent(w), "NAME", "TYPE", "PHASE", "PROGRESS", "AGE")
	for _, o := range shown {
		t.row(o.Name, string(o.Spec.Type), string(o.Status.Phase), o.Status.Progress, age(o.CreationTimestamp))
	}
	_ = t.flush()
}

func conditionTable(w io.Writer, conditions []metav1.Condition) {
	t := newTable(indent(w), "TYPE", "STATUS", "REASON", "MESSAGE")
	for _, c := range conditions {
		t.row(c.Type, string(c.Status), c.Reason, c.Message)
	}
	_ = t.flush()
}

func eventTable(w io.Writer, events []eventsv1.Event) {
	if len(events) == 0 {
		fmt.Fprintln(w, "  <none>")
		return
	}
	t := newTable(indent(w), "TYPE", "REASON", "AGE", "MESSAGE")
	for _, e := range events {
		t.row(e.Type, e.Reason, age(metav1.NewTime(eventTime(e))), strings.TrimSpace(e.Note))
	}
	_ = t.flush()
}

// eventTime is when an event last happened.
func eventTime(e eventsv1.Event) time.Time {
	switch {
	case e.Series != nil:
		return e.Series.LastObservedTime.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	case !e.DeprecatedLastTimestamp.IsZero():
		return e.DeprecatedLastTimestamp.Time
	}
	return e.CreationTimestamp.Time
}

// terminal reports whether an operation has ended.
func terminal(p dbaasv1.OpsPhase) bool {
	switch p {
	case dbaasv1.OpsSucceeded, dbaasv1.OpsFailed, dbaasv1.OpsCancelled, dbaasv1.OpsTimedOut:
		return true
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// indent writes every line two spaces in.
func indent(w io.Writer) io.Writer { return &indenter{w: w, start: true} }

type indenter struct {
	w     io.Writer
	start bool
}

func (i *indenter) Write(p []byte) (int, error) {
	var b []byte
	for _, c := range p {
		if i.start {
			b = append(b, ' ', ' ')
		}
		b = append(b, c)
		i.start = c == '\n'
	}
	if _, err := i.w.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}
