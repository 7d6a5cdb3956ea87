package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// soakSampleInterval is how often the operators' RSS is read during the soak.
const soakSampleInterval = 5 * time.Second

// soakResult is the operators' memory over a soak of continuous spec changes; with
// shards, growth and peak are of the largest shard.
type soakResult struct {
	Seconds float64 `json:"seconds"`
	// Updates were sent and accepted; Failed were refused; Dropped could not be sent
	// on time because the writer of their cluster was still busy.
	Updates          int64   `json:"updates"`
	Failed           int64   `json:"failed"`
	Dropped          int64   `json:"dropped"`
	FirstError       string  `json:"firstError,omitempty"`
	UpdatesPerSecond float64 `json:"updatesPerSecond"`
	// Before is the operators at converge; After at the end of the soak.
	Before       sample  `json:"before"`
	After        sample  `json:"after"`
	PeakRSSBytes int64   `json:"peakRSSBytes"`
	RSSGrowthPct float64 `json:"rssGrowthPct"`
	// HeapGrowthPct is nil when the live heap is not measured.
	HeapGrowthPct *float64 `json:"heapGrowthPct,omitempty"`
}

// soakUpdate is one change: cluster i gets monitoring on or off.
type soakUpdate struct {
	i          int
	monitoring bool
}

// soakFor changes random clusters' specs at the soak rate, through the webhook, for
// the soak's duration: each change toggles the cluster's monitoring, which changes
// its CloudNativePG Cluster.
func (b *bench) soakFor(ctx context.Context, before sample) (*soakResult, error) {
	progress("soak: %s of %.0f cluster updates a second", b.o.soak, b.o.soakRate)
	r := &soakResult{Before: before, PeakRSSBytes: before.RSSBytes}
	var updates, failed atomic.Int64
	var firstError sync.Once
	// A cluster is always changed by the same writer, so its changes stay in order.
	queues := make([]chan soakUpdate, b.o.writers)
	var wg sync.WaitGroup
	for w := range queues {
		queues[w] = make(chan soakUpdate, 1)
		wg.Go(func() {
			for u := range queues[w] {
				if err := b.setMonitoring(ctx, u); err != nil {
					if ctx.Err() != nil {
						return
					}
					failed.Add(1)
					firstError.Do(func() { r.FirstError = err.Error() })
					continue
				}
				updates.Add(1)
			}
		})
	}
	monitoring := make([]bool, b.o.clusters)
	tick := time.NewTicker(time.Duration(float64(time.Second) / b.o.soakRate))
	defer tick.Stop()
	sampleTick := time.NewTicker(soakSampleInterval)
	defer sampleTick.Stop()
	began := time.Now()
	end := time.After(b.o.soak)
	told := time.Now()
	var err error
soak:
	for {
		select {
		case <-ctx.Done():
			err = ctx.Err()
			break soak
		case <-end:
			break soak
		case <-sampleTick.C:
			if err = b.alive(); err != nil {
				break soak
			}
			rss, rerr := b.operators.maxRSS()
			if rerr != nil {
				err = rerr
				break soak
			}
			r.PeakRSSBytes = max(r.PeakRSSBytes, rss)
			if time.Since(told) >= time.Minute {
				progress("soak: %d updates, RSS %s", updates.Load(), mib(rss))
				told = time.Now()
			}
		case <-tick.C:
			i := rand.IntN(b.o.clusters)
			u := soakUpdate{i: i, monitoring: !monitoring[i]}
			select {
			case queues[i%len(queues)] <- u:
				monitoring[i] = u.monitoring
			default:
				r.Dropped++
			}
		}
	}
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	if err != nil {
		return nil, err
	}
	r.Seconds = time.Since(began).Seconds()
	r.Updates, r.Failed = updates.Load(), failed.Load()
	r.UpdatesPerSecond = float64(r.Updates) / r.Seconds
	if r.After, err = b.operators.sample(ctx); err != nil {
		return nil, err
	}
	r.PeakRSSBytes = max(r.PeakRSSBytes, r.After.RSSBytes)
	r.RSSGrowthPct = growth(float64(before.RSSBytes), float64(r.After.RSSBytes))
	if before.HeapLiveBytes != nil && r.After.HeapLiveBytes != nil {
		g := growth(float64(*before.HeapLiveBytes), float64(*r.After.HeapLiveBytes))
		r.HeapGrowthPct = &g
	}
	return r, nil
}

// setMonitoring patches a cluster's spec.monitoring.enabled.
func (b *bench) setMonitoring(ctx context.Context, u soakUpdate) error {
	key := b.fleet.key(u.i)
	c := &dbaasv1.DatabaseCluster{}
	c.Namespace, c.Name = key.Namespace, key.Name
	patch := fmt.Appendf(nil, `{"spec":{"monitoring":{"enabled":%t}}}`, u.monitoring)
	if err := b.client.Patch(ctx, c, client.RawPatch(client.Merge.Type(), patch)); err != nil {
		return fmt.Errorf("cannot change the monitoring of %s: %w", key, err)
	}
	return nil
}
