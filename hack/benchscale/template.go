package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
	"dbaas.io/operator/internal/simulate"
)

// The template cluster's name and namespace: tokens that no other string of its
// objects contains, so that replacing them gives another cluster's objects.
const (
	templateName      = "zztemplatezz"
	templateNamespace = "zztemplatenszz"
)

// template holds what the floor writes for one minimal cluster, as the engine
// renders it, the simulated child operator reports it and the engine maps it back,
// taken from one real template cluster: each cluster of the floor gets the same
// objects under its own name, without an engine evaluation while the clock runs.
type template struct {
	// children are the rendered objects (JSON), before the operator's labels.
	children []templateChild
	// status is the DatabaseCluster's status (JSON), Ready, as the operator would
	// write it; its dataBearing UIDs are filled per cluster.
	status []byte
}

type templateChild struct {
	key       string
	ownerless bool
	object    []byte
	// status is what the simulated child operator writes (JSON); empty when it
	// plays no status for the kind.
	status []byte
}

// clusterWrites are the objects of one cluster of the floor.
type clusterWrites struct {
	children []childWrite
	status   dbaasv1.DatabaseClusterStatus
}

type childWrite struct {
	key       string
	ownerless bool
	object    *unstructured.Unstructured
	status    map[string]any
}

// newTemplate renders, creates and simulates the template cluster through c, and
// records its objects.
func newTemplate(ctx context.Context, c client.Client) (*template, error) {
	registry, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		return nil, fmt.Errorf("cannot load the engines: %w", err)
	}
	p, err := (&provider.Factory{Registry: registry}).Get("postgresql")
	if err != nil {
		return nil, err
	}
	sim, err := simulate.New(c, registry, engines.Simulations)
	if err != nil {
		return nil, fmt.Errorf("cannot load the simulations: %w", err)
	}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: templateNamespace}}); err != nil {
		return nil, fmt.Errorf("cannot create the template namespace: %w", err)
	}
	cluster := minimalCluster(types.NamespacedName{Namespace: templateNamespace, Name: templateName})
	if err := c.Create(ctx, cluster); err != nil {
		return nil, fmt.Errorf("cannot create the template cluster: %w", err)
	}
	prepared, err := provider.Prepare(cluster)
	if err != nil {
		return nil, err
	}
	result, err := p.Engine().Render(prepared.Input)
	if err != nil {
		return nil, fmt.Errorf("cannot render the template cluster: %w", err)
	}
	t := &template{}
	var observed []*unstructured.Unstructured
	for _, o := range result.Objects {
		tc := templateChild{key: o.Key, ownerless: p.Engine().Ownerless(o.Key)}
		if tc.object, err = json.Marshal(o.Object.Object); err != nil {
			return nil, fmt.Errorf("cannot encode the template's %s: %w", o.Key, err)
		}
		child := provider.Child(cluster, o.Key, o.Object, tc.ownerless)
		if err := c.Create(ctx, child); err != nil {
			return nil, fmt.Errorf("cannot create the template's %s: %w", o.Key, err)
		}
		if _, err := sim.Child(ctx, "postgresql", child, "healthy"); err != nil {
			return nil, fmt.Errorf("cannot simulate the template's %s: %w", o.Key, err)
		}
		if err := c.Get(ctx, client.ObjectKeyFromObject(child), child); err != nil {
			return nil, fmt.Errorf("cannot read the template's %s: %w", o.Key, err)
		}
		if status, ok := child.Object["status"]; ok {
			if tc.status, err = json.Marshal(status); err != nil {
				return nil, fmt.Errorf("cannot encode the status of the template's %s: %w", o.Key, err)
			}
		}
		observed = append(observed, child)
		t.children = append(t.children, tc)
	}
	mapped, err := p.Status(prepared, observed, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot map the template's status: %w", err)
	}
	if t.status, err = json.Marshal(readyStatus(mapped, result.Resolved, observed, t.children)); err != nil {
		return nil, fmt.Errorf("cannot encode the template's status: %w", err)
	}
	return t, nil
}

// readyStatus is the status the operator writes for a cluster whose children are
// healthy: the engine's mapping, the resolved version, the data-bearing records and
// the conditions the controller adds (see controller/databasecluster_status.go).
func readyStatus(mapped *provider.Status, resolved render.Resolved, children []*unstructured.Unstructured, t []templateChild) dbaasv1.DatabaseClusterStatus {
	s := mapped.DatabaseClusterStatus
	s.ObservedGeneration = 1
	s.Version, s.Image = resolved.Version, resolved.Image
	if s.Instances > 0 || s.ReadyInstances > 0 {
		s.Ready = fmt.Sprintf("%d/%d", s.ReadyInstances, s.Instances)
	}
	for i, child := range children {
		if t[i].ownerless {
			s.DataBearing = append(s.DataBearing, dbaasv1.ChildRef{Key: t[i].key, APIVersion: child.GetAPIVersion(), Kind: child.GetKind(), Name: child.GetName()})
		}
	}
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	conditions := append([]metav1.Condition(nil), mapped.Conditions...)
	conditions = append(conditions,
		metav1.Condition{Type: dbaasv1.ReconciledCondition, Status: metav1.ConditionTrue, Reason: dbaasv1.AppliedReason,
			Message: fmt.Sprintf("%d objects rendered by engine postgresql and applied", len(children))},
		metav1.Condition{Type: dbaasv1.ReconcilingCondition, Status: metav1.ConditionFalse, Reason: string(dbaasv1.PhaseReady),
			Message: "the cluster is Ready at its current spec"},
		metav1.Condition{Type: dbaasv1.StalledCondition, Status: metav1.ConditionFalse, Reason: "Progressing"},
	)
	for _, c := range conditions {
		c.ObservedGeneration, c.LastTransitionTime = 1, now
		meta.SetStatusCondition(&s.Conditions, c)
	}
	return s
}

// instantiate returns the template's objects for the cluster key.
func (t *template) instantiate(key types.NamespacedName) (*clusterWrites, error) {
	rename := strings.NewReplacer(templateNamespace, key.Namespace, templateName, key.Name)
	w := &clusterWrites{}
	for _, tc := range t.children {
		cw := childWrite{key: tc.key, ownerless: tc.ownerless, object: &unstructured.Unstructured{}}
		if err := json.Unmarshal([]byte(rename.Replace(string(tc.object))), &cw.object.Object); err != nil {
			return nil, fmt.Errorf("cannot decode the template's %s: %w", tc.key, err)
		}
		if len(tc.status) > 0 {
			if err := json.Unmarshal([]byte(rename.Replace(string(tc.status))), &cw.status); err != nil {
				return nil, fmt.Errorf("cannot decode the status of the template's %s: %w", tc.key, err)
			}
		}
		w.children = append(w.children, cw)
	}
	if err := json.Unmarshal([]byte(rename.Replace(string(t.status))), &w.status); err != nil {
		return nil, fmt.Errorf("cannot decode the template's status: %w", err)
	}
	return w, nil
}
