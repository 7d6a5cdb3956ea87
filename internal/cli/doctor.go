package cli

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/doctor"
	"dbaas.io/operator/internal/render"
)

// doctorTimeout bounds the whole check: a cluster that does not answer is a finding.
const doctorTimeout = time.Minute

// newDoctor checks a cluster for what a DatabaseCluster needs (see internal/doctor)
// and exits non-zero when something required is missing.
func newDoctor(f *factory) *cobra.Command {
	var output, engine, enginesDir string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "check a cluster for our CRDs and webhooks and each engine's child operator",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, []string{"table", "json"}); err != nil {
				return err
			}
			cfg, err := f.flags.ToRESTConfig()
			if err != nil {
				return err
			}
			registry, err := render.NewRegistry(engines.FS(), enginesDir)
			if err != nil {
				return err
			}
			cluster, err := doctor.Connect(cfg)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), doctorTimeout)
			defer cancel()
			report, err := doctor.Run(ctx, cluster, registry.Engines(), doctor.Options{Engine: engine})
			if err != nil {
				return err
			}
			if output == "json" {
				err = doctor.PrintJSON(cmd.OutOrStdout(), report)
			} else {
				err = doctor.PrintTable(cmd.OutOrStdout(), report)
			}
			if err != nil {
				return err
			}
			if !report.OK {
				return &ExitError{Code: 1, Err: errors.New("the cluster lacks what a DatabaseCluster needs (see above)")}
			}
			return nil
		},
	}
	addOutputFlag(cmd, &output, []string{"table", "json"})
	cmd.Flags().StringVar(&engine, "engine", "", "check only this engine's child operator (default: every engine)")
	cmd.Flags().StringVar(&enginesDir, "engines-dir", "", "folder of engine packages that override the embedded ones, as the operator's --engines-dir")
	return cmd
}
