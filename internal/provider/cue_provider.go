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
	prepared, err := Prepare(cluster)
	if err != nil {
		return nil, err
	}
	refs, err := p.engine.Requires(requiresInput(prepared.Input))
	if err != nil {
		return nil, err
	}
	lookups := map[string]map[string]any{}
	prepared.Missing = map[string]render.ObjectRef{}
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
			prepared.Missing[key] = ref
			continue
		case err != nil:
			return nil, &ReadError{Err: fmt.Errorf("cannot read %s %s that engine %s requires: %w", ref.Kind, ref.Name, p.Name(), err)}
		}
		if lookups[key], err = lookupInput(u, ref.Fields); err != nil {
			return nil, fmt.Errorf("engine %s: requires.%s: %w", p.Name(), key, err)
		}
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

// requiresInput is the input `requires` is evaluated with: the cluster's identity
// and spec, without its status and the context. What an engine reads depends on what
// the user asked for, and an input that stays the same while the operator writes
// the cluster's status is answered from the memo: the webhook's evaluation of a new
// spec serves every reconcile after it.
func requiresInput(in render.Input) render.Input {
	cluster := make(map[string]any, len(in.Cluster))
	for k, v := range in.Cluster {
		if k != "status" {
			cluster[k] = v
		}
	}
	return render.Input{Cluster: cluster}
}

// GetApplier starts a staged render.
func (p *cueProvider) GetApplier(prepared *Prepared) (Applier, error) {
	s, err := p.engine.NewSession(prepared.Input)
	if err != nil {
		return nil, err
	}
	return &cueApplier{session: s}, nil
}

// Status evaluates the engine's status mapping over the children, keyed as rendered,
// and which of the one-shot children finished.
func (p *cueProvider) Status(prepared *Prepared, observed, backups []*unstructured.Unstructured) (*Status, error) {
	byKey := map[string]map[string]any{}
	for _, u := range observed {
		if key := KeyOf(u); key != "" {
			byKey[key] = observedInput(u)
		}
	}
	backupInputs := make([]map[string]any, 0, len(backups))
	for _, u := range backups {
		backupInputs = append(backupInputs, observedInput(u))
	}
	result, err := p.engine.Status(prepared.Input, byKey, backupInputs)
	if err != nil {
		return nil, err
	}
	status, err := decodeStatus(result)
	if err != nil {
		return nil, err
	}
	if status.FinishedOneShots, err = p.engine.FinishedOneShots(prepared.Input, byKey, backupInputs); err != nil {
		return nil, err
	}
	return status, nil
}
