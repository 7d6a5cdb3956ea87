package faults_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"dbaas.io/operator/internal/devcluster"
	"dbaas.io/operator/internal/faults"
)

// cluster is the control plane shared by the tests of this package.
var cluster *devcluster.Cluster

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// The control plane's start logs through controller-runtime: silence it.
	ctrllog.SetLogger(logr.Discard())
	var err error
	if cluster, err = devcluster.Start(context.Background(), devcluster.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if err := cluster.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return code
}

// names keeps the objects of each test apart.
var names atomic.Int64

func configMap(prefix string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("%s-%d", prefix, names.Add(1))},
		Data:       map[string]string{"k": "v"},
	}
}

// clients returns a client through a new injector, and one straight to the API
// server that checks what the faulted requests did.
func clients(t *testing.T, seed uint64) (*faults.Injector, client.WithWatch, client.Client) {
	t.Helper()
	in := faults.New(seed)
	faulty, err := client.NewWithWatch(in.Wrap(cluster.Config), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	direct, err := client.New(cluster.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return in, faulty, direct
}

// TestKindsClassified checks that each fault reads, through client-go and the
// apimachinery errors helpers, as the API server's own answer would, and that the
// API server never saw the failed request.
func TestKindsClassified(t *testing.T) {
	tests := map[faults.Kind]struct {
		// mutating faults an update of an existing object; otherwise a create.
		update bool
		// is classifies the error as the caller would.
		is func(error) bool
	}{
		faults.Conflict:           {update: true, is: apierrors.IsConflict},
		faults.TooManyRequests:    {is: apierrors.IsTooManyRequests},
		faults.InternalError:      {is: apierrors.IsInternalError},
		faults.ServiceUnavailable: {is: apierrors.IsServiceUnavailable},
		faults.Timeout:            {is: apierrors.IsTimeout},
		faults.ClientTimeout:      {is: utilnet.IsTimeout},
		faults.ConnectionReset:    {is: utilnet.IsConnectionReset},
	}
	for kind, tc := range tests {
		t.Run(string(kind), func(t *testing.T) {
			ctx := t.Context()
			in, faulty, direct := clients(t, 1)
			in.SetKinds(kind)
			cm := configMap("classified")
			if tc.update {
				if err := direct.Create(ctx, cm); err != nil {
					t.Fatal(err)
				}
			}
			if err := in.Set(1, faults.Mutating); err != nil {
				t.Fatal(err)
			}
			changed := cm.DeepCopy()
			changed.Data["k"] = "changed"
			var err error
			if tc.update {
				err = faulty.Update(ctx, changed)
			} else {
				err = faulty.Create(ctx, changed)
			}
			if err == nil {
				t.Fatalf("the request succeeded, want a %s fault", kind)
			}
			if !tc.is(err) {
				t.Errorf("%s is not classified as %s: %v (%T)", kind, kind, err, err)
			}
			if !strings.Contains(err.Error(), "injected fault") {
				t.Errorf("the error does not say it was injected: %v", err)
			}
			if n := in.Report().OfKind(kind); n == 0 {
				t.Errorf("the report counts no %s", kind)
			}
			// The fault came instead of the API server's answer: nothing changed.
			stored := &corev1.ConfigMap{}
			err = direct.Get(ctx, client.ObjectKeyFromObject(cm), stored)
			switch {
			case tc.update && err != nil:
				t.Fatal(err)
			case tc.update && stored.Data["k"] != "v":
				t.Errorf("the API server stored the failed update: %v", stored.Data)
			case !tc.update && !apierrors.IsNotFound(err):
				t.Errorf("the API server stored the failed create (get: %v)", err)
			}
		})
	}
}

// TestTooManyRequestsRetriedByClientGo shows what an operator meets on a 429: client-go
// waits for its Retry-After and tries again by itself, so one throttled answer is
// no error for the caller.
func TestTooManyRequestsRetriedByClientGo(t *testing.T) {
	ctx := t.Context()
	in, faulty, direct := clients(t, 2)
	cm := configMap("throttled")
	if err := direct.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	in.SetKinds(faults.TooManyRequests)
	if err := in.Set(1, faults.Reads); err != nil {
		t.Fatal(err)
	}
	err := faulty.Get(ctx, client.ObjectKeyFromObject(cm), &corev1.ConfigMap{})
	if !apierrors.IsTooManyRequests(err) {
		t.Fatalf("get under constant throttling: %v, want TooManyRequests", err)
	}
	if n := in.Report().OfKind(faults.TooManyRequests); n < 2 {
		t.Errorf("client-go sent the get %d times, want it to retry the 429", n)
	}
}

// TestRateHonoured checks that the share of failed requests is the rate, that only
// the chosen verbs fail, and that rate 0 fails nothing.
func TestRateHonoured(t *testing.T) {
	ctx := t.Context()
	in, faulty, direct := clients(t, 3)
	cm := configMap("rate")
	if err := direct.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	// InternalError only: client-go retries none, so every request is one draw.
	in.SetKinds(faults.InternalError)
	gets := func(n int) (failed int) {
		for range n {
			err := faulty.Get(ctx, client.ObjectKeyFromObject(cm), &corev1.ConfigMap{})
			switch {
			case apierrors.IsInternalError(err):
				failed++
			case err != nil:
				t.Fatal(err)
			}
		}
		return failed
	}
	const requests = 400
	for _, rate := range []float64{0.1, 0.5} {
		if err := in.Set(rate, faults.Reads); err != nil {
			t.Fatal(err)
		}
		failed := gets(requests)
		// A binomial count: 4 standard deviations either side.
		want, slack := rate*requests, 4*math.Sqrt(requests*rate*(1-rate))
		if float64(failed) < want-slack || float64(failed) > want+slack {
			t.Errorf("rate %g: %d of %d gets failed, want %g ± %.0f", rate, failed, requests, want, slack)
		}
	}
	in.Reset()
	if err := in.Set(1, faults.Mutating); err != nil {
		t.Fatal(err)
	}
	if failed := gets(20); failed != 0 {
		t.Errorf("%d gets failed with only mutating verbs faulted", failed)
	}
	in.Off()
	if err := faulty.Update(ctx, cm); err != nil {
		t.Errorf("an update failed with the injector off: %v", err)
	}
	if n := in.Report().Total(); n != 0 {
		t.Errorf("the report counts %d faults, want none:\n%s", n, in.Report())
	}
	if err := in.Set(1.5, faults.All); err == nil {
		t.Error("rate 1.5 was accepted")
	}
}

// TestWatchStreamsSpared checks that faulting every verb leaves watch streams alone
// unless they are asked for.
func TestWatchStreamsSpared(t *testing.T) {
	ctx := t.Context()
	in, faulty, direct := clients(t, 4)
	// Discovery is a read too: find the resource before the faults start.
	if err := faulty.List(ctx, &corev1.ConfigMapList{}, client.InNamespace("default"), client.Limit(1)); err != nil {
		t.Fatal(err)
	}
	if err := in.Set(1, faults.All); err != nil {
		t.Fatal(err)
	}
	w, err := faulty.Watch(ctx, &corev1.ConfigMapList{}, client.InNamespace("default"))
	if err != nil {
		t.Fatalf("a watch failed with all verbs but watch faulted: %v", err)
	}
	defer w.Stop()
	cm := configMap("watched")
	if err := direct.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	if !seen(w, cm.Name) {
		t.Errorf("the watch did not deliver the creation of %s", cm.Name)
	}
	if err := in.Set(1, faults.WatchStreams); err != nil {
		t.Fatal(err)
	}
	if _, err := faulty.Watch(ctx, &corev1.ConfigMapList{}, client.InNamespace("default")); err == nil {
		t.Error("a watch succeeded with watch streams faulted")
	}
}

// seen waits up to 30s for an event about the named object.
func seen(w watch.Interface, name string) bool {
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				return false
			}
			if cm, isCM := ev.Object.(*corev1.ConfigMap); isCM && cm.Name == name {
				return true
			}
		case <-timeout:
			return false
		}
	}
}

// TestStepsRecorded checks that the mutating requests the API server accepted are
// recorded under their step, and nothing else is.
func TestStepsRecorded(t *testing.T) {
	ctx := t.Context()
	in, faulty, _ := clients(t, 5)
	step := faults.WithStep(ctx, "op-uid/create the Backup")
	cm := configMap("step")
	if err := faulty.Create(step, cm, client.FieldOwner("ops")); err != nil {
		t.Fatal(err)
	}
	patch := client.RawPatch("application/merge-patch+json", []byte(`{"data":{"k":"patched"}}`))
	if err := faulty.Patch(step, cm, patch); err != nil {
		t.Fatal(err)
	}
	// Not recorded: refused by the API server, failed by the injector, a read, untagged.
	again := configMap("step")
	again.Name = cm.Name
	if err := faulty.Create(step, again); !apierrors.IsAlreadyExists(err) {
		t.Fatalf("a second create: %v, want AlreadyExists", err)
	}
	in.SetKinds(faults.InternalError)
	if err := in.Set(1, faults.Mutating); err != nil {
		t.Fatal(err)
	}
	if err := faulty.Patch(step, cm, patch); !apierrors.IsInternalError(err) {
		t.Fatalf("a faulted patch: %v, want InternalError", err)
	}
	in.Off()
	if err := faulty.Get(step, client.ObjectKeyFromObject(cm), &corev1.ConfigMap{}); err != nil {
		t.Fatal(err)
	}
	if err := faulty.Patch(ctx, cm, patch); err != nil {
		t.Fatal(err)
	}

	got := in.Mutations("op-uid/create the Backup")
	verbs := make([]faults.Verb, len(got))
	for i, m := range got {
		verbs[i] = m.Verb
	}
	if !slices.Equal(verbs, []faults.Verb{faults.Create, faults.Patch}) {
		t.Fatalf("recorded %v, want a create then a patch", got)
	}
	if got[0].FieldManager != "ops" || got[0].Path != "/api/v1/namespaces/default/configmaps" || got[1].Path != "/api/v1/namespaces/default/configmaps/"+cm.Name {
		t.Errorf("recorded %v, want the create's field manager and both paths", got)
	}
	if got[0].Digest == got[1].Digest || len(got[0].Digest) != 12 {
		t.Errorf("digests %q and %q, want two different 12-digit ones", got[0].Digest, got[1].Digest)
	}
	if steps := in.Steps(); !slices.Equal(steps, []string{"op-uid/create the Backup"}) {
		t.Errorf("steps %q, want only the tagged one (untagged requests are not recorded by default)", steps)
	}

	in.RecordUntagged(true)
	if err := faulty.Patch(ctx, cm, patch); err != nil {
		t.Fatal(err)
	}
	if untagged := in.Mutations(""); len(untagged) != 1 || untagged[0].Verb != faults.Patch {
		t.Errorf("untagged mutations %v, want the one patch made after RecordUntagged", untagged)
	}
}

// TestStepOf checks the context tag round trip.
func TestStepOf(t *testing.T) {
	if _, ok := faults.StepOf(context.Background()); ok {
		t.Error("an untagged context has a step")
	}
	if step, ok := faults.StepOf(faults.WithStep(context.Background(), "uid/restart")); !ok || step != "uid/restart" {
		t.Errorf("StepOf = %q, %v, want uid/restart", step, ok)
	}
}

// TestInformersGoThrough checks that an informer cache built from the wrapped config
// sends its requests through the injector. client-go's informers list with a watch
// stream (sendInitialEvents, the WatchListClient feature), so only the verb watch
// faults their initial sync.
func TestInformersGoThrough(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	in := faults.New(6)
	c, err := cache.New(in.Wrap(cluster.Config), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetInformer(ctx, &corev1.ConfigMap{}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("the cache did not sync")
	}
	if err := c.List(ctx, &corev1.ConfigMapList{}); err != nil {
		t.Fatal(err)
	}
	seen := in.Report().Seen
	if seen[faults.Watch] == 0 {
		t.Errorf("the injector saw %v, want the informer's watch", seen)
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}
