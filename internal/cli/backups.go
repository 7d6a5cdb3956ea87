package cli

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
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
		Short:   "list a DatabaseCluster's most recent backups (on-demand and scheduled), newest first, and its recoverable window",
		Long: `backups list prints the backups the cluster's status reports: the ten newest of the
child operator's backup objects (which kind is the engine's data: backups in
engines/<engine>), with the last successful backup and the window point-in-time
recovery can reach. The names are what restore --backup takes.`,
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
			if e.Backups == nil {
				return fmt.Errorf("engine %s takes no backups", e.Name)
			}
			return printBackups(cmd.OutOrStdout(), cmd.ErrOrStderr(), dbc, output)
		},
	}
	addOutputFlag(list, &output, []string{"table", "yaml", "json"})
	cmd.AddCommand(list)
	return cmd
}

// printBackups prints the backup status of a cluster: as a table of its backups
// followed by the last success and the recoverable window, or whole as YAML or
// JSON.
func printBackups(out, errOut io.Writer, dbc *dbaasv1.DatabaseCluster, output string) error {
	b := dbc.Status.Backup
	if b == nil {
		b = &dbaasv1.BackupStatus{}
	}
	if output != "table" {
		return printData(out, output, b)
	}
	if len(b.Backups) == 0 {
		fmt.Fprintf(errOut, "No backups of %s found.\n", dbc.Name)
	} else {
		t := newTable(out, "NAME", "PHASE", "TYPE", "SCHEDULED", "STARTED", "COMPLETED")
		for _, r := range b.Backups {
			t.row(r.Name, string(r.Phase), orDash(r.Type), strconv.FormatBool(r.Scheduled), orDash(r.StartedAt), orDash(r.CompletedAt))
		}
		if err := t.flush(); err != nil {
			return err
		}
		for _, r := range b.Backups {
			if r.Phase == dbaasv1.BackupFailed && r.Message != "" {
				fmt.Fprintf(out, "%s failed: %s\n", r.Name, r.Message)
			}
		}
	}
	if b.LastSuccessfulBackup != "" {
		fmt.Fprintf(out, "Last successful backup: %s\n", b.LastSuccessfulBackup)
	}
	if b.FirstRecoverabilityPoint != "" || b.LatestRecoverableTime != "" {
		until := orDash(b.LatestRecoverableTime)
		if b.LatestRecoverableTime == "" && b.ContinuousArchiving == "True" {
			until = "now (continuous archiving)"
		}
		fmt.Fprintf(out, "Recoverable window: %s to %s\n", orDash(b.FirstRecoverabilityPoint), until)
	}
	return nil
}

// orDash is s, or "-" for a cell the child did not report.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
