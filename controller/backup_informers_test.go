package controller

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// fakeInformer is a backup cache that records when it runs; it syncs once started.
type fakeInformer struct {
	cache.Cache
	started, stopped chan struct{}
}

func newFakeInformer() *fakeInformer {
	return &fakeInformer{started: make(chan struct{}), stopped: make(chan struct{})}
}

func (f *fakeInformer) Start(ctx context.Context) error {
	close(f.started)
	<-ctx.Done()
	close(f.stopped)
	return nil
}

func (f *fakeInformer) WaitForCacheSync(ctx context.Context) bool {
	select {
	case <-f.started:
		return true
	case <-ctx.Done():
		return false
	}
}

func (f *fakeInformer) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return nil
}

// fakeWatches is the controller the informers' sources are added to.
type fakeWatches struct {
	controller.Controller
	watch func() error
}

func (f fakeWatches) Watch(source.TypedSource[reconcile.Request]) error { return f.watch() }

// backupInformersForTest serves kinds a, b and c, and keeps the informers it creates.
func backupInformersForTest(watch func() error) (*backupInformers, *[]*fakeInformer, [3]BackupKind) {
	var kinds [3]BackupKind
	mapper := meta.NewDefaultRESTMapper(nil)
	for i, name := range []string{"A", "B", "C"} {
		kinds[i] = BackupKind{GVK: schema.GroupVersionKind{Group: "example.dbaas.io", Version: "v1", Kind: name}, Label: "example.dbaas.io/cluster"}
		mapper.Add(kinds[i].GVK, meta.RESTScopeNamespace)
	}
	var made []*fakeInformer
	b := &backupInformers{
		newCache: func(labels.Selector) (cache.Cache, error) {
			f := newFakeInformer()
			made = append(made, f)
			return f, nil
		},
		mapper:     mapper,
		controller: fakeWatches{watch: watch},
		log:        logr.Discard(),
	}
	return b, &made, kinds
}

// waitClosed fails the test unless ch is closed within a few seconds.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not happen", what)
	}
}

// TestBackupInformersRunUnderStart: the informers of backup kinds run under the
// runnable's own context, not as runnables added to a running manager (whose stop
// can wait forever for one added as it stops). One created before Start runs once
// Start does; Start returns only after every informer stopped; none is created
// after the stop.
func TestBackupInformersRunUnderStart(t *testing.T) {
	b, made, kinds := backupInformersForTest(func() error { return nil })
	if watched, err := b.watch(kinds[0]); err != nil || !watched {
		t.Fatalf("watch before Start = %v, %v; want watched", watched, err)
	}
	first := (*made)[0]
	select {
	case <-first.started:
		t.Fatal("an informer created before Start runs before it")
	default:
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := b.Start(ctx); err != nil {
			t.Errorf("Start: %v", err)
		}
	}()
	waitClosed(t, first.started, "the informer created before Start starting")
	if watched, err := b.watch(kinds[1]); err != nil || !watched {
		t.Fatalf("watch after Start = %v, %v; want watched", watched, err)
	}
	second := (*made)[1]
	waitClosed(t, second.started, "the informer created after Start starting")

	cancel()
	waitClosed(t, done, "Start returning after its context ended")
	for i, f := range *made {
		select {
		case <-f.stopped:
		default:
			t.Errorf("informer %d still runs after Start returned", i)
		}
	}
	if watched, err := b.watch(kinds[2]); err != nil || watched {
		t.Errorf("watch after the stop = %v, %v; want not watched and no error", watched, err)
	}
	if len(*made) != 2 {
		t.Errorf("%d informers created; want none after the stop", len(*made))
	}
}

// TestBackupInformersStartWhileAWatchWaits: the controller's Watch waits while the
// controller starts, and the controller waits for its sources' informers to sync,
// which Start runs. So a watch waiting in Watch must not keep Start from running
// the informers created before it.
func TestBackupInformersStartWhileAWatchWaits(t *testing.T) {
	var waitFor <-chan struct{}
	entered := make(chan struct{})
	b, made, kinds := backupInformersForTest(func() error {
		if waitFor == nil {
			return nil
		}
		close(entered)
		select {
		case <-waitFor:
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("the informer the controller waits for never started")
		}
	})
	if _, err := b.watch(kinds[0]); err != nil {
		t.Fatal(err)
	}
	waitFor = (*made)[0].started
	watchErr := make(chan error, 1)
	go func() {
		_, err := b.watch(kinds[1])
		watchErr <- err
	}()
	waitClosed(t, entered, "the second watch reaching the controller")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = b.Start(ctx) }()
	if err := <-watchErr; err != nil {
		t.Fatalf("watch: %v", err)
	}
	waitClosed(t, (*made)[1].started, "the second informer starting")
}

// TestBackupInformersReadOnceSynced: a reconcile reads a kind's backups only once
// its informer has synced, and fails (to be retried) while it has not, instead of
// reporting no backups.
func TestBackupInformersReadOnceSynced(t *testing.T) {
	b, made, kinds := backupInformersForTest(func() error { return nil })
	if _, served, err := b.Backups(context.Background(), kinds[0], "ns", "db"); served || err != nil {
		t.Fatalf("a kind not watched: served=%v err=%v; want not served", served, err)
	}
	if _, err := b.watch(kinds[0]); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, _, err := b.Backups(short, kinds[0], "ns", "db"); err == nil {
		t.Fatal("an informer that has not synced served a read")
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() { _ = b.Start(ctx) }()
	waitClosed(t, (*made)[0].started, "the informer starting")
	if _, served, err := b.Backups(context.Background(), kinds[0], "ns", "db"); !served || err != nil {
		t.Fatalf("a synced informer: served=%v err=%v; want served", served, err)
	}
}
