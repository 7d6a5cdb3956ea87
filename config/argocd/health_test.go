package argocd

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// The kstatus conditions of a DatabaseCluster.
const (
	reconciling = "Reconciling"
	stalled     = "Stalled"
)

func TestDatabaseClusterHealth(t *testing.T) {
	tests := map[string]struct {
		cluster *dbaasv1.DatabaseCluster
		// status is Argo CD's health status; message a part of its message.
		status, message string
	}{
		"just created, no status": {
			cluster: cluster(noStatus),
			status:  "Progressing", message: "waiting for the operator",
		},
		"created, status of no generation yet": {
			cluster: cluster(observed(0), phase(dbaasv1.PhaseCreating)),
			status:  "Progressing", message: "has not reconciled generation 1 yet",
		},
		"creating": {
			cluster: cluster(phase(dbaasv1.PhaseCreating),
				condition(dbaasv1.ReadyCondition, "False", "Creating", "The CloudNativePG Cluster does not exist yet"),
				condition(reconciling, "True", "Creating", "the cluster is not Ready at its current spec yet"),
				condition(stalled, "False", "Progressing", "")),
			status: "Progressing", message: "not Ready at its current spec yet",
		},
		"ready": {
			cluster: cluster(phase(dbaasv1.PhaseReady),
				condition(dbaasv1.ReadyCondition, "True", "Ready", "3 of 3 instances are ready"),
				condition(dbaasv1.ReconciledCondition, "True", dbaasv1.AppliedReason, ""),
				condition(dbaasv1.ProgressingCondition, "False", "Ready", ""),
				condition(reconciling, "False", "Ready", "the cluster is Ready at its current spec"),
				condition(stalled, "False", "Progressing", "")),
			status: "Healthy", message: "3 of 3 instances are ready",
		},
		"scaled, the operator has not seen it yet": {
			cluster: cluster(generation(2), observed(1), phase(dbaasv1.PhaseReady),
				condition(dbaasv1.ReadyCondition, "True", "Ready", "1 of 1 instances are ready"),
				condition(reconciling, "False", "Ready", "")),
			status: "Progressing", message: "has not reconciled generation 2 yet (status is of 1)",
		},
		"scaling, the old instances serve": {
			cluster: cluster(generation(2), observed(2), phase(dbaasv1.PhaseScaling),
				condition(dbaasv1.ReadyCondition, "True", "Ready", "1 of 3 instances are ready"),
				condition(dbaasv1.ProgressingCondition, "True", "Scaling", ""),
				condition(reconciling, "True", "Scaling", "the cluster is not Ready at its current spec yet: 1 of 3 instances are ready")),
			status: "Progressing", message: "1 of 3 instances are ready",
		},
		"stalled by the policy": {
			cluster: cluster(phase(dbaasv1.PhaseCreating),
				condition(dbaasv1.ReconciledCondition, "False", dbaasv1.PolicyDeniedReason, "clusterSize 9 is above the tier's 5"),
				condition(reconciling, "False", dbaasv1.PolicyDeniedReason, "stalled: clusterSize 9 is above the tier's 5"),
				condition(stalled, "True", dbaasv1.PolicyDeniedReason, "clusterSize 9 is above the tier's 5")),
			status: "Degraded", message: "clusterSize 9 is above the tier's 5",
		},
		"failed": {
			cluster: cluster(phase(dbaasv1.PhaseFailed),
				condition(dbaasv1.ReadyCondition, "False", "Failed", "Cluster is unrecoverable and needs manual intervention"),
				condition(reconciling, "False", "Failed", "stalled"),
				condition(stalled, "True", "Failed", "Cluster is unrecoverable and needs manual intervention")),
			status: "Degraded", message: "unrecoverable",
		},
		"failed, from an operator without Stalled": {
			cluster: cluster(phase(dbaasv1.PhaseFailed),
				condition(dbaasv1.ReadyCondition, "False", "Failed", "no instance can be promoted")),
			status: "Degraded", message: "no instance can be promoted",
		},
		"paused": {
			cluster: cluster(paused, phase(dbaasv1.PhasePaused),
				condition(dbaasv1.ReadyCondition, "True", "Ready", ""),
				condition(reconciling, "False", dbaasv1.PausedReason, "")),
			status: "Suspended", message: "paused",
		},
		"paused while stalled": {
			cluster: cluster(paused, generation(3), observed(2), phase(dbaasv1.PhaseFailed),
				condition(stalled, "True", "Failed", "")),
			status: "Suspended", message: "paused",
		},
		"stopping": {
			cluster: cluster(stopped, phase(dbaasv1.PhaseStopping),
				condition(dbaasv1.ReadyCondition, "False", "Stopping", "hibernating"),
				condition(reconciling, "True", "Stopping", "the cluster is not Ready at its current spec yet: hibernating")),
			status: "Progressing", message: "hibernating",
		},
		"stopped": {
			cluster: cluster(stopped, phase(dbaasv1.PhaseStopped),
				condition(dbaasv1.ReadyCondition, "False", "Stopped", "hibernated"),
				condition(reconciling, "True", "Stopped", "")),
			status: "Suspended", message: "stopped",
		},
		"ready, from an operator without Reconciling, converging": {
			cluster: cluster(phase(dbaasv1.PhaseUpdating),
				condition(dbaasv1.ReadyCondition, "True", "Ready", "3 of 3 instances are ready"),
				condition(dbaasv1.ProgressingCondition, "True", "Updating", "rolling")),
			status: "Progressing", message: "3 of 3",
		},
		"ready, from an operator without Reconciling, settled": {
			cluster: cluster(phase(dbaasv1.PhaseReady),
				condition(dbaasv1.ReadyCondition, "True", "Ready", "3 of 3 instances are ready"),
				condition(dbaasv1.ProgressingCondition, "False", "Ready", "")),
			status: "Healthy", message: "3 of 3",
		},
		"not ready, no message": {
			cluster: cluster(phase(dbaasv1.PhaseUpdating), condition(dbaasv1.ReadyCondition, "False", "Updating", "")),
			status:  "Progressing", message: "waiting for the cluster to become Ready",
		},
	}
	script := read(t, "dbaas.io/DatabaseCluster/health.lua")
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			status, message := health(t, script, tc.cluster)
			if status != tc.status || !strings.Contains(message, tc.message) {
				t.Errorf("health = %s %q, want %s with %q", status, message, tc.status, tc.message)
			}
		})
	}
}

func TestOpsRequestHealth(t *testing.T) {
	tests := map[string]struct {
		status dbaasv1.OpsRequestStatus
		// want is Argo CD's health status; message a part of its message.
		want, message string
	}{
		"not seen by the operator yet": {
			want: "Progressing", message: "pending",
		},
		"queued": {
			status: dbaasv1.OpsRequestStatus{Phase: dbaasv1.OpsPending, Conditions: []metav1.Condition{
				cond(dbaasv1.OpsQueuedCondition, "True", dbaasv1.WaitingReason, "waiting for OpsRequest pets-cpu (VerticalScaling, Running) on DatabaseCluster pets")}},
			want: "Progressing", message: "waiting for OpsRequest pets-cpu",
		},
		"running": {
			status: dbaasv1.OpsRequestStatus{Phase: dbaasv1.OpsRunning, Progress: "1/3", Conditions: []metav1.Condition{
				cond(dbaasv1.OpsProgressingCondition, "True", dbaasv1.RunningReason, "waiting for CloudNativePG: Cluster in healthy state, 1/3 instances ready")}},
			want: "Progressing", message: "1/3 instances ready (1/3)",
		},
		"succeeded": {
			status: dbaasv1.OpsRequestStatus{Phase: dbaasv1.OpsSucceeded, Progress: "3/3", Conditions: []metav1.Condition{
				cond(dbaasv1.OpsSucceededCondition, "True", dbaasv1.SucceededReason, "HorizontalScaling succeeded")}},
			want: "Healthy", message: "HorizontalScaling succeeded",
		},
		"failed": {
			status: dbaasv1.OpsRequestStatus{Phase: dbaasv1.OpsFailed, Conditions: []metav1.Condition{
				cond(dbaasv1.OpsSucceededCondition, "False", dbaasv1.ActionFailedReason, "action create the Backup: cannot create Backup pets-nightly")}},
			want: "Degraded", message: "Failed: action create the Backup",
		},
		"timed out": {
			status: dbaasv1.OpsRequestStatus{Phase: dbaasv1.OpsTimedOut, Conditions: []metav1.Condition{
				cond(dbaasv1.OpsSucceededCondition, "False", dbaasv1.TimedOutReason, "the operation did not finish within 600s")}},
			want: "Degraded", message: "TimedOut: the operation did not finish within 600s",
		},
		"cancelled": {
			status: dbaasv1.OpsRequestStatus{Phase: dbaasv1.OpsCancelled, Conditions: []metav1.Condition{
				cond(dbaasv1.OpsSucceededCondition, "False", dbaasv1.CancelledReason, "cancelled while pending: nothing was changed")}},
			want: "Suspended", message: "cancelled: cancelled while pending",
		},
	}
	script := read(t, "dbaas.io/OpsRequest/health.lua")
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ops := &dbaasv1.OpsRequest{
				TypeMeta:   metav1.TypeMeta{APIVersion: "dbaas.io/v1alpha1", Kind: "OpsRequest"},
				ObjectMeta: metav1.ObjectMeta{Name: "pets-out", Namespace: "shop", Generation: 1},
				Spec:       dbaasv1.OpsRequestSpec{ClusterRef: "pets", Type: dbaasv1.OpsHorizontalScaling, HorizontalScaling: &dbaasv1.HorizontalScaling{Replicas: 3}},
				Status:     tc.status,
			}
			status, message := health(t, script, ops)
			if status != tc.want || !strings.Contains(message, tc.message) {
				t.Errorf("health = %s %q, want %s with %q", status, message, tc.want, tc.message)
			}
		})
	}
}

// update rewrites argocd-cm.yaml from the scripts.
var update = flag.Bool("update", false, "rewrite argocd-cm.yaml from the health.lua scripts")

// TestConfigMapPatch checks that argocd-cm.yaml carries the scripts as they are.
func TestConfigMapPatch(t *testing.T) {
	var b strings.Builder
	b.WriteString(configMapHeader)
	for _, kind := range []string{"DatabaseCluster", "OpsRequest"} {
		fmt.Fprintf(&b, "  resource.customizations.health.dbaas.io_%s: |\n", kind)
		for _, line := range strings.SplitAfter(read(t, "dbaas.io/"+kind+"/health.lua"), "\n") {
			if strings.TrimSpace(line) != "" {
				b.WriteString("    " + line)
			} else if line != "" {
				b.WriteString("\n")
			}
		}
	}
	want := b.String()
	if *update {
		if err := os.WriteFile("argocd-cm.yaml", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := read(t, "argocd-cm.yaml")
	if got != want {
		t.Fatalf("argocd-cm.yaml does not carry the health.lua scripts as they are: run go test ./config/argocd -run TestConfigMapPatch -update")
	}
	// It is a valid ConfigMap whose scripts come back byte for byte.
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal([]byte(got), &cm); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"DatabaseCluster", "OpsRequest"} {
		if cm.Data["resource.customizations.health.dbaas.io_"+kind] != read(t, "dbaas.io/"+kind+"/health.lua") {
			t.Errorf("the %s script in argocd-cm.yaml differs from its health.lua", kind)
		}
	}
}

const configMapHeader = `# Argo CD health checks of the dbaas.io kinds, as a patch of argocd-cm. Apply it
# with: kubectl -n argocd patch configmap argocd-cm --patch-file config/argocd/argocd-cm.yaml
# Generated from dbaas.io/<Kind>/health.lua by
# go test ./config/argocd -run TestConfigMapPatch -update; do not edit.
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
  labels:
    app.kubernetes.io/name: argocd-cm
    app.kubernetes.io/part-of: argocd
data:
`

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// health runs a health script as Argo CD does (util/lua): only the package, base
// and table libraries, the object as the global obj, the returned table read as
// {status, message}.
func health(t *testing.T, script string, obj any) (status, message string) {
	t.Helper()
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	// A Go struct marshals an empty status as {}; the API server stores none.
	if status, ok := m["status"].(map[string]any); ok && len(status) == 0 {
		delete(m, "status")
	}
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			t.Fatal(err)
		}
	}
	l.SetGlobal("obj", toLua(l, m))
	if err := l.DoString(script); err != nil {
		t.Fatalf("the script fails: %v", err)
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("the script returns %s, want a table", l.Get(-1).Type())
	}
	return lua.LVAsString(ret.RawGetString("status")), lua.LVAsString(ret.RawGetString("message"))
}

// toLua converts decoded JSON to Lua values as Argo CD does: objects and arrays
// become tables.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := l.NewTable()
		for k, item := range v {
			t.RawSetString(k, toLua(l, item))
		}
		return t
	case []any:
		t := l.NewTable()
		for _, item := range v {
			t.Append(toLua(l, item))
		}
		return t
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	}
	return lua.LNil
}

// cluster builds a DatabaseCluster of generation 1 with a status of that generation.
func cluster(opts ...func(*dbaasv1.DatabaseCluster)) *dbaasv1.DatabaseCluster {
	c := &dbaasv1.DatabaseCluster{
		TypeMeta:   metav1.TypeMeta{APIVersion: "dbaas.io/v1alpha1", Kind: "DatabaseCluster"},
		ObjectMeta: metav1.ObjectMeta{Name: "pets", Namespace: "shop", Generation: 1},
		Spec:       dbaasv1.DatabaseClusterSpec{Engine: "postgresql"},
		Status:     dbaasv1.DatabaseClusterStatus{ObservedGeneration: 1},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// generation changes the spec's generation; the status stays of the one before.
func generation(g int64) func(*dbaasv1.DatabaseCluster) {
	return func(c *dbaasv1.DatabaseCluster) { c.Generation = g }
}

func observed(g int64) func(*dbaasv1.DatabaseCluster) {
	return func(c *dbaasv1.DatabaseCluster) { c.Status.ObservedGeneration = g }
}

func phase(p dbaasv1.ClusterPhase) func(*dbaasv1.DatabaseCluster) {
	return func(c *dbaasv1.DatabaseCluster) { c.Status.Phase = p }
}

// noStatus is a cluster as the API server stores it on creation: without status.
func noStatus(c *dbaasv1.DatabaseCluster) { c.Status = dbaasv1.DatabaseClusterStatus{} }

func condition(typ, status, reason, message string) func(*dbaasv1.DatabaseCluster) {
	return func(c *dbaasv1.DatabaseCluster) {
		c.Status.Conditions = append(c.Status.Conditions, cond(typ, status, reason, message))
	}
}

func paused(c *dbaasv1.DatabaseCluster)  { c.Spec.Paused = true }
func stopped(c *dbaasv1.DatabaseCluster) { c.Spec.Stopped = true }

func cond(typ, status, reason, message string) metav1.Condition {
	return metav1.Condition{Type: typ, Status: metav1.ConditionStatus(status), Reason: reason, Message: message, ObservedGeneration: 1}
}
