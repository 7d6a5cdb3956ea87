// Package devcluster starts a local Kubernetes control plane (etcd and kube-apiserver,
// no nodes) for tests and `dbaasctl dev`. It runs the binaries that `make k8s-bin`
// builds from Go modules into bin/k8s, installs this repository's CRDs and the child
// operators' CRDs from the module cache, and can install the validating webhooks so
// that a webhook server running in the same process receives the API server's calls.
// It can also run kube-controller-manager with the garbage collector and namespace
// controllers, so that deletion behaves as in a real cluster.
package devcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"dbaas.io/operator/internal/childcrds"
)

const (
	// startTimeout bounds the start of etcd, kube-apiserver and kube-controller-manager,
	// each. A cold start on a busy two-core machine takes far longer than envtest's
	// default of 20s.
	startTimeout = 2 * time.Minute
	// stopTimeout bounds the stop of each control plane process.
	stopTimeout = time.Minute
	// installTimeout bounds the wait for installed CRDs and webhooks to be served.
	installTimeout = time.Minute

	// assetsEnv names a directory holding kube-apiserver, etcd, kubectl and
	// kube-controller-manager; it overrides bin/k8s, as it does for envtest.
	assetsEnv = "KUBEBUILDER_ASSETS"
)

// Options configure Start. The zero value starts a control plane with all CRDs and no
// webhooks, and writes the kubeconfig into a temporary directory.
type Options struct {
	// RepoRoot is the repository root holding bin/k8s and config/. Default: found by
	// walking up from the working directory to this module's go.mod.
	RepoRoot string

	// WithoutChildCRDs installs only our CRDs, as on a cluster where no child
	// operator is installed yet. Default: false (the child CRDs too).
	WithoutChildCRDs bool

	// Webhooks installs the webhook configurations of config/webhook/manifests.yaml,
	// rewritten to call https://<WebhookHost>:<WebhookPort> with a certificate from
	// WebhookCertDir. Default: false.
	Webhooks bool

	// KubeconfigPath is where the admin kubeconfig for kubectl is written; the caller
	// owns the file and Stop leaves it. Default: a file in a temporary directory that
	// Stop removes.
	KubeconfigPath string

	// ControllerManager runs kube-controller-manager with the garbage collector and
	// namespace controllers once the API server is up: owners' deletion then reaches
	// their dependents, and deleted namespaces are emptied and removed. Without it
	// nothing acts on ownerReferences or namespace finalizers. Default: false.
	ControllerManager bool
	// ControllerManagerLogPath is where kube-controller-manager writes its output;
	// the caller owns the file. Default: a file in a temporary directory that Stop
	// removes.
	ControllerManagerLogPath string
}

// Cluster is a running control plane.
type Cluster struct {
	// Config connects to the API server as an admin (group system:masters).
	Config *rest.Config
	// Env is the envtest environment that runs the control plane.
	Env *envtest.Environment
	// KubeconfigPath is a kubeconfig file for kubectl, with the same admin identity.
	KubeconfigPath string

	// WebhookHost and WebhookPort are where the API server sends admission requests,
	// when Options.Webhooks is set. The manager's webhook server must listen there.
	WebhookHost string
	WebhookPort int
	// WebhookCertDir holds tls.crt and tls.key, the serving certificate that the
	// installed webhook configurations trust.
	WebhookCertDir string

	// ControllerManagerLogPath is the log of kube-controller-manager, when
	// Options.ControllerManager is set.
	ControllerManagerLogPath string

	// controllerManager is the running kube-controller-manager, or nil.
	controllerManager *controllerManager

	// tmpDir is removed by Stop; empty when Start created none.
	tmpDir string
}

// Start starts etcd and kube-apiserver, installs the CRDs (and the webhooks when
// asked), writes a kubeconfig and starts kube-controller-manager when asked.
// Cancelling ctx aborts a start in progress; once Start has returned, only Stop stops
// the control plane.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	root := opts.RepoRoot
	if root == "" {
		var err error
		if root, err = childcrds.Root(); err != nil {
			return nil, err
		}
	}
	assets, err := assetsDir(root)
	if err != nil {
		return nil, err
	}
	controllerManagerPath := filepath.Join(assets, controllerManagerBinary)
	if opts.ControllerManager {
		if err := checkBinary(controllerManagerPath); err != nil {
			return nil, err
		}
	}
	crdPaths := []string{filepath.Join(root, "config", "crd", "bases")}
	var crds []*apiextensionsv1.CustomResourceDefinition
	if !opts.WithoutChildCRDs {
		children, err := childcrds.ResolveIn(ctx, root)
		if err != nil {
			return nil, fmt.Errorf("cannot find the child CRDs: %w", err)
		}
		for _, c := range children {
			if !c.Template {
				crdPaths = append(crdPaths, c.CRDPath())
				continue
			}
			// A chart's template is read here, without the labels envtest would
			// install as they are.
			read, err := c.CRDs()
			if err != nil {
				return nil, err
			}
			crds = append(crds, read...)
		}
	}

	env := &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		UseExistingCluster:       new(false),
		ControlPlaneStartTimeout: startTimeout,
		ControlPlaneStopTimeout:  stopTimeout,
		ErrorIfCRDPathMissing:    true,
		CRDInstallOptions: envtest.CRDInstallOptions{
			Paths:   crdPaths,
			CRDs:    crds,
			MaxTime: installTimeout,
		},
	}
	// Set the binaries explicitly so that TEST_ASSET_* variables cannot swap in
	// binaries other than the ones checked above.
	env.ControlPlane.APIServer = &envtest.APIServer{Path: filepath.Join(assets, "kube-apiserver")}
	env.ControlPlane.Etcd = &envtest.Etcd{Path: filepath.Join(assets, "etcd")}
	env.ControlPlane.KubectlPath = filepath.Join(assets, "kubectl")
	if opts.Webhooks {
		manifests := filepath.Join(root, "config", "webhook", "manifests.yaml")
		if _, err := os.Stat(manifests); err != nil {
			return nil, fmt.Errorf("cannot install webhooks: %w (run `make manifests`)", err)
		}
		env.WebhookInstallOptions = envtest.WebhookInstallOptions{
			Paths:   []string{manifests},
			MaxTime: installTimeout,
		}
	}

	cfg, err := startEnv(ctx, env)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		Config:         cfg,
		Env:            env,
		WebhookHost:    env.WebhookInstallOptions.LocalServingHost,
		WebhookPort:    env.WebhookInstallOptions.LocalServingPort,
		WebhookCertDir: env.WebhookInstallOptions.LocalServingCertDir,
	}
	if err := c.writeKubeconfig(opts.KubeconfigPath); err != nil {
		return nil, errors.Join(err, c.Stop())
	}
	if opts.ControllerManager {
		cm, err := startControllerManager(ctx, controllerManagerPath, c.KubeconfigPath, opts.ControllerManagerLogPath)
		if err != nil {
			return nil, errors.Join(err, c.Stop())
		}
		c.controllerManager, c.ControllerManagerLogPath = cm, cm.logPath
	}
	return c, nil
}

// startEnv starts env, giving up when ctx ends. envtest cannot be interrupted, so
// a cancelled start waits for envtest to return and then stops what it started.
func startEnv(ctx context.Context, env *envtest.Environment) (*rest.Config, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type result struct {
		cfg *rest.Config
		err error
	}
	done := make(chan result, 1)
	go func() {
		cfg, err := env.Start()
		done <- result{cfg, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, errors.Join(fmt.Errorf("cannot start the control plane: %w", r.err), env.Stop())
		}
		return r.cfg, nil
	case <-ctx.Done():
		<-done
		return nil, errors.Join(ctx.Err(), env.Stop())
	}
}

// writeKubeconfig provisions an admin user and writes its kubeconfig to path, or to
// a new temporary directory when path is empty.
func (c *Cluster) writeKubeconfig(path string) error {
	user, err := c.Env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("cannot provision the kubeconfig user: %w", err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("cannot build the kubeconfig: %w", err)
	}
	if path == "" {
		if c.tmpDir, err = os.MkdirTemp("", "devcluster-"); err != nil {
			return fmt.Errorf("cannot create a directory for the kubeconfig: %w", err)
		}
		path = filepath.Join(c.tmpDir, "kubeconfig")
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("cannot create the directory of the kubeconfig: %w", err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("cannot write the kubeconfig: %w", err)
	}
	c.KubeconfigPath = path
	return nil
}

// Stop stops kube-controller-manager and the control plane, and removes their data,
// their certificates and the files that Start wrote into temporary directories.
func (c *Cluster) Stop() error {
	var errs []error
	// The controller manager goes first, so that it does not outlive its API server.
	if c.controllerManager != nil {
		if err := c.controllerManager.stop(); err != nil {
			errs = append(errs, err)
		}
		c.controllerManager = nil
	}
	if err := c.Env.Stop(); err != nil {
		errs = append(errs, fmt.Errorf("cannot stop the control plane: %w", err))
	}
	if c.tmpDir != "" {
		if err := os.RemoveAll(c.tmpDir); err != nil {
			errs = append(errs, fmt.Errorf("cannot remove the kubeconfig: %w", err))
		}
	}
	return errors.Join(errs...)
}

// KubectlPath returns the kubectl binary that `make k8s-bin` builds, or the one in
// KUBEBUILDER_ASSETS when that is set.
func KubectlPath() (string, error) {
	root, err := childcrds.Root()
	if err != nil {
		return "", err
	}
	dir, err := binDir(root)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "kubectl")
	if err := checkBinary(path); err != nil {
		return "", err
	}
	return path, nil
}

// assetsDir returns the directory of the control plane binaries and checks that
// etcd and kube-apiserver are there.
func assetsDir(root string) (string, error) {
	dir, err := binDir(root)
	if err != nil {
		return "", err
	}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if err := checkBinary(filepath.Join(dir, name)); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// binDir is KUBEBUILDER_ASSETS when set, otherwise <root>/bin/k8s, made absolute.
func binDir(root string) (string, error) {
	dir := os.Getenv(assetsEnv)
	if dir == "" {
		dir = filepath.Join(root, "bin", "k8s")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("cannot resolve the binaries directory %s: %w", dir, err)
	}
	return abs, nil
}

// checkBinary reports a missing or non-executable control plane binary with the
// command that builds it.
func checkBinary(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("cannot find %s: run `make k8s-bin` to build the control plane binaries (%w)", path, err)
	}
	if info.IsDir() || info.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file: run `make k8s-bin` to rebuild it", path)
	}
	return nil
}
