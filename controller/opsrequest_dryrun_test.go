package controller_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/policy"
	"dbaas.io/operator/internal/render"
)

// writes records every write sent through its client, as "verb kind".
type writes struct {
	mu   sync.Mutex
	sent []string
}

func (w *writes) add(verb, kind string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sent = append(w.sent, verb+" "+kind)
}

// others returns the writes other than to an OpsRequest's status.
func (w *writes) others() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, s := range w.sent {
		if s != "status-update OpsRequest" && s != "status-patch OpsRequest" {
			out = append(out, s)
		}
	}
	return out
}

// client wraps c so that every write is recorded.
func (w *writes) client(c client.WithWatch) client.WithWatch {
	return interceptor.NewClient(indexed(c), interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			w.add("create", kindOf(obj))
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			w.add("update", kindOf(obj))
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			w.add("patch", kindOf(obj))
			return c.Patch(ctx, obj, patch, opts...)
		},
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			w.add("apply", fmt.Sprintf("%T", obj))
			return c.Apply(ctx, obj, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			w.add("delete", kindOf(obj))
			return c.Delete(ctx, obj, opts...)
		},
		DeleteAllOf: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteAllOfOption) error {
			w.add("deleteallof", kindOf(obj))
			return c.DeleteAllOf(ctx, obj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			w.add(sub+"-update", kindOf(obj))
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			w.add(sub+"-patch", kindOf(obj))
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
		SubResourceCreate: func(ctx context.Context, c client.Client, sub string, obj client.Object, subObj client.Object, opts ...client.SubResourceCreateOption) error {
			w.add(sub+"-create", kindOf(obj))
			return c.SubResource(sub).Create(ctx, obj, subObj, opts...)
		},
	})
}

// dryRun makes an OpsRequest a dry run.
func dryRun() opsOption {
	return func(o *dbaasv1.OpsRequest) { o.Spec.DryRun = true }
}

// TestOpsDryRunRecordsThePlanAndChangesNothing: a dry run of a declarative and of an
// imperative operation ends Succeeded with reason DryRun, its plan recorded with
// every step Pending, and writes nothing but its own status: the DatabaseCluster and
// its child keep their resourceVersion.
func TestOpsDryRunRecordsThePlanAndChangesNothing(t *testing.T) {
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "lake", withSize(3)))
	clusterVersion := getCluster(t, ns, "lake").ResourceVersion
	childVersion := cnpgCluster(t, ns, "lake").GetResourceVersion()
	w := &writes{}
	r, _ := opsReconciler(t, w.client(k8s))

	createOps(t, newOps(ns, "lake-scale", "lake", dbaasv1.OpsHorizontalScaling, scaleTo(5), dryRun()))
	mustReconcileOps(t, r, ns, "lake-scale")
	o := getOps(t, ns, "lake-scale")
	wantFinished(t, o, dbaasv1.OpsSucceeded, dbaasv1.DryRunReason)
	if o.Status.Plan == nil || len(o.Status.Plan.Steps) != 1 {
		t.Fatalf("plan %+v, want the spec patch alone", o.Status.Plan)
	}
	step := o.Status.Plan.Steps[0]
	if step.State != dbaasv1.OpsStepPending || step.Target.Kind != "DatabaseCluster" || !strings.Contains(string(step.Patch.Raw), `"clusterSize":5`) {
		t.Fatalf("step %s: %s %s/%s %s, want a Pending patch of the DatabaseCluster to clusterSize 5", step.Name, step.State, step.Target.Kind, step.Target.Name, step.Patch.Raw)
	}
	if o.Status.StartTime != nil {
		t.Fatalf("a dry run has a start time %s: it never started", o.Status.StartTime)
	}

	createOps(t, newOps(ns, "lake-restart", "lake", dbaasv1.OpsRestart, dryRun()))
	mustReconcileOps(t, r, ns, "lake-restart")
	o = getOps(t, ns, "lake-restart")
	wantFinished(t, o, dbaasv1.OpsSucceeded, dbaasv1.DryRunReason)
	if len(o.Status.Plan.Steps) == 0 {
		t.Fatal("a dry run of a restart records no step")
	}
	for _, s := range o.Status.Plan.Steps {
		if s.State != dbaasv1.OpsStepPending || s.Target.Kind != "Cluster" || s.Target.Name != "lake" || s.Target.UID == "" {
			t.Fatalf("step %s: %s on %s/%s (UID %q), want Pending on the Cluster lake, resolved to its UID", s.Name, s.State, s.Target.Kind, s.Target.Name, s.Target.UID)
		}
	}

	if got := w.others(); len(got) > 0 {
		t.Fatalf("dry runs wrote %v; only their own status may be written", got)
	}
	if v := getCluster(t, ns, "lake").ResourceVersion; v != clusterVersion {
		t.Fatalf("the DatabaseCluster changed: resourceVersion %s, was %s", v, clusterVersion)
	}
	if v := cnpgCluster(t, ns, "lake").GetResourceVersion(); v != childVersion {
		t.Fatalf("the Cluster changed: resourceVersion %s, was %s", v, childVersion)
	}
}

// TestOpsDryRunFailsAsARealOneWould: the engine's checks and the policy refuse a
// dry run with the reasons they give a real operation; a policy that only objects
// that the cluster is not Ready lets the plan be made and says a real operation
// would wait.
func TestOpsDryRunFailsAsARealOneWould(t *testing.T) {
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "fen", withSize(3)))
	r, _ := opsReconciler(t, indexed(k8s))

	createOps(t, newOps(ns, "fen-switch", "fen", dbaasv1.OpsSwitchover, dryRun(), func(o *dbaasv1.OpsRequest) {
		o.Spec.Switchover = &dbaasv1.Switchover{Instance: "fen-1"}
	}))
	mustReconcileOps(t, r, ns, "fen-switch")
	o := getOps(t, ns, "fen-switch")
	wantFinished(t, o, dbaasv1.OpsFailed, dbaasv1.InvalidParametersReason)
	if msg := condition(t, o, dbaasv1.OpsSucceededCondition).Message; !strings.Contains(msg, "fen-1 is the primary already") {
		t.Fatalf("message %q does not give the engine's reason", msg)
	}
	if o.Status.Plan != nil {
		t.Fatalf("a refused dry run records a plan: %+v", o.Status.Plan)
	}

	r.Policy = fixedPolicy{policy.Violation{Field: "spec.type", Reason: "OpsForbidden", Message: "restarts are forbidden here"}}
	createOps(t, newOps(ns, "fen-restart", "fen", dbaasv1.OpsRestart, dryRun()))
	mustReconcileOps(t, r, ns, "fen-restart")
	o = getOps(t, ns, "fen-restart")
	wantFinished(t, o, dbaasv1.OpsFailed, dbaasv1.PolicyDeniedReason)
	if msg := condition(t, o, dbaasv1.OpsSucceededCondition).Message; !strings.Contains(msg, "restarts are forbidden here") {
		t.Fatalf("message %q does not give the policy's reason", msg)
	}

	r.Policy = fixedPolicy{policy.Violation{Field: "status", Reason: policy.ReasonClusterNotReady, Message: "the cluster is not Ready"}}
	createOps(t, newOps(ns, "fen-restart-later", "fen", dbaasv1.OpsRestart, dryRun()))
	mustReconcileOps(t, r, ns, "fen-restart-later")
	o = getOps(t, ns, "fen-restart-later")
	wantFinished(t, o, dbaasv1.OpsSucceeded, dbaasv1.DryRunReason)
	if msg := condition(t, o, dbaasv1.OpsSucceededCondition).Message; !strings.Contains(msg, "would wait first: the cluster is not Ready") {
		t.Fatalf("message %q does not say a real operation would wait", msg)
	}
}

// fixedPolicy answers every operation with the same violations.
type fixedPolicy []policy.Violation

func (p fixedPolicy) Ops(context.Context, *dbaasv1.OpsRequest, *dbaasv1.DatabaseCluster, *render.Engine, map[string]any) (policy.Decision, error) {
	return policy.Decision{Violations: p}, nil
}

// TestOpsDryRunHoldsNoPlaceInTheQueue: a pending dry run created first does not
// hold back a real operation, and a dry run does not wait behind a running one.
func TestOpsDryRunHoldsNoPlaceInTheQueue(t *testing.T) {
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "bay", withSize(3)))
	r, _ := opsReconciler(t, indexed(k8s))

	// Created first, and first by name within the same second.
	createOps(t, newOps(ns, "bay-a-plan", "bay", dbaasv1.OpsHorizontalScaling, scaleTo(5), dryRun()))
	createOps(t, newOps(ns, "bay-restart", "bay", dbaasv1.OpsRestart))
	mustReconcileOps(t, r, ns, "bay-restart")
	if o := getOps(t, ns, "bay-restart"); o.Status.Phase != dbaasv1.OpsRunning {
		t.Fatalf("the real operation is %s behind a pending dry run, want Running", o.Status.Phase)
	}
	mustReconcileOps(t, r, ns, "bay-a-plan")
	wantFinished(t, getOps(t, ns, "bay-a-plan"), dbaasv1.OpsSucceeded, dbaasv1.DryRunReason)
	if o := getOps(t, ns, "bay-restart"); o.Status.Phase != dbaasv1.OpsRunning {
		t.Fatalf("the real operation is %s after the dry run, want Running", o.Status.Phase)
	}
}

// TestOpsDryRunIsImmutable: the API server itself (no webhook here) refuses to turn
// a dry run into a real operation or a real one into a dry run.
func TestOpsDryRunIsImmutable(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	createOps(t, newOps(ns, "cove-plan", "cove", dbaasv1.OpsRestart, dryRun()))
	createOps(t, newOps(ns, "cove-restart", "cove", dbaasv1.OpsRestart))
	for name, to := range map[string]bool{"cove-plan": false, "cove-restart": true} {
		o := getOps(t, ns, name)
		o.Spec.DryRun = to
		err := k8s.Update(ctx, o)
		if err == nil || !strings.Contains(err.Error(), "an OpsRequest is immutable") {
			t.Fatalf("setting dryRun to %t on %s: %v, want refused as immutable", to, name, err)
		}
	}
	o := getOps(t, ns, "cove-restart")
	o.Spec.Cancel = true
	if err := k8s.Update(ctx, o); err != nil {
		t.Fatalf("cancel is still allowed: %v", err)
	}
}
