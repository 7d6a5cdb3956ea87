package operator

import (
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"dbaas.io/operator/controller"
	"dbaas.io/operator/internal/render"
)

// lastAppliedAnnotation is kubectl's copy of an applied object, which nothing
// reads from a backup.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// backupKinds are the kinds of backup objects the loaded engines name, each once.
func backupKinds(r *render.Registry) []controller.BackupKind {
	seen := map[schema.GroupVersionKind]bool{}
	var kinds []controller.BackupKind
	for _, e := range r.Engines() {
		if b := e.Backups; b != nil && !seen[b.GroupVersionKind()] {
			seen[b.GroupVersionKind()] = true
			kinds = append(kinds, controller.BackupKind{GVK: b.GroupVersionKind(), Label: b.ClusterLabel})
		}
	}
	return kinds
}

// backupCache builds the cache of one kind of backup objects: only those its
// selector picks (the ones labelled with their cluster), in the namespaces the
// operator serves, trimmed of managed fields and kubectl's last-applied copy. At
// 1,000 clusters keeping a week of daily backups that is some 7,000 small objects;
// a List per reconcile instead would cost a request to the API server for every
// event of every cluster, and would not see a backup finish.
func backupCache(mgr manager.Manager, namespaces []string) controller.NewBackupCache {
	return func(selector labels.Selector) (cache.Cache, error) {
		o := cache.Options{
			HTTPClient:           mgr.GetHTTPClient(),
			Scheme:               mgr.GetScheme(),
			Mapper:               mgr.GetRESTMapper(),
			DefaultLabelSelector: selector,
			DefaultTransform:     trimBackup,
		}
		if len(namespaces) > 0 {
			o.DefaultNamespaces = map[string]cache.Config{}
			for _, ns := range namespaces {
				o.DefaultNamespaces[ns] = cache.Config{}
			}
		}
		return cache.New(mgr.GetConfig(), o)
	}
}

// trimBackup drops what nothing reads from a cached backup object.
func trimBackup(in any) (any, error) {
	out, err := cache.TransformStripManagedFields()(in)
	if err != nil {
		return nil, err
	}
	if o, ok := out.(interface {
		GetAnnotations() map[string]string
		SetAnnotations(map[string]string)
	}); ok {
		if a := o.GetAnnotations(); a[lastAppliedAnnotation] != "" {
			delete(a, lastAppliedAnnotation)
			o.SetAnnotations(a)
		}
	}
	return out, nil
}

// watchBackupKinds adapts WatchBackupKinds to the kind poller, which tracks kinds
// by GroupVersionKind.
func watchBackupKinds(kinds []controller.BackupKind, watch func([]controller.BackupKind) ([]controller.BackupKind, error)) func([]schema.GroupVersionKind) ([]schema.GroupVersionKind, error) {
	byGVK := map[schema.GroupVersionKind]controller.BackupKind{}
	for _, k := range kinds {
		byGVK[k.GVK] = k
	}
	return func(gvks []schema.GroupVersionKind) ([]schema.GroupVersionKind, error) {
		var want []controller.BackupKind
		for _, g := range gvks {
			want = append(want, byGVK[g])
		}
		missing, err := watch(want)
		if err != nil {
			return nil, err
		}
		var out []schema.GroupVersionKind
		for _, k := range missing {
			out = append(out, k.GVK)
		}
		return out, nil
	}
}
