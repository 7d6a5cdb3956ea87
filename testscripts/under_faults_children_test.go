package testscripts

import (
	"context"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/apply"
)

// childOperators plays the child operators (CloudNativePG, Percona, Strimzi) of every
// cluster of a namespace, with the simulator, as they would react to what the
// operator writes: a child reports healthy, except while an operation that rolls the
// instances waits to see the rollout, when it reports degraded.
type childOperators struct {
	// cache reads the clusters, operations and children; only writes go to the API
	// server, so a hundred clusters do not cost a hundred lists a round.
	cache     client.Reader
	namespace string
	// rolls names the operations whose child operator rolls the instances.
	rolls map[string]bool
	// played is, by cluster, the scenario and the children's versions of its last
	// simulation that wrote without error: a cluster whose children did not change
	// since is not simulated again.
	played map[string]string
	// rounds counts the simulation rounds; simulated counts the clusters simulated.
	rounds, simulated int
}

// run plays rounds until ctx ends.
func (p *childOperators) run(ctx context.Context) {
	for ctx.Err() == nil {
		p.round(ctx)
		p.rounds++
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// round simulates every cluster whose children or scenario changed.
func (p *childOperators) round(ctx context.Context) {
	var clusters dbaasv1.DatabaseClusterList
	var ops dbaasv1.OpsRequestList
	if p.cache.List(ctx, &clusters, client.InNamespace(p.namespace)) != nil || p.cache.List(ctx, &ops, client.InNamespace(p.namespace)) != nil {
		return
	}
	rolling := map[string]bool{}
	for _, op := range ops.Items {
		if p.rolls[op.Name] && op.Status.Phase == dbaasv1.OpsRunning && logged(&op, "Applied") && !logged(&op, "Reached") {
			rolling[op.Spec.ClusterRef] = true
		}
	}
	for _, c := range clusters.Items {
		scenario := "healthy"
		if rolling[c.Name] {
			scenario = "degraded"
		}
		engine, ok := env.registry.Get(c.Spec.Engine)
		if !ok {
			continue
		}
		children, err := apply.Labelled(ctx, p.cache, engine.Kinds, p.namespace, map[string]string{dbaasv1.ClusterLabel: c.Name})
		if err != nil || len(children) == 0 {
			continue
		}
		versions := []string{scenario}
		for _, child := range children {
			versions = append(versions, child.GetKind()+"/"+child.GetName()+"@"+child.GetResourceVersion())
		}
		slices.Sort(versions[1:])
		fingerprint := strings.Join(versions, " ")
		if p.played[c.Name] == fingerprint {
			continue
		}
		p.simulated++
		if _, err := env.simulator.Cluster(ctx, p.namespace, c.Name, scenario); err == nil {
			p.played[c.Name] = fingerprint
		}
	}
}

// logged reports whether an operation's action log holds the action.
func logged(op *dbaasv1.OpsRequest, action string) bool {
	return slices.ContainsFunc(op.Status.Actions, func(a dbaasv1.OpsAction) bool { return a.Action == action })
}
