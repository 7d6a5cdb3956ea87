package cli

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

func newConnect(f *factory) *cobra.Command {
	var print bool
	cmd := &cobra.Command{
		Use:   "connect NAME",
		Short: "run the engine's client (psql, mongosh, mysql; a shell on Kafka) in the cluster's pod with kubectl exec",
		Long: `connect runs the engine's client in one of the cluster's pods with kubectl exec -it:
which pod, container and command is the engine's data (cli.connect in
engines/<engine>/cli.cue). --print prints the kubectl command instead.`,
		Args:              exactly("NAME"),
		ValidArgsFunction: f.completeClusters,
		RunE: func(cmd *cobra.Command, args []string) error {
			dbc, err := f.getCluster(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			e, err := f.engine(dbc.Spec.Engine)
			if err != nil {
				return err
			}
			if e.CLI == nil || e.CLI.Connect == nil {
				return fmt.Errorf("engine %s says nothing of how to connect (no cli.connect)", e.Name)
			}
			pod, err := connectPod(e.CLI.Connect.Pod, dbc)
			if err != nil {
				return err
			}
			kubectlArgs := f.kubectlArgs(dbc.Namespace)
			kubectlArgs = append(kubectlArgs, "exec", "-it", pod, "-c", e.CLI.Connect.Container, "--")
			kubectlArgs = append(kubectlArgs, e.CLI.Connect.Command...)
			if print {
				fmt.Fprintln(cmd.OutOrStdout(), shellJoin(append([]string{"kubectl"}, kubectlArgs...)))
				return nil
			}
			kubectl, err := exec.LookPath("kubectl")
			if err != nil {
				return errors.New("kubectl is not on PATH: install it, or run the command dbaasctl connect --print prints")
			}
			run := exec.CommandContext(cmd.Context(), kubectl, kubectlArgs...)
			run.Stdin, run.Stdout, run.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			if err := run.Run(); err != nil {
				var exit *exec.ExitError
				if errors.As(err, &exit) {
					return &ExitError{Code: exit.ExitCode()}
				}
				return err
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&print, "print", false, "print the kubectl command instead of running it")
	return cmd
}

// connectPod fills the engine's pod template (see #CLI in schemas/engine) from the
// cluster's name and status.
func connectPod(template string, c *dbaasv1.DatabaseCluster) (string, error) {
	pod := strings.ReplaceAll(template, "{cluster}", c.Name)
	if strings.Contains(pod, "{primary}") {
		if c.Status.Primary == "" {
			return "", fmt.Errorf("DatabaseCluster %s has no status.primary yet (phase %s)", c.Name, orNone(string(c.Status.Phase)))
		}
		pod = strings.ReplaceAll(pod, "{primary}", c.Status.Primary)
	}
	for strings.Contains(pod, "{member:") {
		start := strings.Index(pod, "{member:")
		end := strings.Index(pod[start:], "}")
		if end < 0 {
			return "", fmt.Errorf("cli.connect.pod %q: unterminated {member:ROLE}", template)
		}
		role := pod[start+len("{member:") : start+end]
		name := ""
		for _, m := range c.Status.Members {
			if m.Role == role {
				name = m.Name
				break
			}
		}
		if name == "" {
			return "", fmt.Errorf("DatabaseCluster %s has no member with role %s in status.members yet (phase %s)", c.Name, role, orNone(string(c.Status.Phase)))
		}
		pod = pod[:start] + name + pod[start+end+1:]
	}
	return pod, nil
}

// kubectlArgs are the connection flags the user gave dbaasctl, for the kubectl it
// runs, and the namespace.
func (f *factory) kubectlArgs(namespace string) []string {
	var args []string
	for _, flag := range []struct {
		name  string
		value *string
	}{{"--kubeconfig", f.flags.KubeConfig}, {"--context", f.flags.Context}} {
		if flag.value != nil && *flag.value != "" {
			args = append(args, flag.name+"="+*flag.value)
		}
	}
	return append(args, "--namespace="+namespace)
}

// shellJoin quotes each argument that a POSIX shell would split or expand.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
		}) < 0 {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}
