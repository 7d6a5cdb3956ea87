package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// convergeResult is the creation of N clusters through the API with the operator.
type convergeResult struct {
	// Seconds is from the first create sent to the last cluster seen Ready.
	Seconds      float64 `json:"seconds"`
	RatioToFloor float64 `json:"ratioToFloor"`
	// CreatesSeconds is how long the writers took to send every create.
	CreatesSeconds float64 `json:"createsSeconds"`
	// P50Ms and P99Ms are per cluster, from its create sent to it seen Ready.
	P50Ms float64 `json:"p50Ms"`
	P99Ms float64 `json:"p99Ms"`
	// The rest is counted once the operators' queues emptied, per cluster, summed
	// over the shards. ReconcilesPerCluster is by controller
	// (controller_runtime_reconcile_total).
	ReconcilesPerCluster map[string]float64 `json:"reconcilesPerCluster"`
	// EvaluationsPerCluster are the CUE evaluations the operators ran (memo hits
	// excluded), by stage: render (requires, preconditions and stages) or status
	// (dbaas_render_duration_seconds).
	EvaluationsPerCluster map[string]float64 `json:"evaluationsPerCluster"`
	// OperatorWritesPerCluster are the operators' writing requests
	// (rest_client_requests_total, Events included), also by method.
	OperatorWritesPerCluster         float64            `json:"operatorWritesPerCluster"`
	OperatorWritesPerClusterByMethod map[string]float64 `json:"operatorWritesPerClusterByMethod"`
	// EventsPerCluster are the Event objects in the fleet's namespaces;
	// EventOccurrencesPerCluster counts the occurrences they aggregate.
	EventsPerCluster           float64        `json:"eventsPerCluster"`
	EventOccurrencesPerCluster float64        `json:"eventOccurrencesPerCluster"`
	EventsByReason             map[string]int `json:"eventsByReason"`
	// APIServerWritesPerCluster are the writes the API server served from every
	// client (writers, operator, simulator, garbage collector), also by resource.
	APIServerWritesPerCluster           float64            `json:"apiServerWritesPerCluster"`
	APIServerWritesPerClusterByResource map[string]float64 `json:"apiServerWritesPerClusterByResource"`
	// CPUSecondsByProcess is the CPU time each process used from the first create
	// to the last cluster Ready: the operators, kube-apiserver, etcd,
	// kube-controller-manager and the benchmark's own process (writers, simulator).
	CPUSecondsByProcess map[string]float64 `json:"cpuSecondsByProcess"`
	// Start is the operators before any cluster; Converged once their queues emptied.
	Start     sample `json:"start"`
	Converged sample `json:"converged"`
}

// converge creates the fleet with the writers and waits for every cluster to be
// Ready, then for the operator to settle, and counts what it took.
func (b *bench) converge(ctx context.Context) (*convergeResult, error) {
	start, err := b.operators.sample(ctx)
	if err != nil {
		return nil, err
	}
	before, err := b.counters(ctx)
	if err != nil {
		return nil, err
	}

	cpuBefore, err := cpuByProcess()
	if err != nil {
		return nil, err
	}
	progress("creating %d clusters with %d writers, webhooks on", b.o.clusters, b.o.writers)
	began := time.Now()
	err = forEach(ctx, b.o.clusters, b.o.writers, func(ctx context.Context, i int) error {
		key := b.fleet.key(i)
		b.tracker.creating(key)
		if err := b.client.Create(ctx, minimalCluster(key)); err != nil {
			return fmt.Errorf("cannot create %s: %w", key, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	created := time.Since(began)
	if err := b.waitAllReady(ctx, began); err != nil {
		return nil, err
	}
	cpuAfter, err := cpuByProcess()
	if err != nil {
		return nil, err
	}
	latencies, last := b.tracker.createToReady()
	p50, p99 := percentiles(latencies)
	r := &convergeResult{
		Seconds:        last.Sub(began).Seconds(),
		CreatesSeconds: created.Seconds(),
		P50Ms:          ms(p50),
		P99Ms:          ms(p99),
		Start:          start,

		CPUSecondsByProcess: cpuSpent(cpuBefore, cpuAfter),
	}
	progress("all %d Ready after %.1fs; waiting for the operator to settle", b.o.clusters, r.Seconds)

	if err := b.waitSettled(ctx); err != nil {
		return nil, err
	}
	if r.Converged, err = b.operators.sample(ctx); err != nil {
		return nil, err
	}
	after, err := b.counters(ctx)
	if err != nil {
		return nil, err
	}
	c := after.since(before, float64(b.o.clusters))
	r.ReconcilesPerCluster, r.EvaluationsPerCluster = c.reconciles, c.evaluations
	r.OperatorWritesPerClusterByMethod, r.OperatorWritesPerCluster = c.operatorWrites, total(c.operatorWrites)
	r.APIServerWritesPerClusterByResource, r.APIServerWritesPerCluster = c.apiServerWrites, total(c.apiServerWrites)
	if err := b.countEvents(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// waitAllReady waits until the tracker has seen every cluster Ready, telling the
// progress now and then.
func (b *bench) waitAllReady(ctx context.Context, began time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, b.o.timeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	told := time.Now()
	for {
		ready := b.tracker.readyCount()
		if ready >= b.o.clusters {
			return nil
		}
		if err := b.alive(); err != nil {
			return err
		}
		if time.Since(told) > 15*time.Second {
			progress("%d of %d Ready after %.0fs", ready, b.o.clusters, time.Since(began).Seconds())
			told = time.Now()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d clusters Ready: %w", ready, b.o.clusters, ctx.Err())
		case <-tick.C:
		}
	}
}

// countEvents counts the Events in the fleet's namespaces, where only the operator
// reports any.
func (b *bench) countEvents(ctx context.Context, r *convergeResult) error {
	objects, occurrences := 0, 0
	r.EventsByReason = map[string]int{}
	for j := range b.fleet.namespaces {
		var list corev1.EventList
		if err := b.client.List(ctx, &list, client.InNamespace(b.fleet.namespace(j))); err != nil {
			return fmt.Errorf("cannot list the Events: %w", err)
		}
		for _, e := range list.Items {
			objects++
			n := max(1, int(e.Count))
			if e.Series != nil {
				n = max(n, int(e.Series.Count))
			}
			occurrences += n
			r.EventsByReason[e.Reason] += n
		}
	}
	r.EventsPerCluster = float64(objects) / float64(b.o.clusters)
	r.EventOccurrencesPerCluster = float64(occurrences) / float64(b.o.clusters)
	return nil
}

// writeMethods are the HTTP methods of the requests that write.
var writeMethods = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "DELETE": true}

func onlyWrites(byMethod map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for m, v := range byMethod {
		if writeMethods[m] {
			out[m] = v
		}
	}
	return out
}

// apiWriteVerbs are the verbs of apiserver_request_total that write.
var apiWriteVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "APPLY": true, "DELETE": true, "DELETECOLLECTION": true}

// apiWrites are the API server's write requests (not dry runs), by resource and
// subresource; the refused ones (a conflict, an object that already exists) apart,
// under the resource and the HTTP code.
func apiWrites(m metrics) map[string]float64 {
	out := map[string]float64{}
	for _, sample := range m["apiserver_request_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range sample.Label {
			labels[l.GetName()] = l.GetValue()
		}
		if !apiWriteVerbs[labels["verb"]] || labels["dry_run"] != "" {
			continue
		}
		resource := labels["resource"]
		if sub := labels["subresource"]; sub != "" {
			resource += "/" + sub
		}
		if code := labels["code"]; code != "" && !strings.HasPrefix(code, "2") {
			resource += " " + code
		}
		out[resource] += value(sample)
	}
	return out
}

func perCluster(counts map[string]float64, n float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range counts {
		out[k] = v / n
	}
	return out
}

func total(m map[string]float64) float64 {
	t := 0.0
	for _, v := range m {
		t += v
	}
	return t
}
