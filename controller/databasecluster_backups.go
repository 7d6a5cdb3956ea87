package controller

import (
	"context"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// maxObservedBackups bounds the backup objects handed to the status mapping: the
// newest ones, which are what status reports (it lists ten).
const maxObservedBackups = 20

// BackupKind is a kind of backup objects a child operator creates for a cluster,
// and the label whose value is the cluster's name (an engine's backups field).
type BackupKind struct {
	GVK   schema.GroupVersionKind
	Label string
}

// BackupReader lists the backup objects of kind in namespace labelled
// kind.Label=cluster. served is false while the kind is not served (its CRD is not
// installed): the cluster then has no backups to report.
type BackupReader interface {
	Backups(ctx context.Context, kind BackupKind, namespace, cluster string) (items []unstructured.Unstructured, served bool, err error)
}

// observeBackups reads the cluster's backup objects, which the child operator
// creates on its schedule without the operator's labels, for the status mapping.
func (r *DatabaseClusterReconciler) observeBackups(ctx context.Context, s *clusterScope) (ctrl.Result, error) {
	s.backups = nil
	b := s.provider.Engine().Backups
	if b == nil {
		return ctrl.Result{}, nil
	}
	var reader BackupReader = listBackups{r.Client}
	if r.BackupReader != nil {
		reader = r.BackupReader
	}
	items, _, err := reader.Backups(ctx, BackupKind{GVK: b.GroupVersionKind(), Label: b.ClusterLabel}, s.cluster.Namespace, s.cluster.Name)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("cannot list the backups of %s: %w", s.cluster.Name, err)
	}
	s.backups = newestBackups(items, maxObservedBackups)
	return ctrl.Result{}, nil
}

// newestBackups sorts backups newest first (by creation, then name) and keeps at
// most limit of them.
func newestBackups(items []unstructured.Unstructured, limit int) []*unstructured.Unstructured {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i].GetCreationTimestamp(), items[j].GetCreationTimestamp()
		if !a.Equal(&b) {
			return b.Before(&a)
		}
		return items[i].GetName() > items[j].GetName()
	})
	out := make([]*unstructured.Unstructured, 0, min(len(items), limit))
	for i := range items[:min(len(items), limit)] {
		out = append(out, &items[i])
	}
	return out
}

// listBackups reads backups with one List through a client; a kind whose CRD is
// not installed is not served. Tests use it; the operator reads from informers.
type listBackups struct{ client.Reader }

func (l listBackups) Backups(ctx context.Context, kind BackupKind, namespace, cluster string) ([]unstructured.Unstructured, bool, error) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(kind.GVK.GroupVersion().WithKind(kind.GVK.Kind + "List"))
	err := l.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{kind.Label: cluster})
	if meta.IsNoMatchError(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return list.Items, true, nil
}
