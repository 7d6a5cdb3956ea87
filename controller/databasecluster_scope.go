package controller

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/apply"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
)

// clusterScope carries what the phases of one DatabaseCluster reconcile discover.
// Each field says which phase sets it.
type clusterScope struct {
	// cluster is the object being reconciled; its status is written once at the end.
	// The phases record the children that hold data and the one-shots in its status
	// as they create them (apply, guardData).
	cluster *dbaasv1.DatabaseCluster
	// original is the cluster as read, to skip the status write when nothing changed.
	original *dbaasv1.DatabaseCluster

	// provider is the cluster's engine (loadEngine).
	provider provider.Provider
	// prepared is the engine input with the required lookups (prepare).
	prepared *provider.Prepared
	// observed are the children the cluster created, as read before this reconcile
	// changed them, replaced by what the API server returned for the ones it wrote
	// (observe, guardData, apply).
	observed []*unstructured.Unstructured
	// result is what the engine rendered (render).
	result *render.Result
	// desired are the rendered objects to apply: the render without the one-shots
	// that must not be created again (render, guardData).
	desired []render.Object

	// createdRequired are the objects this reconcile created that the engine
	// requires, by kind and name, as last written; prepare reads them from here, as
	// the cache may not have them yet (apply, prepare).
	createdRequired map[apply.Ref]*unstructured.Unstructured
	// requiredAgain is set when the last apply created one of them: the engine is
	// evaluated again with it (apply, Reconcile).
	requiredAgain bool

	// binding is the binding Secret as applied, when the engine has one (apply).
	binding *bindingState

	// reconciled is the outcome for the Reconciled condition; the first phase that
	// fails or halts sets it, and later phases are skipped.
	reconciled *outcome
}

// outcome is a Reconciled condition to report.
type outcome struct {
	ok      bool
	reason  string
	message string
}

// halted reports whether a phase stopped the reconcile.
func (s *clusterScope) halted() bool { return s.reconciled != nil && !s.reconciled.ok }

// halt stops the remaining phases with a Reconciled=False reason and message.
func (s *clusterScope) halt(reason, message string) {
	s.reconciled = &outcome{reason: reason, message: message}
}

// replaceObserved puts u in place of the observed child of the same kind and name,
// or adds it.
func (s *clusterScope) replaceObserved(u *unstructured.Unstructured) {
	ref := apply.RefOf(u)
	for i, o := range s.observed {
		if apply.RefOf(o) == ref {
			s.observed[i] = u
			return
		}
	}
	s.observed = append(s.observed, u)
}

// record notes in status a child that holds data, or a one-shot, that the API
// server just stored.
func (s *clusterScope) record(key string, stored *unstructured.Unstructured, engine *render.Engine, now metav1.Time) {
	ref := childRef(key, stored)
	status := &s.cluster.Status
	if engine.IsDataBearing(key) {
		i := slices.IndexFunc(status.DataBearing, func(c dbaasv1.ChildRef) bool { return c.Key == key })
		switch {
		case i < 0:
			status.DataBearing = append(status.DataBearing, ref)
		case status.DataBearing[i] != ref:
			status.DataBearing[i] = ref
		}
	}
	if engine.IsOneShot(key) && !slices.ContainsFunc(status.OneShots, func(o dbaasv1.OneShot) bool { return o.Key == key }) {
		status.OneShots = append(status.OneShots, dbaasv1.OneShot{ChildRef: ref, Phase: dbaasv1.OneShotCreated, LastTransitionTime: now})
	}
}

// protected reports whether prune must leave a child alone: it holds data or ran
// once, by the records in status or by the engine's key for it.
func (s *clusterScope) protected(u *unstructured.Unstructured) bool {
	uid := u.GetUID()
	if slices.ContainsFunc(s.cluster.Status.DataBearing, func(c dbaasv1.ChildRef) bool { return c.UID == uid }) ||
		slices.ContainsFunc(s.cluster.Status.OneShots, func(o dbaasv1.OneShot) bool { return o.UID == uid }) {
		return true
	}
	key := provider.KeyOf(u)
	return s.provider.Engine().IsDataBearing(key) || s.provider.Engine().IsOneShot(key)
}

// childRef identifies a stored child.
func childRef(key string, u *unstructured.Unstructured) dbaasv1.ChildRef {
	return dbaasv1.ChildRef{Key: key, APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Name: u.GetName(), UID: u.GetUID()}
}
