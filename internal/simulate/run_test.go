package simulate

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/devcluster"
	"dbaas.io/operator/internal/operator"
	"dbaas.io/operator/internal/render"
)

// env is the control plane, with the operator running, shared by the tests.
var env struct {
	cluster  *devcluster.Cluster
	client   client.Client
	registry *render.Registry
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cluster, err := devcluster.Start(ctx, devcluster.Options{})
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
	scheme, err := operator.Scheme()
	if err == nil {
		env.client, err = client.New(cluster.Config, client.Options{Scheme: scheme})
	}
	if err == nil {
		env.registry, err = render.NewRegistry(engines.FS(), "")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mgr, err := operator.New(cluster.Config, operator.Options{MetricsAddr: "0", ProbeAddr: "0"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot create the operator:", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "the operator failed:", err)
		return 1
	}
	return code
}

// requestCounter counts the requests made through a config, by kind, and the
// writes the API server refused with a conflict (an object that exists, a stale
// resourceVersion).
type requestCounter struct {
	reads, writes, refused atomic.Int64
}

// config returns a copy of cfg whose requests the counter counts.
func (c *requestCounter) config(cfg *rest.Config) *rest.Config {
	counted := rest.CopyConfig(cfg)
	counted.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if req.Method == http.MethodGet {
				c.reads.Add(1) // gets, lists and watches
			} else {
				c.writes.Add(1)
			}
			resp, err := rt.RoundTrip(req)
			if err == nil && resp.StatusCode == http.StatusConflict {
				c.refused.Add(1)
			}
			return resp, err
		})
	}
	return counted
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// TestRunIsEventDriven: a new cluster becomes Ready with Run playing its child
// operator, and once it is Ready the simulator is idle: over a few seconds it
// makes no request to the API server and evaluates nothing. Kafka's simulation
// also writes the Secrets Strimzi generates, once.
func TestRunIsEventDriven(t *testing.T) {
	for _, engine := range []string{"postgresql", "kafka"} {
		t.Run(engine, func(t *testing.T) { runIsEventDriven(t, engine) })
	}
}

func runIsEventDriven(t *testing.T, engine string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var counter requestCounter
	cfg := counter.config(env.cluster.Config)
	c, err := client.New(cfg, client.Options{Scheme: env.client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := New(c, env.registry, engines.Simulations)
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- sim.Run(ctx, cfg, "healthy") }()

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "simulate-run-" + engine}}
	if err := env.client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	cluster := &dbaasv1.DatabaseCluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "orders"},
		Spec: dbaasv1.DatabaseClusterSpec{
			Engine:  engine,
			Storage: dbaasv1.Storage{Size: resource.MustParse("1Gi")},
		},
	}
	if err := env.client.Create(ctx, cluster); err != nil {
		t.Fatal(err)
	}
	waitReady(ctx, t, cluster)
	// The last status writes are still echoing back as events: wait until a second
	// passes without an evaluation.
	settled(ctx, t, sim)

	reads, writes, evaluations := counter.reads.Load(), counter.writes.Load(), sim.evaluations.Load()
	select {
	case err := <-ran:
		t.Fatalf("Run returned early: %v", err)
	case <-time.After(3 * time.Second):
	}
	if n := counter.reads.Load() - reads; n != 0 {
		t.Errorf("the idle simulator read the API server %d times in 3s, want none", n)
	}
	if n := counter.writes.Load() - writes; n != 0 {
		t.Errorf("the idle simulator wrote %d times in 3s, want none", n)
	}
	if n := sim.evaluations.Load() - evaluations; n != 0 {
		t.Errorf("the idle simulator evaluated %d children in 3s, want none", n)
	}
	if engine == "postgresql" {
		replayWritesNothing(ctx, t, sim, &counter, ns.Name)
	}
	if engine == "kafka" {
		// The User Operator's Secret, owned by the KafkaUser, with the password the
		// connection Secret carries.
		user := &corev1.Secret{}
		if err := env.client.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "orders-app"}, user); err != nil {
			t.Fatalf("the simulated User Operator wrote no Secret: %v", err)
		}
		if refs := user.OwnerReferences; len(refs) != 1 || refs[0].Kind != "KafkaUser" || len(user.Data["password"]) == 0 {
			t.Errorf("user Secret: owners %v, password %q", refs, user.Data["password"])
		}
		waitConnectionPassword(ctx, t, ns.Name, "orders-connection", string(user.Data["password"]))
	}
	cancel()
	if err := <-ran; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// replayWritesNothing changes the CloudNativePG Cluster of namespace's "orders" in a
// way the simulation ignores (an annotation), and checks that the replay it causes
// finds the Secrets CloudNativePG writes (the application user's, the CA) in the
// simulator's cache: no create of them is sent and refused.
func replayWritesNothing(ctx context.Context, t *testing.T, sim *Simulator, counter *requestCounter, namespace string) {
	t.Helper()
	child := &unstructured.Unstructured{}
	child.SetGroupVersionKind(schema.GroupVersionKind{Group: "postgresql.cnpg.io", Version: "v1", Kind: "Cluster"})
	if err := env.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "orders"}, child); err != nil {
		t.Fatal(err)
	}
	evaluations, refused := sim.evaluations.Load(), counter.refused.Load()
	child.SetAnnotations(map[string]string{"example.com/replay": "1"})
	if err := env.client.Update(ctx, child); err != nil {
		t.Fatal(err)
	}
	settled(ctx, t, sim)
	if sim.evaluations.Load() == evaluations {
		t.Fatal("the changed Cluster was not simulated again")
	}
	if n := counter.refused.Load() - refused; n != 0 {
		t.Errorf("the replay sent %d writes the API server refused, want none", n)
	}
}

// waitConnectionPassword waits (up to 30 s) until a connection Secret holds password.
func waitConnectionPassword(ctx context.Context, t *testing.T, namespace, name, password string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		s := &corev1.Secret{}
		err := env.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, s)
		if err == nil && string(s.Data["password"]) == password {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Secret %s does not hold the user's password after 30s (last error: %v, %d keys)", name, err, len(s.Data))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitReady waits (up to two minutes) until the cluster is Ready.
func waitReady(ctx context.Context, t *testing.T, cluster *dbaasv1.DatabaseCluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		c := &dbaasv1.DatabaseCluster{}
		err := env.client.Get(ctx, client.ObjectKeyFromObject(cluster), c)
		if err == nil && meta.IsStatusConditionTrue(c.Status.Conditions, dbaasv1.ReadyCondition) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("DatabaseCluster %s is not Ready after 2m (last error: %v, conditions: %v)", cluster.Name, err, c.Status.Conditions)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// settled waits (up to a minute) until a second passes without the simulator
// evaluating a child.
func settled(ctx context.Context, t *testing.T, sim *Simulator) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	last := sim.evaluations.Load()
	for {
		select {
		case <-ctx.Done():
			t.Fatal("the simulator is still evaluating after a minute")
		case <-time.After(time.Second):
		}
		now := sim.evaluations.Load()
		if now == last {
			return
		}
		last = now
	}
}
