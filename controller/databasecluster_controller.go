// Package controller holds the two reconcilers. They orchestrate only: every engine
// decision comes from a provider (a CUE engine) and every admission decision from
// the policy set.
package controller

import (
	"context"
	"errors"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/apply"
	"dbaas.io/operator/internal/provider"
)

// DatabaseClusterReconciler renders a DatabaseCluster's children with its engine,
// applies them, and maps their status back.
type DatabaseClusterReconciler struct {
	client.Client
	// Providers returns the engine of a cluster.
	Providers *provider.Factory
	// Policy gates the cluster and its rendered objects before anything is applied;
	// nil allows everything.
	Policy ClusterPolicy
	// Recorder emits Events on the DatabaseCluster.
	Recorder events.EventRecorder
	// Applier writes children with server-side apply.
	Applier *apply.Applier
	// RetryInterval is how soon an unmet precondition is checked again.
	RetryInterval time.Duration
	// Concurrency is how many clusters are reconciled at once. Default: 1.
	Concurrency int
	// Lookups reads the objects engines require; nil reads them through the client.
	Lookups client.Reader
	// Clock stamps the records in status; nil is the real clock.
	Clock clock.PassiveClock
	// Live reads from the API server, not from a cache: the checks that keep data
	// safe (does an object exist, is it still the one recorded) must not trust a
	// cache that may lag. Nil reads through the client.
	Live client.Reader
	// BackupReader lists the clusters' backup objects; nil lists them through the
	// client. SetupWithManager sets it to informers when NewBackupCache is set.
	BackupReader BackupReader
	// NewBackupCache builds the informer cache of one kind of backup objects; nil
	// watches none.
	NewBackupCache NewBackupCache
	// Resync, when set, carries clusters to reconcile again because an engine or a
	// policy they depend on changed without any event on the cluster itself.
	Resync <-chan event.GenericEvent

	// watcher adds watches of child kinds (SetupWithManager).
	watcher *kindWatcher
	// backupInformers watch the kinds of backup objects (SetupWithManager).
	backupInformers *backupInformers
	// own are the controller's writes of clusters and children, whose watch events
	// need no reconcile.
	own ownWrites
}

// +kubebuilder:rbac:groups=dbaas.io,resources=databaseclusters,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=dbaas.io,resources=databaseclusters/status,verbs=patch
// +kubebuilder:rbac:groups=dbaas.io,resources=databaseclusters/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings one DatabaseCluster's children to what its engine renders.
func (r *DatabaseClusterReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cluster := &dbaasv1.DatabaseCluster{}
	if err := r.Get(ctx, req.NamespacedName, cluster); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.own.superseded(cluster) {
		// The cache has not seen this controller's last status write (a reconcile
		// queued during the one that wrote it): on this copy the status write would
		// be refused and the reconcile done again. Read the cluster as it is.
		if err := r.live().Get(ctx, req.NamespacedName, cluster); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
	}
	s := &clusterScope{cluster: cluster, original: cluster.DeepCopy()}

	if !cluster.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, s)
	}
	if !controllerutil.ContainsFinalizer(cluster, dbaasv1.Finalizer) {
		patch := client.MergeFrom(cluster.DeepCopy())
		controllerutil.AddFinalizer(cluster, dbaasv1.Finalizer)
		if err := r.Patch(ctx, cluster, patch); err != nil {
			return ctrl.Result{}, err
		}
		r.own.record(cluster)
		s.original = cluster.DeepCopy()
	}

	result, err := runPhases(ctx, s, r.loadEngine, r.observe, r.observeBackups, r.prepare, r.checkPaused, r.render, r.guardData, r.checkPolicy, r.apply, r.prune, r.reportAddOns)
	for pass := 0; err == nil && !s.halted() && s.requiredAgain && pass < maxRequiredPasses; pass++ {
		// This reconcile created an object the engine requires (a restore the
		// preconditions watch, the Cluster whose image fixes the version): evaluate
		// again with it, so the reconcile ends on what the engine makes of it rather
		// than waiting for an event of its own write, which causes no reconcile. One
		// creation can lead to the next (the Cluster first, then the restore that
		// waits for it), so this repeats while creations do.
		var again ctrl.Result
		again, err = runPhases(ctx, s, r.prepare, r.checkPaused, r.render, r.guardData, r.checkPolicy, r.apply, r.prune, r.reportAddOns)
		result = shortest(result, again)
	}
	if err == nil && !s.halted() && s.requiredAgain {
		// The chain went on past the bound: the next reconcile takes it from here.
		result = shortest(result, ctrl.Result{RequeueAfter: r.RetryInterval})
	}
	if r.retryLater(s) {
		result = shortest(result, ctrl.Result{RequeueAfter: r.RetryInterval})
	}
	statusErr := r.writeStatus(ctx, s)
	if err == nil && apierrors.IsConflict(statusErr) {
		// A stale read: the cluster comes back once the cache has the latest write.
		return ctrl.Result{RequeueAfter: conflictRetry}, nil
	}
	// Come back when the backups go stale: nothing else would say so.
	result = shortest(result, ctrl.Result{RequeueAfter: s.backupRequeue})
	return result, errors.Join(err, statusErr)
}

// maxRequiredPasses bounds the evaluations a reconcile repeats for the required
// objects it created: an engine's chain of such objects is short, and an engine
// that kept creating them would otherwise never end its reconcile.
const maxRequiredPasses = 4

// now is the time of the reconciler's clock.
func (r *DatabaseClusterReconciler) now() metav1.Time {
	if r.Clock == nil {
		return metav1.Now()
	}
	return metav1.NewTime(r.Clock.Now())
}

// phase is one step of a reconcile. A phase that cannot go on calls s.halt.
type phase func(ctx context.Context, s *clusterScope) (ctrl.Result, error)

// runPhases runs the phases in order until one halts or fails, and keeps the
// shortest requeue any of them asked for.
func runPhases(ctx context.Context, s *clusterScope, phases ...phase) (ctrl.Result, error) {
	var result ctrl.Result
	for _, p := range phases {
		r, err := p(ctx, s)
		result = shortest(result, r)
		if err != nil {
			return result, err
		}
		if s.halted() {
			break
		}
	}
	return result, nil
}

// shortest combines two results, keeping the earliest requeue.
func shortest(a, b ctrl.Result) ctrl.Result {
	switch {
	case a.RequeueAfter == 0:
		return b
	case b.RequeueAfter == 0:
		return a
	case b.RequeueAfter < a.RequeueAfter:
		return b
	}
	return a
}

// retryLater says whether the reconcile stopped on something that changes without
// an event the controller watches (a precondition, an add-on's CRD).
func (r *DatabaseClusterReconciler) retryLater(s *clusterScope) bool {
	return s.halted() && (s.reconciled.reason == dbaasv1.PreconditionNotMetReason || s.reconciled.reason == dbaasv1.AddOnNotInstalledReason)
}

// SetupWithManager watches DatabaseClusters and every child kind of the loaded
// engines whose CRD is installed. Kinds without a CRD are logged and skipped, so one
// missing child operator does not stop the others' engines; WatchKind adds them
// once they are installed.
func (r *DatabaseClusterReconciler) SetupWithManager(mgr ctrl.Manager, kinds []schema.GroupVersionKind) error {
	b := ctrl.NewControllerManagedBy(mgr).
		For(&dbaasv1.DatabaseCluster{}, builder.WithPredicates(r.own.predicate())).
		Named("databasecluster").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Concurrency, RateLimiter: backoff()})
	if r.Resync != nil {
		b = b.WatchesRawSource(source.Channel(r.Resync, &handler.EnqueueRequestForObject{}))
	}
	b = b.Watches(&dbaasv1.BackupStorage{}, handler.EnqueueRequestsFromMapFunc(r.clustersOfStorage))
	c, err := b.Build(r)
	if err != nil {
		return err
	}
	r.watcher = &kindWatcher{controller: c, cache: mgr.GetCache(), mapper: mgr.GetRESTMapper(), log: mgr.GetLogger().WithName("databasecluster"),
		handler: handler.EnqueueRequestsFromMapFunc(clusterOfChild), predicate: r.childPredicate()}
	for _, gvk := range kinds {
		if err := r.watcher.watch(gvk); err != nil {
			return err
		}
	}
	if r.NewBackupCache != nil {
		r.backupInformers = &backupInformers{newCache: r.NewBackupCache, mapper: mgr.GetRESTMapper(),
			controller: c, log: mgr.GetLogger().WithName("databasecluster")}
		if err := mgr.Add(r.backupInformers); err != nil {
			return err
		}
		if r.BackupReader == nil {
			r.BackupReader = r.backupInformers
		}
	}
	return nil
}

// WatchBackupKinds starts the informers of the backup kinds not watched yet whose
// CRD is installed now, and returns those still missing.
func (r *DatabaseClusterReconciler) WatchBackupKinds(kinds []BackupKind) ([]BackupKind, error) {
	if r.backupInformers == nil {
		return nil, nil
	}
	var missing []BackupKind
	for _, k := range kinds {
		watched, err := r.backupInformers.watch(k)
		if err != nil {
			return nil, err
		}
		if !watched {
			missing = append(missing, k)
		}
	}
	return missing, nil
}

// WatchKinds starts watching the child kinds not watched yet whose CRD is
// installed now, and returns those still missing.
func (r *DatabaseClusterReconciler) WatchKinds(kinds []schema.GroupVersionKind) ([]schema.GroupVersionKind, error) {
	return r.watcher.watchAll(kinds)
}

// childPredicate skips the events of the controller's own writes of children, and
// forgets what is remembered of a deleted child.
func (r *DatabaseClusterReconciler) childPredicate() predicate.Predicate {
	return predicate.And(r.own.predicate(), predicate.Funcs{DeleteFunc: func(e event.DeleteEvent) bool {
		r.Applier.Forget(e.Object.GetUID())
		return true
	}})
}

// clusterOfChild maps a child to its DatabaseCluster by the dbaas.io/cluster label:
// the children that hold data carry no owner reference.
func clusterOfChild(_ context.Context, o client.Object) []reconcile.Request {
	name := o.GetLabels()[dbaasv1.ClusterLabel]
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
}
