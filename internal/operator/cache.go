package operator

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// cacheOptions keep the informers small, so that memory follows the clusters the
// operator serves, not the size of the Kubernetes cluster:
//   - managed fields are dropped from every cached object (nothing reads them);
//   - objects of other kinds than ours and Namespaces are cached only when labelled
//     dbaas.io/cluster: the children, and what operations created for a cluster
//     (a ConfigMap informer holds the operator's ConfigMaps, not every one);
//   - with namespaces to watch (a set, or those a label selector picks), only those.
func cacheOptions(namespaces []string) cache.Options {
	children, _ := labels.NewRequirement(dbaasv1.ClusterLabel, selection.Exists, nil)
	everything := cache.ByObject{Label: labels.Everything()}
	o := cache.Options{
		DefaultTransform:     cache.TransformStripManagedFields(),
		DefaultLabelSelector: labels.NewSelector().Add(*children),
		ByObject: map[client.Object]cache.ByObject{
			&dbaasv1.DatabaseCluster{}: everything,
			&dbaasv1.OpsRequest{}:      everything,
			&dbaasv1.BackupStorage{}:   everything,
			&corev1.Namespace{}:        everything,
		},
	}
	if len(namespaces) > 0 {
		o.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range namespaces {
			o.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	return o
}

// watchedNamespaces returns the namespaces the operator serves: the ones named,
// plus those the label selector picks now (also returned on their own); nil for all
// of them.
func watchedNamespaces(ctx context.Context, cfg *rest.Config, o Options) (names, selected []string, err error) {
	names = append([]string(nil), o.WatchNamespaces...)
	if o.NamespaceSelector == "" {
		return names, nil, nil
	}
	selector, err := labels.Parse(o.NamespaceSelector)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot parse --namespace-selector %q: %w", o.NamespaceSelector, err)
	}
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return nil, nil, err
	}
	var list corev1.NamespaceList
	if err := c.List(ctx, &list, client.MatchingLabelsSelector{Selector: selector}); err != nil {
		return nil, nil, fmt.Errorf("cannot list the namespaces of selector %s: %w", selector, err)
	}
	for _, ns := range list.Items {
		selected = append(selected, ns.Name)
	}
	names = append(names, selected...)
	if len(names) == 0 {
		// An empty set means every namespace to the cache: serve none instead, until one
		// matches (the namespace watcher restarts the operator then).
		names = append(names, noNamespace)
	}
	return names, selected, nil
}

// noNamespace is a namespace name no Kubernetes cluster has (it is too long to be
// created), which the cache serves while no namespace matches the selector.
const noNamespace = "dbaas-no-namespace-matches-the-selector-of-this-operator-so-it-serves-none-yet"

// namespaceWatcher stops the operator when the set of namespaces its selector picks
// changes, so that it starts again serving exactly that set: the informers are
// scoped to the namespaces at start. A restart per namespace added to a shard is
// the price of caching only the shard.
type namespaceWatcher struct {
	client   client.Reader
	selector labels.Selector
	serving  []string
	interval time.Duration
}

func (w *namespaceWatcher) Start(ctx context.Context) error {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		var list metav1.PartialObjectMetadataList
		list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("NamespaceList"))
		if err := w.client.List(ctx, &list, client.MatchingLabelsSelector{Selector: w.selector}); err != nil {
			ctrl.Log.WithName("namespaces").Error(err, "cannot list the namespaces of the selector; trying again", "selector", w.selector.String())
			continue
		}
		now := make([]string, 0, len(list.Items))
		for _, ns := range list.Items {
			now = append(now, ns.Name)
		}
		if !sameSet(now, w.serving) {
			return fmt.Errorf("the namespaces of selector %s changed (%v, serving %v): restarting to serve them", w.selector, now, w.serving)
		}
	}
}

// NeedLeaderElection is false: every replica's cache is scoped to the namespaces.
func (w *namespaceWatcher) NeedLeaderElection() bool { return false }

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if !seen[x] {
			return false
		}
	}
	return true
}
