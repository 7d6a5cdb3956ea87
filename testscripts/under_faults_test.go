package testscripts

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/faults"
	"dbaas.io/operator/internal/operator"
)

// chaosClusters are the clusters of the run, by name prefix: 100 of four engines.
var chaosClusters = []struct {
	prefix string
	count  int
	spec   string
}{
	{"pg", 52, `{engine: postgresql, clusterSize: 1, storage: {size: 1Gi}}`},
	{"pgb", 8, `{engine: postgresql, clusterSize: 1, storage: {size: 1Gi},
		backup: {enabled: true, storage: {s3: {bucket: backups, credentialsSecret: s3-creds}}}}`},
	{"my", 14, `{engine: mysql, storage: {size: 1Gi}}`},
	{"mg", 13, `{engine: mongodb, storage: {size: 1Gi}}`},
	{"kf", 13, `{engine: kafka, clusterSize: 3, storage: {size: 1Gi}}`},
}

// chaosOps are the operations of the run, 50 of them, each on its own cluster (the
// first ones of a prefix), so that what reached a cluster's objects was done by its
// one operation.
var chaosOps = []struct {
	prefix string
	count  int
	spec   string
	// rolls: the child operator rolls the instances, and the operation waits to see
	// the rollout (its child reports degraded until it has).
	rolls bool
}{
	{prefix: "pg", count: 8, spec: `{type: HorizontalScaling, horizontalScaling: {replicas: 3}}`},
	{prefix: "pg", count: 6, spec: `{type: VerticalScaling, verticalScaling: {resources:
		{requests: {cpu: "1", memory: 1Gi}, limits: {cpu: "2", memory: 2Gi}}}}`, rolls: true},
	{prefix: "pg", count: 6, spec: `{type: Reconfiguring, reconfiguring: {config: [{name: work_mem, value: 16MB}]}}`},
	{prefix: "pg", count: 6, spec: `{type: Restart}`, rolls: true},
	{prefix: "pgb", count: 6, spec: `{type: Backup}`},
	{prefix: "my", count: 4, spec: `{type: HorizontalScaling, horizontalScaling: {replicas: 5}}`},
	{prefix: "my", count: 3, spec: `{type: Restart}`, rolls: true},
	{prefix: "mg", count: 3, spec: `{type: HorizontalScaling, horizontalScaling: {replicas: 5}}`},
	{prefix: "mg", count: 3, spec: `{type: VerticalScaling, verticalScaling: {resources:
		{requests: {cpu: "1", memory: 1Gi}, limits: {cpu: "2", memory: 2Gi}}}}`},
	{prefix: "kf", count: 5, spec: `{type: HorizontalScaling, horizontalScaling: {replicas: 5}}`},
}

const (
	// chaosRate is the share of the operator's reads and writes that fail.
	chaosRate = 0.1
	// convergeTimeout bounds each phase: the clusters becoming Ready, then the
	// operations finishing; stallTimeout ends a phase that made no progress for that
	// long. Then the test fails and says what did not converge. A reconcile makes
	// several calls, so at this rate an object meets runs of failures and waits out
	// the controllers' backoff, up to 30 s a retry: a stall is three of them without
	// progress.
	convergeTimeout = 4 * time.Minute
	stallTimeout    = 90 * time.Second
)

// TestConvergesUnderFaults creates 100 clusters of every engine, then runs 50
// operations on them, while 10% of the operator's API calls (reads and writes) fail
// with conflicts, throttling, server errors, timeouts and reset connections. Every
// cluster must become Ready, every operation must succeed, and no operation's
// action may reach the API server twice. (Its file sorts after scripts_test.go, so
// it runs after the scenarios and its hundred clusters do not load them.)
func TestConvergesUnderFaults(t *testing.T) {
	ctx := t.Context()
	ns := chaosNamespace(t)
	reader := namespaceCache(t, ns)

	env.faults.Reset()
	env.faults.SetKinds()
	env.faults.RecordUntagged(true)
	if err := env.faults.Set(chaosRate, faults.All); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		env.faults.Off()
		env.faults.RecordUntagged(false)
		env.faults.Reset()
	})

	clusters, ops, rolls := chaosPlan(t, ns)
	players := &childOperators{cache: reader, namespace: ns, rolls: rolls, played: map[string]string{}}
	playCtx, stopPlaying := context.WithCancel(ctx)
	played := make(chan struct{})
	go func() { defer close(played); players.run(playCtx) }()
	defer func() { stopPlaying(); <-played }()

	// The clusters
	start := time.Now()
	for _, c := range clusters {
		createEventually(t, c)
	}
	left := converge(ctx, func() []string { return notReady(ctx, reader, ns) })
	t.Logf("clusters: %d of %d Ready after %s", len(clusters)-len(left), len(clusters), time.Since(start).Round(time.Second))

	// The operations
	start = time.Now()
	for _, op := range ops {
		createEventually(t, op)
	}
	left = converge(ctx, func() []string { return unfinished(ctx, reader, ns) })
	t.Logf("operations: %d of %d finished after %s", len(ops)-len(left), len(ops), time.Since(start).Round(time.Second))
	// An operation is done once its child settles; the cluster's status follows from
	// the cluster's own reconcile of that child, which can come a moment later, or
	// after a fault and its backoff. The clusters must converge again, within the
	// same stall bound.
	start = time.Now()
	left = converge(ctx, func() []string { return notReady(ctx, reader, ns) })
	t.Logf("clusters after the operations: %d of %d Ready after %s", len(clusters)-len(left), len(clusters), time.Since(start).Round(time.Second))
	stopPlaying()
	<-played
	env.faults.Off()
	report := env.faults.Report()
	t.Logf("the child operators: %d rounds, %d cluster simulations", players.rounds, players.simulated)
	t.Logf("faults at rate %g on %s:\n%s", chaosRate, faults.All, report)

	// What must hold
	if bad := notReady(ctx, env.client, ns); len(bad) > 0 {
		t.Errorf("%d clusters are not Ready: %s", len(bad), strings.Join(bad, "; "))
	}
	if bad := notSucceeded(ctx, ns); len(bad) > 0 {
		t.Errorf("%d of %d operations did not succeed:\n%s", len(bad), len(ops), strings.Join(bad, "\n"))
	}
	for _, d := range duplicateActions(ctx, t, ns) {
		t.Errorf("not exactly once: %s", d)
	}
	if report.Total() == 0 {
		t.Error("no fault was injected")
	}
}

// chaosPlan returns the clusters and operations of the run, and which operations
// roll the instances.
func chaosPlan(t *testing.T, ns string) ([]*dbaasv1.DatabaseCluster, []*dbaasv1.OpsRequest, map[string]bool) {
	var clusters []*dbaasv1.DatabaseCluster
	for _, group := range chaosClusters {
		for i := range group.count {
			c := &dbaasv1.DatabaseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s-%d", group.prefix, i)}}
			mustUnmarshal(t, group.spec, &c.Spec)
			clusters = append(clusters, c)
		}
	}
	var ops []*dbaasv1.OpsRequest
	rolls := map[string]bool{}
	next := map[string]int{} // the next cluster of each prefix without an operation
	for _, group := range chaosOps {
		for range group.count {
			cluster := fmt.Sprintf("%s-%d", group.prefix, next[group.prefix])
			next[group.prefix]++
			op := &dbaasv1.OpsRequest{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: cluster + "-op"}}
			mustUnmarshal(t, group.spec, &op.Spec)
			op.Spec.ClusterRef = cluster
			rolls[op.Name] = group.rolls
			ops = append(ops, op)
		}
	}
	return clusters, ops, rolls
}

// chaosNamespace creates the run's namespace and the backup credentials its
// clusters name.
func chaosNamespace(t *testing.T) string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "chaos-"}}
	if err := env.client.Create(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "s3-creds"},
		StringData: map[string]string{"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret"},
	}
	if err := env.client.Create(t.Context(), secret); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// namespaceCache is an informer cache of the namespace, straight to the API server
// (no faults), for the many reads that follow the run.
func namespaceCache(t *testing.T, ns string) client.Reader {
	scheme, err := operator.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(env.cluster.Config, cache.Options{Scheme: scheme, DefaultNamespaces: map[string]cache.Config{ns: {}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("the namespace cache did not sync")
	}
	return c
}

func mustUnmarshal(t *testing.T, s string, into any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(s), into); err != nil {
		t.Fatalf("cannot read %s: %v", s, err)
	}
}

// createEventually creates obj as a user or a GitOps tool would: it tries again when
// the API server refuses for a transient reason (the webhooks read through the
// operator's faulty connection too).
func createEventually(t *testing.T, obj client.Object) {
	t.Helper()
	var err error
	for range 50 {
		err = env.client.Create(t.Context(), obj.DeepCopyObject().(client.Object))
		if err == nil || apierrors.IsAlreadyExists(err) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("cannot create %s: %v", obj.GetName(), err)
}

// converge polls pending every second until it is empty, or until it has not
// shrunk for stallTimeout, or convergeTimeout has passed; it returns what is left.
func converge(ctx context.Context, pending func() []string) []string {
	deadline := time.Now().Add(convergeTimeout)
	left := pending()
	lastProgress, fewest := time.Now(), len(left)
	for len(left) > 0 && time.Now().Before(deadline) && time.Since(lastProgress) < stallTimeout {
		select {
		case <-ctx.Done():
			return left
		case <-time.After(time.Second):
		}
		if left = pending(); len(left) < fewest {
			lastProgress, fewest = time.Now(), len(left)
		}
	}
	return left
}

// notReady describes the clusters that are not Ready at their current generation.
func notReady(ctx context.Context, r client.Reader, ns string) []string {
	var list dbaasv1.DatabaseClusterList
	if err := r.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, c := range list.Items {
		ready := meta.FindStatusCondition(c.Status.Conditions, dbaasv1.ReadyCondition)
		if ready != nil && ready.Status == metav1.ConditionTrue && c.Status.ObservedGeneration == c.Generation && c.Status.Phase == dbaasv1.PhaseReady {
			continue
		}
		out = append(out, fmt.Sprintf("%s: phase %q, generation %d observed %d, %s", c.Name, c.Status.Phase, c.Generation, c.Status.ObservedGeneration, conditionsOf(c.Status.Conditions)))
	}
	return out
}

// unfinished describes the operations that have not finished.
func unfinished(ctx context.Context, r client.Reader, ns string) []string {
	var list dbaasv1.OpsRequestList
	if err := r.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, op := range list.Items {
		if !op.Status.Phase.Finished() {
			out = append(out, fmt.Sprintf("%s (%s): phase %q, %s", op.Name, op.Spec.Type, op.Status.Phase, conditionsOf(op.Status.Conditions)))
		}
	}
	return out
}

// notSucceeded describes the operations that did not succeed, with their log.
func notSucceeded(ctx context.Context, ns string) []string {
	var list dbaasv1.OpsRequestList
	if err := env.client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, op := range list.Items {
		if op.Status.Phase == dbaasv1.OpsSucceeded {
			continue
		}
		var log []string
		for _, a := range op.Status.Actions {
			log = append(log, a.Action+": "+a.Message)
		}
		out = append(out, fmt.Sprintf("%s (%s of %s): %s, %s\n\tlog: %s", op.Name, op.Spec.Type, op.Spec.ClusterRef,
			op.Status.Phase, conditionsOf(op.Status.Conditions), strings.Join(log, " | ")))
	}
	return out
}

func conditionsOf(conditions []metav1.Condition) string {
	var parts []string
	for _, c := range conditions {
		parts = append(parts, fmt.Sprintf("%s=%s (%s: %s)", c.Type, c.Status, c.Reason, c.Message))
	}
	return "conditions " + strings.Join(parts, ", ")
}

// opsFieldManager is the field manager of what operations write to clusters and
// children (controller.opsFieldManager).
const opsFieldManager = "dbaas-operator-ops"

// duplicateActions finds the operations' actions that reached the API server more
// than once. Steps the operation controller tags (faults.WithStep) are checked by
// their tag. Untagged ones are told apart by target: every operation of the run has
// a cluster of its own, so a successful write by the operations' field manager to a
// cluster or a child is its operation's action, and two to the same object with the
// same body are one action run twice. What the API server holds is checked too:
// each action appears once in the operation's log, and each object an operation
// creates exists once.
func duplicateActions(ctx context.Context, t *testing.T, ns string) []string {
	t.Helper()
	var out []string
	counts := map[string]int{}
	total := 0
	for _, m := range env.faults.Mutations("") {
		if m.FieldManager != opsFieldManager || !strings.Contains(m.Path, "/namespaces/"+ns+"/") || strings.Contains(m.Path, "/opsrequests/") {
			continue
		}
		total++
		counts[m.Method+" "+m.Path+" body="+m.Digest]++
	}
	for _, key := range slices.Sorted(maps.Keys(counts)) {
		if counts[key] > 1 {
			out = append(out, fmt.Sprintf("%s reached the API server %d times", key, counts[key]))
		}
	}
	t.Logf("the operations' actions: %d writes accepted by the API server, to %d distinct objects and bodies", total, len(counts))

	var ops dbaasv1.OpsRequestList
	if err := env.client.List(ctx, &ops, client.InNamespace(ns)); err != nil {
		return append(out, err.Error())
	}
	// Steps tagged "<op-uid>/<step>" (faults.WithStep) must each have reached the API
	// server once.
	tagged := 0
	for _, op := range ops.Items {
		for _, step := range env.faults.Steps() {
			if !strings.HasPrefix(step, string(op.UID)+"/") {
				continue
			}
			tagged++
			if m := env.faults.Mutations(step); len(m) > 1 {
				out = append(out, fmt.Sprintf("%s step %s reached the API server %d times: %v", op.Name, step, len(m), m))
			}
		}
	}
	t.Logf("steps tagged by the operations: %d", tagged)
	for _, op := range ops.Items {
		seen := map[string]int{}
		for _, a := range op.Status.Actions {
			if a.Action == "SpecPatched" || a.Action == "Action" {
				seen[a.Action+": "+a.Message]++
			}
		}
		for entry, n := range seen {
			if n > 1 {
				out = append(out, fmt.Sprintf("%s logs %q %d times", op.Name, entry, n))
			}
		}
	}
	return append(out, createdTwice(ctx, ns, ops.Items)...)
}

// createdTwice finds Backup operations with more than one Backup labelled as theirs,
// or that succeeded without one.
func createdTwice(ctx context.Context, ns string, ops []dbaasv1.OpsRequest) []string {
	var out []string
	for _, op := range ops {
		if op.Spec.Type != dbaasv1.OpsBackup {
			continue
		}
		list := &unstructured.UnstructuredList{}
		list.SetAPIVersion("postgresql.cnpg.io/v1")
		list.SetKind("BackupList")
		err := env.client.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{dbaasv1.OpsRequestLabel: op.Name})
		switch {
		case err != nil:
			out = append(out, err.Error())
		case len(list.Items) > 1 || (len(list.Items) == 0 && op.Status.Phase == dbaasv1.OpsSucceeded):
			out = append(out, fmt.Sprintf("%s (%s) created %d Backups, want 1", op.Name, op.Status.Phase, len(list.Items)))
		}
	}
	return out
}
