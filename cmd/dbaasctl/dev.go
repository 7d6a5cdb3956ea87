package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"path/filepath"
	"syscall"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/devcluster"
	"dbaas.io/operator/internal/operator"
	"dbaas.io/operator/internal/simulate"
)

// runDev starts a local control plane (etcd, kube-apiserver and
// kube-controller-manager built from Go modules, the latter with the garbage collector
// and namespace controllers so that deletion behaves as in a real cluster), installs
// our CRDs and the child CRDs, and runs the operator with its webhooks until
// interrupted. With --simulate it also plays the child operators.
func runDev(args []string, stdout, stderr io.Writer) (retErr error) {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kubeconfig := fs.String("kubeconfig", "bin/dev/kubeconfig", "where to write the kubeconfig of the local control plane")
	sim := fs.Bool("simulate", false, "play the child operators: report every child healthy, as its operator would")
	var o operator.Options
	fs.StringVar(&o.EnginesDir, "engines-dir", "", "folder of engine packages that override the embedded ones")
	fs.StringVar(&o.PoliciesDir, "policies-dir", "", "folder of Rego policies and data that replace the embedded ones")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if abs, err := filepath.Abs(*kubeconfig); err == nil {
		*kubeconfig = abs
	}
	// A person reads this log in a terminal: text, with the debug entries.
	ctrl.SetLogger(operator.NewLogger(operator.LogConsole, stderr, zap.Options{Development: true}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	fmt.Fprintln(stdout, "starting etcd, kube-apiserver and kube-controller-manager, installing the CRDs…")
	cluster, err := devcluster.Start(ctx, devcluster.Options{
		Webhooks:                 true,
		KubeconfigPath:           *kubeconfig,
		ControllerManager:        true,
		ControllerManagerLogPath: filepath.Join(filepath.Dir(*kubeconfig), "kube-controller-manager.log"),
	})
	if err != nil {
		return err
	}
	defer func() { retErr = errors.Join(retErr, cluster.Stop()) }()
	o.Webhooks = true
	o.WebhookHost, o.WebhookPort, o.WebhookCertDir = cluster.WebhookHost, cluster.WebhookPort, cluster.WebhookCertDir
	// Plain HTTP: the endpoint is on the developer's machine, and curl needs no token.
	o.MetricsAddr, o.ProbeAddr, o.MetricsSecure = ":8080", ":8081", false
	mgr, err := operator.New(cluster.Config, o)
	if err != nil {
		return err
	}
	done := make(chan error, 2)
	go func() { done <- mgr.Start(ctx) }()
	if *sim {
		c, err := client.New(cluster.Config, client.Options{Scheme: mgr.GetScheme()})
		if err != nil {
			return err
		}
		registry, err := loadRegistry(o.EnginesDir)
		if err != nil {
			return err
		}
		simulator, err := simulate.New(c, registry, engines.Simulations)
		if err != nil {
			return err
		}
		go func() { done <- simulator.Run(ctx, cluster.Config, "healthy") }()
	}
	kubectl, _ := devcluster.KubectlPath()
	fmt.Fprintf(stdout, `
the operator is running (metrics on http://localhost:8080/metrics, probes on :8081); press Ctrl-C to stop.
kubeconfig: %[1]s
kube-controller-manager log: %[3]s
try:
  export KUBECONFIG=%[1]s
  %[2]s apply -f config/samples/dbaas_v1alpha1_databasecluster_minimal.yaml
  %[2]s get dbc -w
`, cluster.KubeconfigPath, kubectl, cluster.ControllerManagerLogPath)
	select {
	case <-ctx.Done():
		return nil
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	}
}
