package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/doctor"
	"dbaas.io/operator/internal/render"
)

// doctorTimeout bounds the whole check: a cluster that does not answer is a finding.
const doctorTimeout = time.Minute

// runDoctor checks a cluster for what a DatabaseCluster needs (see internal/doctor)
// and exits non-zero when something required is missing.
func runDoctor(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kubeconfig := fs.String("kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
	kubeContext := fs.String("context", "", "the kubeconfig context to use (default: the current context)")
	output := fs.String("o", "table", "output format: table or json")
	engine := fs.String("engine", "", "check only this engine's child operator (default: every engine)")
	enginesDir := fs.String("engines-dir", "", "folder of engine packages that override the embedded ones, as the operator's --engines-dir")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if *output != "table" && *output != "json" {
		return fmt.Errorf("-o %q: want table or json", *output)
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = *kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: *kubeContext}).ClientConfig()
	if err != nil {
		return fmt.Errorf("cannot load the kubeconfig: %w", err)
	}
	registry, err := render.NewRegistry(engines.FS(), *enginesDir)
	if err != nil {
		return err
	}
	cluster, err := doctor.Connect(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), doctorTimeout)
	defer cancel()
	report, err := doctor.Run(ctx, cluster, registry.Engines(), doctor.Options{Engine: *engine})
	if err != nil {
		return err
	}
	if *output == "json" {
		err = doctor.PrintJSON(stdout, report)
	} else {
		err = doctor.PrintTable(stdout, report)
	}
	if err != nil {
		return err
	}
	if !report.OK {
		return errors.New("the cluster lacks what a DatabaseCluster needs (see above)")
	}
	return nil
}
