package policy

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/render"
)

// Gate is what the controllers and webhooks ask: it gathers a decision's input (the
// object, its engine, its namespace's labels) and evaluates the current policy set.
type Gate struct {
	// Current returns the policy set to evaluate: the embedded one, or the last good
	// one of a reloaded folder; nil when no policies load (see Problem).
	Current func() *Set
	// Problem says why Current is nil; every decision is then a denial with that
	// reason. May be nil.
	Problem func() error
	// Namespaces reads the labels of namespaces (their tier).
	Namespaces NamespaceReader
	// Storages reads the BackupStorages a cluster names; nil passes none, so only
	// the rules on their names apply.
	Storages client.Reader
}

// NamespaceReader returns what the gates know of a namespace.
type NamespaceReader interface {
	Namespace(ctx context.Context, name string) (Namespace, error)
}

// ClientNamespaces reads namespaces from the API server.
type ClientNamespaces struct{ Client client.Reader }

// Namespace reads a namespace's labels; a namespace that does not exist has none.
func (c ClientNamespaces) Namespace(ctx context.Context, name string) (Namespace, error) {
	ns := &corev1.Namespace{}
	err := c.Client.Get(ctx, client.ObjectKey{Name: name}, ns)
	if apierrors.IsNotFound(err) {
		return Namespace{Name: name}, nil
	}
	if err != nil {
		return Namespace{}, fmt.Errorf("cannot read namespace %s: %w", name, err)
	}
	return Namespace{Name: name, Labels: ns.Labels}, nil
}

// StaticNamespaces gives every namespace the same labels, for offline evaluation.
type StaticNamespaces map[string]string

// Namespace returns name with the static labels.
func (s StaticNamespaces) Namespace(_ context.Context, name string) (Namespace, error) {
	return Namespace{Name: name, Labels: s}, nil
}

// Cluster evaluates the cluster gate for a cluster and the objects its engine rendered.
func (g *Gate) Cluster(ctx context.Context, cluster *dbaasv1.DatabaseCluster, engine *render.Engine, rendered []map[string]any) (Decision, error) {
	obj, err := toMap(cluster, false)
	if err != nil {
		return Decision{}, err
	}
	ns, err := g.Namespaces.Namespace(ctx, cluster.Namespace)
	if err != nil {
		return Decision{}, err
	}
	objects := make([]any, len(rendered))
	for i, r := range rendered {
		objects[i] = r
	}
	set := g.Current()
	if set == nil {
		return g.unavailable(), nil
	}
	storages, err := g.backupStorages(ctx, cluster.Namespace, cluster.BackupStorageNames())
	if err != nil {
		return Decision{}, err
	}
	return set.EvalCluster(ctx, ClusterInput{
		Cluster:        obj,
		Engine:         Engine{Name: engine.Name, Versions: engine.VersionNames()},
		Rendered:       objects,
		Namespace:      ns,
		BackupStorages: storages,
	})
}

// backupStorages reads the specs of the named BackupStorages of a namespace, by name;
// one that does not exist (yet) is left out.
func (g *Gate) backupStorages(ctx context.Context, namespace string, names []string) (map[string]any, error) {
	if g.Storages == nil {
		return nil, nil
	}
	out := map[string]any{}
	for _, name := range names {
		bs := &dbaasv1.BackupStorage{}
		err := g.Storages.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, bs)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read BackupStorage %s/%s: %w", namespace, name, err)
		}
		spec, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&bs.Spec)
		if err != nil {
			return nil, fmt.Errorf("cannot convert BackupStorage %s for the policy: %w", name, err)
		}
		out[name] = spec
	}
	return out, nil
}

// Ops evaluates the ops gate for an operation on a cluster. specPatch is the patch
// to the cluster's spec of the engine's evaluation of the operation
// (render.Operation.SpecPatch; nil when it patches nothing): the policy judges the
// patch the operation applies, as the engine's definition makes it (how a
// Reconfiguring merges parameters, for one), not a result of its own.
func (g *Gate) Ops(ctx context.Context, ops *dbaasv1.OpsRequest, cluster *dbaasv1.DatabaseCluster, engine *render.Engine, specPatch map[string]any) (Decision, error) {
	opsObj, err := toMap(ops, true)
	if err != nil {
		return Decision{}, err
	}
	clusterObj, err := toMap(cluster, true)
	if err != nil {
		return Decision{}, err
	}
	ns, err := g.Namespaces.Namespace(ctx, ops.Namespace)
	if err != nil {
		return Decision{}, err
	}
	set := g.Current()
	if set == nil {
		return g.unavailable(), nil
	}
	storages, err := g.backupStorages(ctx, ops.Namespace, ops.Spec.BackupStorageNames())
	if err != nil {
		return Decision{}, err
	}
	return set.EvalOps(ctx, OpsInput{
		Ops:            opsObj,
		Cluster:        clusterObj,
		Engine:         Engine{Name: engine.Name, Versions: engine.VersionNames(), Operations: engine.Operations},
		Namespace:      ns,
		SpecPatch:      specPatch,
		BackupStorages: storages,
	})
}

// ReasonPoliciesUnavailable is the reason of every decision while no policies load.
const ReasonPoliciesUnavailable = "PoliciesUnavailable"

// unavailable is the decision while no policies load: a denial that says why.
func (g *Gate) unavailable() Decision {
	msg := "no policies are loaded"
	if g.Problem != nil {
		if err := g.Problem(); err != nil {
			msg = err.Error()
		}
	}
	return Decision{Violations: []Violation{{Reason: ReasonPoliciesUnavailable, Message: msg}}}
}

// toMap converts an API object to the map the evaluation reads, without the fields
// that change on every write (managed fields, resource version) so that the decision
// cache hits; status is kept only when asked for.
func toMap(obj runtime.Object, withStatus bool) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("cannot convert the object for the policy: %w", err)
	}
	if meta, ok := m["metadata"].(map[string]any); ok {
		delete(meta, "managedFields")
		delete(meta, "resourceVersion")
	}
	if !withStatus {
		delete(m, "status")
	}
	return m, nil
}
