package simulate

import (
	"context"
	"encoding/json"
	"fmt"

	"cuelang.org/go/cue"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/render"
)

var (
	backupOfPath        = cue.ParsePath("backupOf")
	scheduledBackupPath = cue.ParsePath("scheduledBackup")
)

// ScheduledBackup plays the child operator's schedule taking a backup of the named
// DatabaseCluster: it creates the backup object the engine's simulation says the
// child operator creates (scheduledBackup, with its labels, not the operator's),
// unless it exists, and writes the scenario's status to it (healthy: completed,
// failed, creating: running).
func (s *Simulator) ScheduledBackup(ctx context.Context, namespace, cluster, name, scenario string) error {
	dbc := &dbaasv1.DatabaseCluster{}
	if err := s.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: cluster}, dbc); err != nil {
		return err
	}
	obj, err := s.scheduledBackup(dbc.Spec.Engine, cluster, name)
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{Object: obj}
	u.SetNamespace(namespace)
	if err := s.client.Create(ctx, u); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("cannot create %s %s: %w", u.GetKind(), name, err)
	}
	if err := s.client.Get(ctx, client.ObjectKeyFromObject(u), u); err != nil {
		return err
	}
	o, err := s.child(ctx, s.client, dbc.Spec.Engine, u, scenario, true)
	if err != nil {
		return err
	}
	if !o.written {
		return fmt.Errorf("the simulation of %s does not play %s", dbc.Spec.Engine, u.GetKind())
	}
	return nil
}

// scheduledBackup evaluates the engine simulation's scheduledBackup.
func (s *Simulator) scheduledBackup(engine, cluster, name string) (map[string]any, error) {
	b, err := json.Marshal(map[string]string{"cluster": cluster, "name": name})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sim, ok := s.engines[engine]
	if !ok {
		return nil, fmt.Errorf("engine %q has no simulation", engine)
	}
	in, err := render.CompileJSON(s.ctx, "backupOf", b)
	if err != nil {
		return nil, err
	}
	v := sim.FillPath(backupOfPath, in).LookupPath(scheduledBackupPath)
	if !v.Exists() {
		return nil, fmt.Errorf("the simulation of %s takes no scheduled backups", engine)
	}
	var obj map[string]any
	if err := v.Decode(&obj); err != nil {
		return nil, fmt.Errorf("cannot simulate a scheduled backup of %s: %w", cluster, err)
	}
	return obj, nil
}
