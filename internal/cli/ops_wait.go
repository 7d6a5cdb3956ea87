package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// Exit codes of a followed operation, besides 0 for the outcome asked for.
const (
	// ExitFailed: the operation failed (or ended otherwise than asked, such as a
	// cancel that found it already Succeeded).
	ExitFailed = 1
	// ExitCancelled: the operation was cancelled.
	ExitCancelled = 3
	// ExitTimedOut: the operation ran past its own timeout (status TimedOut).
	ExitTimedOut = 4
	// ExitWaitTimeout: --wait-timeout passed while the operation still ran.
	ExitWaitTimeout = 5
)

// pollInterval is how often a followed operation is read.
const pollInterval = 500 * time.Millisecond

// waitOptions are --wait and --wait-timeout.
type waitOptions struct {
	wait    bool
	timeout time.Duration
}

func (w *waitOptions) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&w.wait, "wait", false, "follow the operation until it ends; the exit code says how it ended (0 Succeeded, 1 Failed, 3 Cancelled, 4 TimedOut, 5 --wait-timeout passed)")
	fs.DurationVar(&w.timeout, "wait-timeout", 0, "with --wait, stop waiting after this long (default: until the operation ends)")
}

// follow prints the operation's phase, progress and action log as they change until
// it ends, and returns nil when it ended in want, else an ExitError with its code.
func (w *waitOptions) follow(ctx context.Context, f *factory, cmd *cobra.Command, ops *dbaasv1.OpsRequest, want dbaasv1.OpsPhase) error {
	c, err := f.client()
	if err != nil {
		return err
	}
	if w.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, w.timeout)
		defer cancel()
	}
	out := cmd.OutOrStdout()
	seen := map[string]bool{}
	last := ""
	key := client.ObjectKeyFromObject(ops)
	for {
		current := &dbaasv1.OpsRequest{}
		if err := c.Get(ctx, key, current); err != nil {
			if ctx.Err() != nil {
				return waitTimedOut(ops, last, w.timeout)
			}
			return fmt.Errorf("cannot read OpsRequest %s: %w", ops.Name, err)
		}
		for _, a := range current.Status.Actions {
			id := a.Time.UTC().Format(time.RFC3339) + a.Action + a.Message
			if !seen[id] {
				seen[id] = true
				fmt.Fprintf(out, "  %s %s: %s\n", a.Time.Local().Format("15:04:05"), a.Action, a.Message)
			}
		}
		s := current.Status
		if state := strings.TrimSpace(fmt.Sprintf("%s %s", s.Phase, s.Progress)); s.Phase != "" && state != last {
			last = state
			fmt.Fprintf(out, "%s: %s\n", current.Name, state)
		}
		if terminal(s.Phase) {
			return outcome(current, want)
		}
		select {
		case <-ctx.Done():
			return waitTimedOut(ops, last, w.timeout)
		case <-time.After(pollInterval):
		}
	}
}

// outcome is nil when the operation ended in want, else its exit code and the
// reason it gives.
func outcome(ops *dbaasv1.OpsRequest, want dbaasv1.OpsPhase) error {
	if ops.Status.Phase == want {
		return nil
	}
	reason := ""
	if c := meta.FindStatusCondition(ops.Status.Conditions, dbaasv1.OpsSucceededCondition); c != nil {
		reason = fmt.Sprintf(": %s: %s", c.Reason, c.Message)
	}
	code := ExitFailed
	switch ops.Status.Phase {
	case dbaasv1.OpsCancelled:
		code = ExitCancelled
	case dbaasv1.OpsTimedOut:
		code = ExitTimedOut
	}
	return &ExitError{Code: code, Err: fmt.Errorf("OpsRequest %s ended %s%s", ops.Name, ops.Status.Phase, reason)}
}

func waitTimedOut(ops *dbaasv1.OpsRequest, last string, d time.Duration) error {
	return &ExitError{Code: ExitWaitTimeout, Err: fmt.Errorf("OpsRequest %s has not ended after --wait-timeout %s (last seen: %s)", ops.Name, d, orNone(last))}
}
