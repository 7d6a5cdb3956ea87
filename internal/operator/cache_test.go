package operator

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"dbaas.io/operator/internal/devcluster"
)

// TestNamespaceShard: the namespaces a selector picks are served; with none, a
// namespace that cannot exist is (so the cache does not fall back to all of them);
// and the watcher stops the operator when the set changes, so it restarts serving
// the new set.
func TestNamespaceShard(t *testing.T) {
	ctx := context.Background()
	cluster, err := devcluster.Start(ctx, devcluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	c, err := client.New(cluster.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{NamespaceSelector: "dbaas.io/shard=a"}

	names, selected, err := watchedNamespaces(ctx, cluster.Config, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(selected) != 0 || len(names) != 1 || names[0] != noNamespace {
		t.Fatalf("with no namespace of the shard: serving %v (selected %v), want only %s", names, selected, noNamespace)
	}

	create := func(name, shard string) {
		t.Helper()
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"dbaas.io/shard": shard}}}
		if err := c.Create(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	create("shard-a-one", "a")
	create("shard-b-one", "b")
	names, selected, err = watchedNamespaces(ctx, cluster.Config, Options{NamespaceSelector: "dbaas.io/shard=a", WatchNamespaces: []string{"named"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "named,shard-a-one" || strings.Join(selected, ",") != "shard-a-one" {
		t.Fatalf("serving %v (selected %v), want named and shard-a-one", names, selected)
	}

	w := &namespaceWatcher{client: c, selector: labels.SelectorFromSet(labels.Set{"dbaas.io/shard": "a"}), serving: selected, interval: 50 * time.Millisecond}
	stopped := make(chan error, 1)
	watchCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	go func() { stopped <- w.Start(watchCtx) }()
	select {
	case err := <-stopped:
		t.Fatalf("the watcher stopped with the set unchanged: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	create("shard-a-two", "a")
	if err := <-stopped; err == nil || !strings.Contains(err.Error(), "restarting to serve them") {
		t.Fatalf("the watcher returned %v, want a restart when the shard changed", err)
	}
}
