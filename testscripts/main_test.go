// Package testscripts runs the end-to-end scenarios in *.txtar against a real control
// plane: kube-apiserver, etcd and kube-controller-manager (garbage collector and
// namespace controllers) built from Go modules, our CRDs and the child operators'
// real CRDs, the operator with its webhooks, and the real kubectl. Only the child
// operators' behaviour is simulated, by the `simulate` command.
package testscripts

import (
	"context"
	"fmt"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/devcluster"
	"dbaas.io/operator/internal/faults"
	"dbaas.io/operator/internal/operator"
	"dbaas.io/operator/internal/render"
	"dbaas.io/operator/internal/simulate"
)

// env is the shared control plane and the clients the commands use.
var env struct {
	cluster   *devcluster.Cluster
	client    client.Client
	simulator *simulate.Simulator
	// registry holds the engines the simulator plays.
	registry *render.Registry
	kubectl  string
	operator *operatorProcess
	// kills stops the operator at armed points of an operation; writes counts the
	// operator's writes per step of an operation.
	kills  killSwitch
	writes writeLog
	// faults sits between the operator and the API server; its rate is 0 unless a
	// test or the `faults` command sets it.
	faults *faults.Injector
	// used records the operator's API calls, for the comparison with its roles.
	used apiUse
}

// faultSeed seeds the fault injector, so that a run draws the same faults for the
// same sequence of requests.
const faultSeed = 10

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctrl.SetLogger(zap.New(zap.WriteTo(operatorLog()), zap.UseDevMode(true)))
	ctx := context.Background()
	cluster, err := devcluster.Start(ctx, devcluster.Options{Webhooks: true, ControllerManager: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot start the control plane:", err)
		return 1
	}
	defer func() {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	env.cluster = cluster
	if env.kubectl, err = devcluster.KubectlPath(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	scheme, err := operator.Scheme()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if env.client, err = client.New(cluster.Config, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	registry, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env.registry = registry
	if env.simulator, err = simulate.New(env.client, registry, engines.Simulations); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := env.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: operatorNamespace}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := installRBAC(ctx, env.client); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env.faults = faults.New(faultSeed)
	env.operator = &operatorProcess{}
	if err := env.operator.start(operator.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer env.operator.stop()
	code := m.Run()
	if code != 0 {
		printOperatorErrors()
		return code
	}
	if err := checkNeverRefused(&env.used); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: least privilege:", err)
		return 1
	}
	if err := checkGrantsUsed(&env.used); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: least privilege:", err)
		return 1
	}
	return code
}
