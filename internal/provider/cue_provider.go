package provider

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/render"
)

// cueProvider implements Provider by evaluating a CUE engine package.
type cueProvider struct {
	engine *render.Engine
}

func (p *cueProvider) Name() string                  { return p.engine.Name }
func (p *cueProvider) Engine() *render.Engine        { return p.engine }
func (p *cueProvider) Operations() OperationsHandler { return cueOperations{engine: p.engine} }

// PreReconcileHook fetches what the engine's `requires` names and evaluates its
// preconditions with those objects in input.context.lookups.
func (p *cueProvider) PreReconcileHook(ctx context.Context, c client.Reader, cluster *dbaasv1.DatabaseCluster) (*Prepared, error) {
	in, err := ClusterInput(cluster)
	if err != nil {
		return nil, err
	}
	prepared := &Prepared{Cluster: cluster, Input: render.Input{Cluster: in}}
	refs, err := p.engine.Requires(prepared.Input)
	if err != nil {
		return nil, err
	}
	lookups := map[string]map[string]any{}
	for key, ref := range refs {
		u := &unstructured.Unstructured{}
		gv, err := schema.ParseGroupVersion(ref.APIVersion)
		if err != nil {
			return nil, fmt.Errorf("engine %s requires %s with a bad apiVersion: %w", p.Name(), key, err)
		}
		u.SetGroupVersionKind(gv.WithKind(ref.Kind))
		err = c.Get(ctx, client.ObjectKey{Namespace: cluster.Namespace, Name: ref.Name}, u)
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, fmt.Errorf("cannot read %s %s that engine %s requires: %w", ref.Kind, ref.Name, p.Name(), err)
		}
		lookups[key] = observedInput(u)
	}
	prepared.Input.Context.Lookups = lookups
	pre, err := p.engine.Preconditions(prepared.Input)
	if err != nil {
		return nil, err
	}
	for _, c := range pre {
		if !c.OK {
			prepared.Unmet = append(prepared.Unmet, c)
		}
	}
	return prepared, nil
}

// GetApplier starts a staged render.
func (p *cueProvider) GetApplier(prepared *Prepared) (Applier, error) {
	s, err := p.engine.NewSession(prepared.Input)
	if err != nil {
		return nil, err
	}
	return &cueApplier{session: s}, nil
}

// Status evaluates the engine's status mapping over the children, keyed as rendered.
func (p *cueProvider) Status(prepared *Prepared, observed []*unstructured.Unstructured) (*Status, error) {
	byKey := map[string]map[string]any{}
	for _, u := range observed {
		if key := keyOf(u); key != "" {
			byKey[key] = observedInput(u)
		}
	}
	result, err := p.engine.Status(prepared.Input, byKey)
	if err != nil {
		return nil, err
	}
	return decodeStatus(result)
}

// Cleanup deletes every child, except that under deletionPolicy Retain the children
// the engine lists in cleanup.retain are orphaned: the owner reference is removed so
// they and their data outlive the cluster.
func (p *cueProvider) Cleanup(ctx context.Context, c client.Client, prepared *Prepared, observed []*unstructured.Unstructured) (int, error) {
	retain := map[string]bool{}
	if prepared.Cluster.Spec.DeletionPolicy == dbaasv1.DeletionPolicyRetain {
		keys, err := p.engine.Retained(prepared.Input)
		if err != nil {
			return len(observed), err
		}
		for _, k := range keys {
			retain[k] = true
		}
	}
	remaining := 0
	for _, u := range observed {
		if retain[keyOf(u)] {
			if err := orphan(ctx, c, prepared.Cluster, u); err != nil {
				return len(observed), err
			}
			continue
		}
		if u.GetDeletionTimestamp() == nil {
			if err := c.Delete(ctx, u); err != nil && !apierrors.IsNotFound(err) {
				return len(observed), fmt.Errorf("cannot delete %s %s: %w", u.GetKind(), u.GetName(), err)
			}
		}
		remaining++
	}
	return remaining, nil
}
