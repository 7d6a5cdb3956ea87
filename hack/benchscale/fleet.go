package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// fleet names the N clusters of a run: cluster i is c<i> in namespace scale-<i mod
// namespaces>. With more than one shard, namespace j belongs to shard j mod shards,
// so the shards split the namespaces, and the clusters, evenly.
type fleet struct {
	clusters, namespaces, shards int
}

func (f fleet) key(i int) types.NamespacedName {
	return types.NamespacedName{Namespace: f.namespace(i % f.namespaces), Name: fmt.Sprintf("c%05d", i)}
}

func (f fleet) namespace(j int) string { return fmt.Sprintf("scale-%02d", j) }

// shard is the shard that serves cluster i.
func (f fleet) shard(i int) int { return i % f.namespaces % f.shards }

// shardLabel is the namespace label whose value names the shard that serves it.
const shardLabel = "dbaas.io/shard"

// shardSelector picks the namespaces of shard k (the operator's --namespace-selector).
func shardSelector(k int) string { return fmt.Sprintf("%s=%d", shardLabel, k) }

// createNamespaces creates the fleet's namespaces, labelled with their shard when
// there is more than one: before any operator starts, since an operator restarts
// when the namespaces of its selector change.
func (f fleet) createNamespaces(ctx context.Context, c client.Client) error {
	for j := range f.namespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: f.namespace(j)}}
		if f.shards > 1 {
			ns.Labels = map[string]string{shardLabel: strconv.Itoa(j % f.shards)}
		}
		if err := c.Create(ctx, ns); err != nil {
			return fmt.Errorf("cannot create namespace %s: %w", ns.Name, err)
		}
	}
	return nil
}

// minimalCluster is config/samples/dbaas_v1alpha1_databasecluster_minimal.yaml: one
// PostgreSQL instance of the catalog's default version, 1Gi of storage.
func minimalCluster(key types.NamespacedName) *dbaasv1.DatabaseCluster {
	return &dbaasv1.DatabaseCluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name},
		Spec: dbaasv1.DatabaseClusterSpec{
			Engine:  "postgresql",
			Storage: dbaasv1.Storage{Size: resource.MustParse("1Gi")},
		},
	}
}

// forEach calls do for 0 … n-1 from the given number of goroutines, and stops
// handing out work at the first error, which it returns.
func forEach(ctx context.Context, n, goroutines int, do func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for i := range next {
				if err := do(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}
