package cli

import (
	"fmt"
	"sync"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/render"
)

// factory builds what the commands share, from kubectl's connection flags.
type factory struct {
	flags   *genericclioptions.ConfigFlags
	streams Streams

	once     sync.Once
	c        client.Client
	cErr     error
	registry *render.Registry
}

// scheme knows our kinds and Kubernetes'; other kinds (child backups) are read as
// unstructured.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, eventsv1.AddToScheme, dbaasv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// client connects to the API server named by the kubeconfig, context and flags.
// Warnings (an operation queued behind another) go to stderr, as kubectl shows them.
func (f *factory) client() (client.Client, error) {
	f.once.Do(func() {
		cfg, err := f.flags.ToRESTConfig()
		if err != nil {
			f.cErr = err
			return
		}
		cfg = rest.CopyConfig(cfg)
		cfg.WarningHandler = rest.NewWarningWriter(f.streams.ErrOut, rest.WarningWriterOptions{Deduplicate: true})
		f.c, f.cErr = client.New(cfg, client.Options{Scheme: scheme})
	})
	return f.c, f.cErr
}

// namespace is -n, else the context's namespace, else default.
func (f *factory) namespace() (string, error) {
	ns, _, err := f.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("cannot read the namespace from the kubeconfig: %w", err)
	}
	return ns, nil
}

// engine returns the embedded engine of the name: dbaasctl reads its cli field (how
// to connect, where the backups are).
func (f *factory) engine(name string) (*render.Engine, error) {
	if f.registry == nil {
		r, err := render.NewRegistry(engines.FS(), "")
		if err != nil {
			return nil, err
		}
		f.registry = r
	}
	e, ok := f.registry.Get(name)
	if !ok {
		return nil, fmt.Errorf("spec.engine: unknown engine %q: dbaasctl knows %v", name, f.registry.Names())
	}
	return e, nil
}
