package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// ExitError ends dbaasctl with Code, printing Err when it is not nil: how an
// operation followed with --wait ended, or a denial already printed.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit code %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// usageError is a command line that does not parse: exit code 2, as before dbaasctl
// had any daily command.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

// usagef is a usage error that names the flag or argument at fault.
func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// report prints err and returns its exit code; name is the command the user typed.
func report(w io.Writer, name string, err error) int {
	var exit *ExitError
	if errors.As(err, &exit) {
		if exit.Err != nil {
			fmt.Fprintf(w, "error: %v\n", exit.Err)
		}
		return exit.Code
	}
	fmt.Fprintf(w, "error: %v\n", err)
	var usage usageError
	if errors.As(err, &usage) || strings.HasPrefix(err.Error(), "unknown command") {
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", name)
		return 2
	}
	return 1
}

// refusal explains an error of the API server: an admission denial (the webhook runs
// the engine's checks and the policies) lists each reason on its own line with the
// field it is about.
func refusal(what string, err error) error {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return fmt.Errorf("cannot create %s: %w", what, err)
	}
	s := status.Status()
	if s.Details == nil || len(s.Details.Causes) == 0 {
		return fmt.Errorf("%s was refused: %s", what, s.Message)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s was refused:", what)
	for _, c := range s.Details.Causes {
		if c.Field != "" {
			fmt.Fprintf(&b, "\n  %s: %s", c.Field, c.Message)
		} else {
			fmt.Fprintf(&b, "\n  %s", c.Message)
		}
	}
	return errors.New(b.String())
}
